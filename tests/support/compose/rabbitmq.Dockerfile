# Stand-in for Docker Hub's rabbitmq:3.13: Debian bookworm's RabbitMQ (3.10), with an entry
# point that honours the official image's RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS.
FROM hotpress-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/*
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 5672
CMD ["rabbitmq-server"]

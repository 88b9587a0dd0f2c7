# Stand-in for Docker Hub's caddy:2: Debian bookworm's Caddy 2.
FROM hotpress-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends caddy \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 80
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]

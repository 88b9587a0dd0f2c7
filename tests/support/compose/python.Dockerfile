# Stand-in for Docker Hub's python:3.11-slim (unreachable from this project's machines):
# Debian bookworm's Python 3.11 in a virtual environment at /usr/local, so `pip install`
# and the installed scripts land on the PATH as in the official image. host-ca.crt is the
# host's CA bundle (the test copies it in): on a machine whose HTTPS goes through an
# intercepting proxy, pip inside the image trusts what pip on the host trusts.
FROM hotpress-standin/debian:bookworm
COPY host-ca.crt /etc/ssl/certs/host-ca.crt
ENV PIP_CERT=/etc/ssl/certs/host-ca.crt
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /usr/local
CMD ["python3"]

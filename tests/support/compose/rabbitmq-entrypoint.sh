#!/bin/sh
set -eu
{
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
    echo "listeners.tcp.default = 5672"
} > /etc/rabbitmq/rabbitmq.conf
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
# The server's Erlang cookie in its own home, where rabbitmq-diagnostics (the healthcheck)
# finds it; setpriv, unlike runuser, passes SIGTERM straight to the server.
export HOME=/var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$@"

#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up on 127.0.0.1: PostgreSQL (5432)
# and Redis (6379). On the project's machines both are started before a session; this
# starts one that has stopped (as root, with the machine's own packages) and otherwise
# only says what is missing — the tests then skip, or fail under CI=true.
set -uo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! listening 5432; then
    if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        echo "services: starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    else
        echo "services: PostgreSQL is not listening on 127.0.0.1:5432" >&2
    fi
fi
if ! listening 6379; then
    if [ "$(id -u)" = 0 ] && command -v redis-server >/dev/null; then
        echo "services: starting Redis"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    else
        echo "services: Redis is not listening on 127.0.0.1:6379" >&2
    fi
fi
for _ in $(seq 1 20); do
    listening 5432 && listening 6379 && exit 0
    sleep 0.5
done
exit 0

#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a loopback port and prints its URL.
# PostgreSQL refuses to run as root, so the cluster belongs to the postgres
# user. Usage: scripts/pg-throwaway.sh start|stop [DIR] [PORT]
set -euo pipefail

action=${1:-start}
dir=${2:-/tmp/voiceassist-pg}
port=${3:-55432}

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && bin=$candidate
done
[ -n "$bin" ] || bin=$(dirname "$(command -v pg_ctl)")

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case $action in
start)
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres voiceassist_test
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/voiceassist_test"
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
esac

#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster on 127.0.0.1 (a free
# port, a temporary folder), exporting RECOLHA_TEST_POSTGRES_URL and
# RECOLHA_TEST_PG_BIN; stops the cluster and removes the folder afterwards.
# Installs PostgreSQL (Debian's package) when it is missing.
set -euo pipefail
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN="$(pg_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "Installing PostgreSQL"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql > /dev/null
  BIN="$(pg_bin)"
fi
DIR="$(mktemp -d)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U recolha -E UTF8 --no-locale > "$DIR/initdb.log"
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off" start > /dev/null
stop() {
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
export RECOLHA_TEST_POSTGRES_URL="postgres://recolha@127.0.0.1:$PORT/postgres"
export RECOLHA_TEST_PG_BIN="$BIN"
export RECOLHA_TEST_PG_PORT="$PORT"
"$@"

#!/usr/bin/env bash
# Proof for `make dist`: builds the two packages, checks them with lintian,
# and runs the extracted binaries with no Swift toolchain anywhere on their
# paths: versions, then a whole capture, sync and export against the
# extracted server on 127.0.0.1. The server's unit passes systemd-analyze.
set -euo pipefail
# The checks below read what the binaries print: in English, whatever the machine speaks.
export LC_ALL=C.UTF-8
cd "$(dirname "$0")/.."
fail() { echo "dist check FAILED: $*" >&2; exit 1; }

need=""
command -v lintian >/dev/null || need="$need lintian"
command -v systemd-analyze >/dev/null || need="$need systemd"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# `make test` checks the packages built from its debug build (relinked with
# the Swift runtime static, seconds instead of a ten-minute release build of
# every dependency); `make dist` and `scripts/check-dist.sh` alone use release.
debs=$(RECOLHA_DIST_CONFIG=${RECOLHA_DIST_CONFIG:-release} scripts/dist.sh | grep '\.deb$')
client=$(echo "$debs" | grep '/recolha_')
server=$(echo "$debs" | grep '/recolha-server_')
[ -f "$client" ] && [ -f "$server" ] || fail "make dist did not write both packages"

for deb in $client $server; do
  lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian found errors in $deb"
done

T=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
dpkg-deb -x "$client" "$T/root"
dpkg-deb -x "$server" "$T/root"
BIN="$T/root/usr/bin"
for b in recolha recolha-server; do
  ldd "$BIN/$b" | grep -q 'libswift\|/opt/swift' && fail "$b still needs the Swift runtime: $(ldd "$BIN/$b" | grep swift)"
  ldd "$BIN/$b" | grep -q 'not found' && fail "$b misses a library: $(ldd "$BIN/$b" | grep 'not found')"
done
# No toolchain on any path: a clean environment.
run() { env -i PATH=/usr/bin:/bin HOME="$T" LANG=C.UTF-8 "$@"; }
run "$BIN/recolha" --version | grep -q '^recolha [0-9].* (sync protocol [0-9]*, SQLite [0-9.]*, libcurl [0-9.]*)$' \
  || fail "recolha --version: $(run "$BIN/recolha" --version)"
run "$BIN/recolha-server" --version | grep -q '^recolha-server [0-9].* (sync protocol [0-9]*, SQLite [0-9.]*)$' \
  || fail "recolha-server --version"

run "$BIN/recolha-server" init --data "$T/data" >/dev/null
echo "ana-password-1" | run "$BIN/recolha-server" users add ana --role enumerator --password-stdin --data "$T/data" >/dev/null
run "$BIN/recolha-server" forms publish schema/forms/health_facility_assessment.xlsx --media schema/forms/health_facility_assessment-media/facilities.csv --data "$T/data" >/dev/null
# env execs the server, so $! is the server itself (a function in the
# background would leave it running when the subshell is killed).
env -i PATH=/usr/bin:/bin HOME="$T" LANG=C.UTF-8 "$BIN/recolha-server" serve --data "$T/data" --host 127.0.0.1 --port 0 \
  > "$T/server.out" 2> "$T/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$T/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$T/server.out")
[ -n "$URL" ] || fail "the packaged server did not start: $(cat "$T/server.log")"

S="$T/ana.sqlite"
run "$BIN/recolha" init --enumerator ana --store "$S" >/dev/null
echo "ana-password-1" | run "$BIN/recolha" login --server "$URL" --user ana --password-stdin --store "$S" >/dev/null
run "$BIN/recolha" sync --store "$S" >/dev/null
run "$BIN/recolha" capture health_facility_assessment --answers examples/ressano_garcia.json --finalize --store "$S" >/dev/null
run "$BIN/recolha" sync --store "$S" | grep -q "sent" || fail "the packaged recolha did not sync"
run "$BIN/recolha" export --form health_facility_assessment --out "$T/export.csv" --store "$S" >/dev/null
[ "$(tr -cd '\n' < "$T/export.csv" | wc -c)" -ge 2 ] || fail "the export holds no record"
run "$BIN/recolha-server" devices list --data "$T/data" | grep -q ana || fail "the server does not list ana's device"

unit="$T/root/lib/systemd/system/recolha-server.service"
systemd-analyze verify --man=no "$unit" 2> "$T/verify.log" || true
# A build machine has no recolha user and no /usr/bin/recolha-server:
# anything else systemd-analyze says is an error of the unit.
if grep -v -e 'recolha-server.service: Command /usr/bin/recolha-server is not executable' \
           -e "Failed to resolve user 'recolha'" -e 'Failed to resolve group' -e '^$' "$T/verify.log" | grep -q .; then
  fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
scripts/check-install.sh "$client" "$server"
echo "dist check: passed ($(basename "$client"), $(basename "$server"))"

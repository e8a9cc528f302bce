#!/usr/bin/env bash
# make test, after the build: the Swift tests beside a throwaway PostgreSQL
# cluster, and the packaging check (scripts/check-dist.sh) side by side.
#
# The packaging check compiles its own binaries with the Swift runtime
# linked statically (minutes of compiling, then single-threaded lintian and
# dpkg work). It runs at the lowest priority, so it takes only the processor
# time the tests leave idle; its output goes to a file and is printed after
# the tests' closing line. Arguments go to `swift test`. Exits 1 when either
# failed. The system packages both need are installed beforehand (`make
# test-tools`): two apt-get runs at once would fight over apt's lock.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
dist_log=.build/dist-check-output.txt
# Its own process group (setsid), so an interruption stops all of it.
RECOLHA_DIST_CONFIG=debug setsid nice -n 19 scripts/check-dist.sh > "$dist_log" 2>&1 &
dist_pid=$!
trap 'kill -- -"$dist_pid" 2>/dev/null; exit 130' INT TERM

scripts/with-postgres.sh scripts/swift-tests.sh "$@"
tests=$?
if kill -0 "$dist_pid" 2>/dev/null; then echo "(waiting for the packaging check to finish)"; fi
wait "$dist_pid"
dist=$?

echo
echo "== packaging check (whole output in $dist_log) =="
if [ "$dist" -eq 0 ]; then
  tail -n 1 "$dist_log"
else
  tail -n 60 "$dist_log"
  echo "packaging check FAILED (exit $dist)"
fi
if [ "$tests" -ne 0 ]; then
  echo "Swift tests FAILED (exit $tests): see the digest above"
fi
[ "$tests" -eq 0 ] && [ "$dist" -eq 0 ]

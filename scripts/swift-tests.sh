#!/usr/bin/env bash
# Runs the Swift tests (arguments go to `swift test`), keeping the whole
# output in .build/test-output.txt. When a test fails, it ends with a digest:
# every recorded issue with its message, then the runner's closing line
# again, so the last screen of a CI log says what failed.
set -uo pipefail
mkdir -p .build
log=.build/test-output.txt
swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "== what failed (whole output in $log) =="
  grep -E -A2 "recorded an issue|^✘ Test [^r].* (failed|errored)|error:|Fatal error|Crash" "$log" \
    | grep -v -E "^◇|^✔|^↳ ///" | cut -c1-400 | head -n 120
  grep -E "Test run with .* (passed|failed)" "$log" | tail -n 1
fi
exit "$status"

#!/usr/bin/env bash
# make man: writes the man pages in docs/man from the commands' own help
# (swift-argument-parser's GenerateManual plugin), with a digest of the help
# each was made from. `make dist` packages these committed pages: running
# the plugin there built every product a second time in .build, with other
# flags than the tests' build, which then compiled again (about two minutes
# of every `make test`). ManualTests fails, naming this command, when an
# option or help text changed and the pages were not made again.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-package-directory generate-manual --configuration debug >/dev/null
BIN=$(swift build --show-bin-path)
mkdir -p docs/man
for name in recolha recolha-server; do
  cp ".build/plugins/GenerateManual/outputs/$name/$name.1" docs/man/
  # The page's date is the day it was made; the digest is what the test compares.
  LC_ALL=C.UTF-8 "$BIN/$name" --experimental-dump-help | sha256sum | cut -d' ' -f1 > "docs/man/$name.help.sha256"
done
echo "docs/man: recolha.1 and recolha-server.1 made from the commands' help; commit them"

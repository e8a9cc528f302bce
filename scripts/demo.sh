#!/usr/bin/env bash
# The offline story on one device: set up a store, add the flagship form,
# capture surveys from answer files and interactively, edit, finalize, review
# and export. Everything lives in a temporary folder removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${RECOLHA_BIN_DIR:-$(swift build --show-bin-path)}/recolha"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export RECOLHA_STORE="$WORK/ana.sqlite"
FORM=health_facility_assessment

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ recolha %s\n' "$*"; "$BIN" "$@"; }

step "1. Set up Ana's tablet (a new store, owner-only)"
run init --enumerator ana
ls -l "$RECOLHA_STORE" | awk '{print $1, $NF}'

step "2. Add the migrant-responsive health facility assessment"
run forms add schema/forms/$FORM.json
run forms list

step "3. Capture Ressano Garcia from an answers file, finalized"
run capture $FORM --answers examples/ressano_garcia.json --finalize

step "4. Capture Machipanda as a draft"
run capture $FORM --answers examples/machipanda.json --json > "$WORK/draft.json"
cat "$WORK/draft.json"
DRAFT=$(sed -n 's/.*"id": "\([^"]*\)".*/\1/p' "$WORK/draft.json")

step "5. A file with mistakes is refused whole, every problem listed, nothing saved"
run capture $FORM --answers examples/bad_answers.json --finalize || echo "(exit code $?)"

step "6. Fix the draft: fees are the same as for nationals, then finalize"
run edit "$DRAFT" --set fees_non_nationals=same --set "staff[2].cadre_trained_migrant_health=1"
run finalize "$DRAFT"

step "7. Capture a third facility interactively, in Portuguese (answers piped, as typed)"
printf '%s\n' 2026-11-23 "Ana Mondlane" "Dra. Luisa Banda" 1 "" "" 1 \
  5 11 "Centro de Saúde de Zóbuè" "TE-0091" 2 1 "-15.6089 34.4311" \
  4 2.5 "1 2 3" 30 2 4 "1 5" 1 1 "1 3 4" 1 1 28 2 1 2 3 2 \
  s 3 4 2 n 3 6 2 1 "" "" s \
  | "$BIN" capture $FORM --lang pt > "$WORK/interactive.txt"
sed -n '1,12p' "$WORK/interactive.txt"; echo "   ..."; tail -n 8 "$WORK/interactive.txt"

step "8. Review"
run list
run status

step "9. Export as ODK Central shapes it: one CSV, plus one per repeat group"
run export --form $FORM --format csv --out "$WORK/export.csv"
head -c 600 "$WORK/export.csv"; echo " ..."
cat "$WORK/export-staff.csv"

step "Done: every save above is already recorded as versions ready to sync."

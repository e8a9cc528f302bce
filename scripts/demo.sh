#!/usr/bin/env bash
# The whole story on loopback: a sync server with a temporary data folder, two
# enumerators and a supervisor, tablets capturing offline, a concurrent edit
# kept as a conflict and resolved by the supervisor, work relayed through the
# supervisor's hub and on a USB stick with receipts coming back, a record
# returned by the supervisor and corrected by its enumerator, everyone
# converging, and a CSV export. Everything lives in a temporary folder removed
# at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# --no-wait (or RECOLHA_DEMO_NO_WAIT=1): end at once instead of keeping the
# server up for the console until Enter is pressed (for scripts).
NO_WAIT="${RECOLHA_DEMO_NO_WAIT:-}"
[ "${1:-}" = "--no-wait" ] && NO_WAIT=1
BIN_DIR="${RECOLHA_BIN_DIR:-$(swift build --show-bin-path)}"
WORK="$(mktemp -d)"
SERVER_PID=""
HUB_PID=""
cleanup() {
  [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FORM=health_facility_assessment
DATA="$WORK/server"
mkdir -p "$WORK/stick"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
server() { printf '$ recolha-server %s\n' "$*"; "$BIN_DIR/recolha-server" "$@" --data "$DATA"; }
# on WHO ARGS: run recolha on WHO's device
on() { local who=$1; shift; printf '[%s] $ recolha %s\n' "$who" "$*"; "$BIN_DIR/recolha" "$@" --store "$WORK/$who.sqlite"; }

step "1. The district server: users and the flagship form"
server init
echo "ana-password-1"  | server users add ana   --role enumerator --password-stdin
echo "bento-password-1" | server users add bento --role enumerator --password-stdin
echo "dina-password-1" | server users add dina  --role enumerator --password-stdin
echo "sara-password-1" | server users add sara  --role supervisor --password-stdin
echo "admin-password-1" | server users add admin --role admin --password-stdin > /dev/null
# The XLSForm workbook survey designers edit, with the national facility list it chooses from.
server forms publish schema/forms/$FORM.xlsx --media schema/forms/$FORM-media/facilities.csv
"$BIN_DIR/recolha-server" serve --data "$DATA" --host 127.0.0.1 --port 0 > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/server.out")
echo "serving on $URL (pid $SERVER_PID)"

step "2. Three devices log in and receive the form"
for who in ana bento sara; do
  on $who init --enumerator $who > /dev/null
  echo "$who-password-1" | on $who login --server "$URL" --user $who --password-stdin
  on $who sync
done

step "3. Offline: Ana and Bento capture facilities on their tablets (Ana adds a photo of the entrance; Bento picks his from the national facility list)"
head -c 1800000 /dev/urandom > "$WORK/entrance.jpg"   # stands in for the photo she took
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); a["entrance_photo"]="entrance.jpg"; a["opens_at"]="07:30"; json.dump(a, open(sys.argv[2], "w"), ensure_ascii=False)' \
  examples/ressano_garcia.json "$WORK/ressano_garcia.json"
on ana capture $FORM --answers "$WORK/ressano_garcia.json" --finalize   # the photo path is read beside the answers file
on bento capture $FORM --answers examples/machipanda.json --finalize

step "4. Back in coverage, everyone syncs"
on ana sync
on bento sync
on sara sync
on sara list
RECORD=$("$BIN_DIR/recolha" list --form $FORM --json --store "$WORK/ana.sqlite" | sed -n 's/.*"id" : "\([^"]*\)".*/\1/p; s/.*"id": "\([^"]*\)".*/\1/p' | head -1)

step "5. Offline again, Ana and the supervisor both correct the isolation beds of Ressano Garcia"
on ana edit "$RECORD" --set isolation_beds=6
on sara edit "$RECORD" --set isolation_beds=5

step "6. Everyone syncs: both values are kept, nothing is silently overwritten"
on ana sync
on sara sync || true
on sara conflicts

step "7. The supervisor resolves it (a new version that names both), everyone syncs again"
on sara conflicts resolve "$RECORD" isolation_beds --value 6
on sara sync
on ana sync
on bento sync
on ana conflicts

step "8. Far from coverage: the supervisor's laptop is the link (and enrols a new tablet)"
# sara's laptop serves the team on the district office's Wi-Fi (loopback here).
start_hub() {
  printf '[sara] $ recolha hub --host 127.0.0.1 --port 0 &\n'
  "$BIN_DIR/recolha" hub --store "$WORK/sara.sqlite" --host 127.0.0.1 --port 0 > "$WORK/hub.out" 2> "$WORK/hub.log" &
  HUB_PID=$!
  # The hub says where it listens in the reader's language: take its address.
  for _ in $(seq 1 100); do grep -q "http://127" "$WORK/hub.out" 2>/dev/null && break; sleep 0.1; done
  HUB=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/hub.out" | head -n 1)
  cat "$WORK/hub.out"
}
stop_hub() { kill "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }
on ana capture $FORM --answers examples/machipanda.json --finalize
on bento capture $FORM --answers examples/ressano_garcia.json --finalize
start_hub
# Dina's new tablet has never been online: it joins with the code the hub shows.
CODE=$(sed -n 's/.*enrolment code for a new device: \([0-9]*\).*/\1/p' "$WORK/hub.out" | tail -1)
on dina init --enumerator dina > /dev/null
on dina enrol --hub "$HUB" --user dina --code "$CODE" --device-name dina-tablet
on dina capture $FORM --answers examples/machipanda.json --finalize
on dina sync --hub "$HUB"
on ana sync --hub "$HUB"                              # over the office Wi-Fi
on bento bundle export --out "$WORK/stick/bento.bundle"  # on a USB stick
on sara bundle import "$WORK/stick/bento.bundle"
stop_hub
on ana status
echo "(the stick holds one encrypted file: $(head -c 60 "$WORK/stick/bento.bundle")...)"

step "9. The supervisor drives to a connection: the server checks every signature and signs receipts"
on sara sync
on sara status
# Back at the office, she reviews what arrived: one record goes back to Ana.
RETURNED=$("$BIN_DIR/recolha" list --json --store "$WORK/ana.sqlite" | sed -n 's/.*"id" \{0,1\}: "\([^"]*\)".*/\1/p' | tail -1)
on sara review "${RETURNED:0:8}" --return "Confirme o telefone com o responsável" \
  --field respondent_phone="Parece faltar um dígito"
on sara list --review-state has_issues

step "10. The next meeting: receipts and the review travel back; Ana fixes the returned record"
start_hub
on ana sync --hub "$HUB"
on ana list --returned --lang pt         # Ana reads Portuguese (or: recolha language pt, or LANG=pt_MZ)
on ana edit "${RETURNED:0:8}" --set respondent_phone=+258823456789 --lang pt
on ana sync --hub "$HUB"                 # the correction goes back to the review queue
on dina sync --hub "$HUB"
stop_hub
on sara list --review-state corrected   # back in her queue, to approve at the office
on sara sync
on sara bundle export --for bento --out "$WORK/stick/for-bento.bundle"
on bento bundle import "$WORK/stick/for-bento.bundle"
on bento status

step "11. Every store shows the same records as the server"
# The server's view: a brand-new device pulls everything the server holds.
on server-view init --enumerator admin > /dev/null
echo "admin-password-1" | on server-view login --server "$URL" --user admin --password-stdin > /dev/null
on server-view sync > /dev/null
for who in ana bento dina sara server-view; do
  printf '%-12s' "$who"
  for id in $("$BIN_DIR/recolha" list --json --store "$WORK/$who.sqlite" | sed -n 's/.*"id" : "\([^"]*\)".*/\1/p; s/.*"id": "\([^"]*\)".*/\1/p'); do
    printf ' %s:%s' "${id:0:8}" "$("$BIN_DIR/recolha" show "$id" --json --store "$WORK/$who.sqlite" | sha256sum | cut -c1-12)"
  done
  echo
done
echo "(same record id, same fingerprint = the same answers, status and conflicts; enumerators hold their own records, the supervisor holds all)"
on ana status

step "12. The supervisor exports everything as ODK Central shapes it"
on sara export --form $FORM --format csv --out "$WORK/export.csv"
cut -d, -f1-6 "$WORK/export.csv"
ls "$WORK/export-media"

step "13. The server's log: one structured line per request, no answers in it"
tail -n 4 "$WORK/server.log"

step "14. The supervisors' console: the same server, in a browser"
echo "Open $URL/console and sign in as sara with the password sara-password-1"
echo "(the review queue, the record Ana corrected with its history, the overview; English or Portuguese)."
if [ -z "$NO_WAIT" ] && [ -t 0 ]; then
  read -r -p "The server keeps running for the console: press Enter to stop it. " _ || true
fi

step "Done: the server and the hub are stopped and the temporary folder removed."

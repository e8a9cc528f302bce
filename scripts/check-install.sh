#!/usr/bin/env bash
# Proof that the packages install, upgrade and remove as a district IT
# officer would run them (`apt install ./recolha-server_*.deb`): the system
# user, the owner-only data folder and database, the unit, an administrator
# added as the postinst says; an upgrade over it keeps the data; removing
# and purging keep it too. Runs as root on a machine where neither package
# is installed (CI's fresh machine), and leaves it as it found it.
# Usage: scripts/check-install.sh CLIENT.deb SERVER.deb
set -euo pipefail
export LC_ALL=C.UTF-8
client=$1 server=$2
fail() { echo "install check FAILED: $*" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then echo "install check: skipped (needs root)"; exit 0; fi
if dpkg -s recolha-server >/dev/null 2>&1 || dpkg -s recolha >/dev/null 2>&1 || [ -e /var/lib/recolha ] || getent passwd recolha >/dev/null; then
  echo "install check: skipped (recolha is already installed or its data or user exist here; nothing is touched)"
  exit 0
fi

T=$(mktemp -d)
cleanup() {
  dpkg --purge recolha-server recolha >/dev/null 2>&1 || true
  rm -rf /var/lib/recolha /etc/recolha "$T"
  getent passwd recolha >/dev/null && deluser --quiet --system recolha >/dev/null 2>&1 || true
  getent group recolha >/dev/null && delgroup --quiet --system recolha >/dev/null 2>&1 || true
}
trap cleanup EXIT
install_debs() { dpkg -i "$@" > "$T/dpkg.log" 2>&1 || { apt-get install -y -qq -f >> "$T/dpkg.log" 2>&1 && dpkg -i "$@" >> "$T/dpkg.log" 2>&1; } \
  || fail "dpkg -i $*: $(tail -5 "$T/dpkg.log")"; }

# 1. Install.
install_debs "$client" "$server"
grep -q "settings in /etc/recolha/server.env" "$T/dpkg.log" || fail "the postinst did not say where the settings are"
/usr/bin/recolha --version | grep -q '^recolha ' || fail "recolha is not on the path"
getent passwd recolha >/dev/null || fail "no recolha system user"
[ "$(stat -c '%U %a' /var/lib/recolha)" = "recolha 700" ] || fail "/var/lib/recolha is $(stat -c '%U %a' /var/lib/recolha)"
[ -f /lib/systemd/system/recolha-server.service ] && [ -f /etc/recolha/server.env ] || fail "unit or settings missing"
db=$(find /var/lib/recolha -maxdepth 1 -name '*.sqlite' | head -1)
[ -n "$db" ] && [ "$(stat -c '%U %a' "$db")" = "recolha 600" ] || fail "the postinst made no owner-only database: $(ls -la /var/lib/recolha)"
echo "admin-password-1" | runuser -u recolha -- /usr/bin/recolha-server users add ada --role admin --password-stdin --data /var/lib/recolha >/dev/null \
  || fail "the postinst's next step (users add) failed"

# 2. Upgrade over it: the same files as a newer version (dpkg runs prerm,
#    the new postinst and its init, which migrates and keeps the data).
version=$(dpkg-deb -f "$server" Version)
for deb in "$client" "$server"; do
  dpkg-deb -R "$deb" "$T/$(basename "$deb").d"
  sed -i "s/^Version: .*/Version: $version.1/" "$T/$(basename "$deb").d/DEBIAN/control"
  dpkg-deb --root-owner-group -Zgzip -z1 --build "$T/$(basename "$deb").d" "$T/new-$(basename "$deb")" >/dev/null
done
# The data as the release before media left it (schema v5): the upgrade's
# postinst must bring it up to date and say so.
runuser -u recolha -- python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript('DROP TABLE media_pieces; DROP TABLE media_refs; DROP TABLE media; DELETE FROM grdb_migrations WHERE identifier = \"v6-media\";'); c.commit()" "$db" \
  || fail "could not set the data back to the previous release's schema"
install_debs "$T/new-$(basename "$client")" "$T/new-$(basename "$server")"
grep -q "made by an older recolha-server and is now updated for this one (v6-media); nothing in it was lost" "$T/dpkg.log" \
  || fail "the upgrade did not migrate the data or did not say so: $(tail -5 "$T/dpkg.log")"
[ "$(dpkg-query -W -f='${Version}' recolha-server)" = "$version.1" ] || fail "the upgrade did not install"
runuser -u recolha -- /usr/bin/recolha-server users list --data /var/lib/recolha | grep -q ada || fail "the upgrade lost the users"

# 3. Remove, then purge: the program goes, the data stays.
dpkg -r recolha-server recolha > "$T/remove.log" 2>&1 || fail "dpkg -r: $(tail -5 "$T/remove.log")"
[ ! -e /usr/bin/recolha-server ] || fail "removing left the binary"
grep -q "the data in /var/lib/recolha is kept" "$T/remove.log" || fail "removing did not say the data is kept"
dpkg --purge recolha-server recolha > "$T/purge.log" 2>&1 || fail "dpkg --purge: $(tail -5 "$T/purge.log")"
[ -f "$db" ] && getent passwd recolha >/dev/null || fail "purging lost the data or the user"
echo "install check: passed (install, upgrade to $version.1, remove and purge kept /var/lib/recolha)"

#!/usr/bin/env bash
# make dist: two Debian packages, recolha and recolha-server, built in
# release mode with the Swift runtime linked statically, so they depend only
# on Debian's own libraries (never on /opt/swift). Writes them to out/dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/dist
ARCH=$(dpkg --print-architecture)
# RECOLHA_DIST_CONFIG=debug (used by `make test`'s packaging check) builds the
# same packages unoptimized, about half the time of a release build of every
# dependency on two cores. Packages people install come from the default,
# release. Each has its own build folder: objects compiled for a static
# runtime cannot be linked against the shared one (so never .build).
CONFIG=${RECOLHA_DIST_CONFIG:-release}
case "$CONFIG" in
  release) BUILD=.build-dist ;;
  debug) BUILD=.build-dist-debug ;;
  *) echo "dist: RECOLHA_DIST_CONFIG must be release or debug, not '$CONFIG'" >&2; exit 2 ;;
esac
# Man pages made by `make man` from the commands' help and committed
# (ManualTests checks they are current).
MAN=docs/man
# FoundationXML (the workbook reader) needs its C part and libxml2 named when
# linked statically; a release build drops the unused symbols that need them.
LINK=(-Xlinker -l_CFXMLInterface -Xlinker -lxml2)
# Debug packages are only checked, never shipped: fast compression (xz on a
# debug binary takes minutes).
COMPRESS=()
if [ "$CONFIG" = debug ]; then COMPRESS=(-Zgzip -z1); fi
if [ "$CONFIG" = debug ] && ! command -v chrpath >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chrpath >/dev/null
fi
for product in recolha recolha-server; do
  swift build -c "$CONFIG" --static-swift-stdlib --build-path "$BUILD" --product "$product" "${LINK[@]}"
done
BIN=$(swift build -c "$CONFIG" --static-swift-stdlib --build-path "$BUILD" --show-bin-path)
VERSION=$("$BIN/recolha" --version | sed -n 's/^recolha \([0-9][^ ]*\) .*/\1/p')
[ -n "$VERSION" ] || { echo "dist: cannot read the version from recolha --version" >&2; exit 1; }


# Depends: the Debian package of every library the binary names (NEEDED),
# at least the upstream version installed here.
depends() {
  objdump -p "$1" | awk '/NEEDED/ { print $2 }' | while read -r soname; do
    lib=$(ldd "$1" | awk -v n="$soname" '$1 == n && $3 ~ /^\// { print $3 }')
    [ -n "$lib" ] || continue
    dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true
  done | cut -d: -f1 | sort -u | while read -r pkg; do
    v=$(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//')
    echo "$pkg (>= $v)"
  done | paste -sd, - | sed 's/,/, /g'
}

rm -rf "$BUILD/pkg" && mkdir -p "$OUT"
python3 scripts/dist-copyright.py > "$BUILD/copyright"
for name in recolha recolha-server; do
  root="$BUILD/pkg/$name"
  install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$root/usr/share/doc/$name"
  install -m 0755 -s "$BIN/$name" "$root/usr/bin/$name"
  # A debug link names the toolchain's folder in RUNPATH; nothing there is
  # needed (the runtime is linked in), and no package may point into /opt.
  if [ "$CONFIG" = debug ]; then chrpath -d "$root/usr/bin/$name" >/dev/null; fi
  for page in "$MAN/$name".1; do gzip -9n -c "$page" > "$root/usr/share/man/man1/$(basename "$page").gz"; done
  install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
             "$root/usr/share/fish/vendor_completions.d"
  # bash-completion sources the file: no #! line.
  "$BIN/$name" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/$name"
  "$BIN/$name" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_$name"
  "$BIN/$name" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/$name.fish"
  chmod 0644 "$root"/usr/share/*/*completion*/* "$root"/usr/share/fish/vendor_completions.d/* 2>/dev/null || true
  # Recolha's terms and those of every Swift package linked in statically.
  cp "$BUILD/copyright" "$root/usr/share/doc/$name/copyright"
  printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- Recolha team <team@recolha.invalid>  %s\n' \
    "$name" "$VERSION" "$VERSION" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}")" \
    | gzip -9n > "$root/usr/share/doc/$name/changelog.gz"
done

# recolha-server: the unit, its settings, the maintainer scripts.
srv="$BUILD/pkg/recolha-server"
install -D -m 0644 dist/recolha-server.service "$srv/lib/systemd/system/recolha-server.service"
install -D -m 0644 dist/server.env "$srv/etc/recolha/server.env"
echo /etc/recolha/server.env > "$srv/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "dist/recolha-server.$script" "$srv/DEBIAN/$script"; done

control() { # NAME DESCRIPTION LONG EXTRA_DEPENDS
  local root="$BUILD/pkg/$1" deps
  deps=$(depends "$root/usr/bin/$1")
  [ -n "$4" ] && deps="$deps, $4"
  cat > "$root/DEBIAN/control" <<CONTROL
Package: $1
Version: $VERSION
Architecture: $ARCH
Maintainer: Recolha team <team@recolha.invalid>
Installed-Size: $(du -sk "$root" | cut -f1)
Depends: $deps
Section: science
Priority: optional
Description: $2
$3
CONTROL
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  dpkg-deb --root-owner-group "${COMPRESS[@]}" --build "$root" "$OUT/${1}_${VERSION}_${ARCH}.deb" >/dev/null
  echo "$OUT/${1}_${VERSION}_${ARCH}.deb"
}
control recolha "offline field data collector for health facility surveys" \
" Recolha captures surveys (XLSForm or JSON forms, Portuguese and English)
 with no connection into a local SQLite store, and syncs them with a
 recolha-server over HTTP(S) when a connection comes; concurrent edits are
 kept for review, nothing is lost or duplicated." ""
control recolha-server "sync server for Recolha field data collectors" \
" The server Recolha devices sync with: users, devices, published forms,
 and every version of every record, on embedded SQLite or PostgreSQL.
 Runs as the recolha-server systemd service under its own system user." "adduser"

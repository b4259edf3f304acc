#!/usr/bin/env bash
# Unpacks Debian 12's own nodejs 18 (the oldest Node the .deb's "Depends: nodejs (>= 18)" lets
# in) into DIR without installing it, so that the tests run the privileged helper on it, as an
# installed system will. Debian's node loads some of its built-in modules from /usr/share/nodejs:
# run it with that folder overlaid (test/lab/helper-lab.ts does, in a private mount namespace).
# Uses only `apt-get download` (Debian's archive); the host's own node is left alone.
set -euo pipefail
DIR=${1:?usage: fetch-debian-node.sh DIR}
mkdir -p "$DIR/debs"
cd "$DIR/debs"
# The Debian build, not another repository's nodejs of the same name.
VERSION=$(apt-cache madison nodejs | awk -F' [|] ' '$3 ~ /debian\.org/ && $2 ~ /^18\./ {print $2; exit}')
[ -n "$VERSION" ] || { echo "no Debian nodejs 18 in the apt lists (run apt-get update)" >&2; exit 1; }
# apt's sandbox user must be able to write here.
chmod 0777 .
apt-get download -q "nodejs=$VERSION" "libnode108=$VERSION" libc-ares2 node-acorn \
  node-cjs-module-lexer node-undici
chmod 0755 .
rm -rf "$DIR/root"
for deb in ./*.deb; do dpkg-deb -x "$deb" "$DIR/root"; done
echo "$VERSION" >"$DIR/version"
echo "Debian nodejs $VERSION unpacked in $DIR/root"

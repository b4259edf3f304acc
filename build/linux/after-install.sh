#!/bin/sh
# Run by dpkg after the Passerelle .deb is installed (electron-builder `deb.afterInstall`, which
# replaces electron-builder's own script, so its essential steps are repeated here).
# electron-builder fills in the two macros in braces when it packages; the rest is plain sh.
#
# The tunnel engine runs inside the app and must create a TUN device, add routes and set DNS
# for it: that needs CAP_NET_ADMIN, and only that. Giving the capability to the binary means
# the GUI never needs to run as root. Revoke it with:
#   sudo setcap -r '/opt/${sanitizedProductName}/${executable}'
set -e

BINARY='/opt/${sanitizedProductName}/${executable}'
SANDBOX='/opt/${sanitizedProductName}/chrome-sandbox'
LINK='/usr/bin/${executable}'

ln -sf "$BINARY" "$LINK"

# Chromium's sandbox: with working user namespaces the helper needs no setuid bit.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
  chmod 0755 "$SANDBOX" || true
else
  chmod 4755 "$SANDBOX" || true
fi

if command -v setcap >/dev/null 2>&1; then
  setcap cap_net_admin+ep "$BINARY"
else
  echo "passerelle: setcap not found (Debian package libcap2-bin); connecting will fail until" \
    "root runs: setcap cap_net_admin+ep $BINARY" >&2
fi

if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database /usr/share/applications || true
fi
exit 0

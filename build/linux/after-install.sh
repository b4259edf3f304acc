#!/bin/sh
# Run by dpkg after the Passerelle .deb is installed or upgraded (electron-builder
# `deb.afterInstall`, which takes the place of electron-builder's own script: its steps, the
# command link, Chromium's sandbox and the AppArmor profile, are done here too). electron-builder
# fills in the two macros in braces when it packages; the rest is plain sh.
#
# The app runs without any privilege. What needs CAP_NET_ADMIN (the TUN device, routes, DNS) is
# asked of the helper service passerelle-helper, installed and started here (docs/desktop.md).
#
# Every step that depends on the host (systemd running, AppArmor, the desktop databases) may be
# missing or fail in a container or a chroot: it then prints what to do and the install still
# completes. dpkg never leaves the package half-configured because of them.

PRODUCT_DIR='/opt/${sanitizedProductName}'
EXECUTABLE='${executable}'
BINARY="$PRODUCT_DIR/$EXECUTABLE"
SANDBOX="$PRODUCT_DIR/chrome-sandbox"
UNIT='passerelle-helper.service'

warn() {
  echo "passerelle: $*" >&2
}

ln -sf "$BINARY" "/usr/bin/$EXECUTABLE" || warn "could not link /usr/bin/$EXECUTABLE to $BINARY"

# Chromium's sandbox: with working user namespaces its helper needs no setuid bit.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
  chmod 0755 "$SANDBOX" || warn "could not chmod $SANDBOX"
else
  chmod 4755 "$SANDBOX" || warn "could not make $SANDBOX setuid"
fi

if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database /usr/share/mime || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database /usr/share/applications || true
fi

# AppArmor (Ubuntu 24.04 and later restrict unprivileged user namespaces): the profile
# electron-builder ships in resources/ lets Chromium's sandbox use them. Installed only when
# this AppArmor accepts it (older ones do not know its ABI, and do not need it).
if command -v apparmor_status >/dev/null 2>&1 && apparmor_status --enabled >/dev/null 2>&1; then
  PROFILE_SOURCE="$PRODUCT_DIR/resources/apparmor-profile"
  PROFILE_TARGET="/etc/apparmor.d/$EXECUTABLE"
  if apparmor_parser --skip-kernel-load --debug "$PROFILE_SOURCE" >/dev/null 2>&1; then
    if cp -f "$PROFILE_SOURCE" "$PROFILE_TARGET"; then
      # Loading into the running kernel makes no sense in a chroot (an image being built).
      if ! { command -v ischroot >/dev/null 2>&1 && ischroot; }; then
        apparmor_parser --replace --write-cache --skip-read-cache "$PROFILE_TARGET" ||
          warn "the AppArmor profile $PROFILE_TARGET could not be loaded; it is at the next boot"
      fi
    else
      warn "could not install the AppArmor profile $PROFILE_TARGET"
    fi
  else
    echo "passerelle: this AppArmor does not accept the bundled profile; skipped (not needed before its ABI 4.0)"
  fi
fi

# The privileged helper: enabled for every boot, and (re)started now when systemd runs.
if command -v systemctl >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || warn "systemctl daemon-reload failed"
  fi
  systemctl enable "$UNIT" ||
    warn "could not enable $UNIT: connecting will fail until root runs: systemctl enable --now $UNIT"
  if [ -d /run/systemd/system ]; then
    systemctl restart "$UNIT" ||
      warn "could not start $UNIT (see: journalctl -u $UNIT); connecting will fail until it runs"
  else
    warn "systemd is not running here: start $UNIT when it is (systemctl start $UNIT)"
  fi
else
  warn "no systemctl: run '/usr/bin/node $PRODUCT_DIR/resources/helper/passerelle-helper.mjs' as root, confined as $UNIT says"
fi

exit 0

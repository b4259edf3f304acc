#!/bin/sh
# Run by dpkg after the Passerelle .deb is removed or upgraded: drop the command link and the
# AppArmor profile the install made (an upgrade's after-install puts them back), and tell
# systemd the helper's unit is gone.
EXECUTABLE='${executable}'
LINK="/usr/bin/$EXECUTABLE"
PROFILE="/etc/apparmor.d/$EXECUTABLE"

if [ -L "$LINK" ] && [ ! -e "$LINK" ]; then
  rm -f "$LINK"
fi

case "$1" in
  remove | purge)
    if [ -f "$PROFILE" ]; then
      if command -v apparmor_parser >/dev/null 2>&1 &&
        ! { command -v ischroot >/dev/null 2>&1 && ischroot; }; then
        apparmor_parser --remove "$PROFILE" >/dev/null 2>&1 || true
      fi
      rm -f "$PROFILE"
    fi
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl daemon-reload || true
    fi
    ;;
esac
exit 0

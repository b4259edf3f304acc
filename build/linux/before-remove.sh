#!/bin/sh
# Run by dpkg before the Passerelle .deb is removed or upgraded (fpm --before-remove, through
# electron-builder `deb.fpm`). Stopping the helper undoes every tunnel it set up (TUN devices,
# routes, DNS), while its files are still there; on removal it is also disabled.
UNIT='passerelle-helper.service'

if command -v systemctl >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    systemctl stop "$UNIT" || echo "passerelle: could not stop $UNIT" >&2
  fi
  case "$1" in
    remove | purge) systemctl disable "$UNIT" || echo "passerelle: could not disable $UNIT" >&2 ;;
  esac
fi
exit 0

#!/bin/sh
# Run by dpkg after the Passerelle .deb is removed: drop the command link the install made.
# The capability went away with the binary itself.
set -e
LINK='/usr/bin/${executable}'
if [ -L "$LINK" ] && [ ! -e "$LINK" ]; then
  rm -f "$LINK"
fi
exit 0

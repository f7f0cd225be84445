#!/usr/bin/env bash
# Stops the network (fabric:down) and removes its run data. The built binaries stay.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$FABRIC_DIR/down.sh"
rm -rf "$RUN"
echo "fabric:clean: removed $RUN"

#!/usr/bin/env bash
# Stops a network (fabric:down) and removes its run data. The built binaries stay.
#   clean.sh          both networks (run/ and run-bft/)
#   clean.sh --raft   only the Raft one;  clean.sh --bft   only the SmartBFT one
set -euo pipefail
source "$(dirname "$0")/env.sh"
parse_network_flags all "$@" || exit 2
for network in "${NETWORKS[@]}"; do
  "$FABRIC_DIR/down.sh" "--$network"
  select_network "$network"
  rm -rf "$RUN"
  echo "fabric:clean: removed $RUN"
done

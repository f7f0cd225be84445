#!/usr/bin/env bash
# Stops exactly the processes fabric:up started (their pid files under <run>/pids), chaincode server
# and peers first, orderers last; waits for each to exit (SIGKILL after 20 s). Keeps the data.
#   down.sh          both networks: the Raft one (run/) and the SmartBFT one (run-bft/)
#   down.sh --raft   only the Raft one;  down.sh --bft   only the SmartBFT one
set -euo pipefail
source "$(dirname "$0")/env.sh"
parse_network_flags all "$@" || exit 2
stop() {
  local name="$1" file="$PIDS/$1.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "fabric:down: $name (pid $pid) ignored SIGTERM for 20s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.1
    done
    echo "fabric:down: stopped $name (pid $pid)"
  fi
  rm -f "$file"
}
for network in "${NETWORKS[@]}"; do
  select_network "$network"
  if [ ! -d "$PIDS" ]; then
    echo "fabric:down: $NETWORK: nothing to stop ($PIDS does not exist)"
    continue
  fi
  stop chaincode
  for f in "$PIDS"/peer0.*.pid; do [ -e "$f" ] && stop "$(basename "$f" .pid)"; done
  for f in "$PIDS"/orderer*.pid; do [ -e "$f" ] && stop "$(basename "$f" .pid)"; done
  for f in "$PIDS"/*.pid; do [ -e "$f" ] && stop "$(basename "$f" .pid)"; done
  echo "fabric:down: $NETWORK: done (data kept in $RUN; 'npm run fabric:clean' removes it)"
done

# Shared settings of the local Fabric networks (sourced by up.sh, down.sh, clean.sh).
# Two networks that can run side by side, each with its own run folder and port range:
#   raft (default): one Raft orderer, run/, ports 17000-17999 (the node's API uses 7070);
#   bft (--bft):    four SmartBFT orderers, run-bft/, ports 18000-18999.
# Every process listens on 127.0.0.1 only. Sourcing this file selects the raft network;
# `select_network bft` switches every variable below to the BFT one.
FABRIC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$FABRIC_DIR/../.." && pwd)"
BIN="$FABRIC_DIR/bin"
CHANNEL=gnc
CHAINCODE=gnc
CHAINCODE_VERSION=1.0

# Sets NETWORK RUN CRYPTO LOGS PIDS PROFILE ORDERER_LOGGING_SPEC ORDERER_METRICS CHAINCODE_ADDRESS ORDERERS PEER_ORGS and the
# ORDERER_* variables of the first orderer (the one the peer CLI and fabric-network talk to).
select_network() { # raft | bft
  NETWORK="$1"
  case "$NETWORK" in
    raft)
      RUN="${GNC_FABRIC_RUN:-$FABRIC_DIR/run}"
      PROFILE=GncRaft
      ORDERER_LOGGING_SPEC=INFO
      ORDERER_METRICS=disabled
      CHAINCODE_ADDRESS=127.0.0.1:17999
      # name | consenter id | listen port | admin port | operations port
      ORDERERS=("orderer0|1|17050|17053|17443")
      # org key | MSP id | domain | peer port | chaincode port | operations port
      PEER_ORGS=(
        "customsA|CustomsAMSP|customsa.gnc.local|17051|17052|17446"
        "customsB|CustomsBMSP|customsb.gnc.local|17061|17062|17447"
        "auditor|AuditorMSP|auditor.gnc.local|17071|17072|17448"
      )
      ;;
    bft)
      # Fixed, because configtx.yaml's GncBFT profile names run-bft/crypto.
      RUN="$FABRIC_DIR/run-bft"
      PROFILE=GncBFT
      ORDERER_LOGGING_SPEC=INFO:grpc=WARN # four orderers dialling each other: grpc's INFO is mostly noise
      ORDERER_METRICS=prometheus          # /metrics names the current leader (consensus_smartbft_view_leader_id)
      CHAINCODE_ADDRESS=127.0.0.1:18999
      ORDERERS=(
        "orderer0|1|18010|18020|18030"
        "orderer1|2|18011|18021|18031"
        "orderer2|3|18012|18022|18032"
        "orderer3|4|18013|18023|18033"
      )
      PEER_ORGS=(
        "customsA|CustomsAMSP|customsa.gnc.local|18051|18052|18446"
        "customsB|CustomsBMSP|customsb.gnc.local|18061|18062|18447"
        "auditor|AuditorMSP|auditor.gnc.local|18071|18072|18448"
      )
      ;;
    *)
      echo "unknown Fabric network '$NETWORK' (raft or bft)" >&2
      return 2
      ;;
  esac
  CRYPTO="$RUN/crypto"
  LOGS="$RUN/logs"
  PIDS="$RUN/pids"
  ORDERER_ORG_DIR="$CRYPTO/ordererOrganizations/orderer.gnc.local"
  ORDERER_TLS_CA="$ORDERER_ORG_DIR/tlsca/tlsca.orderer.gnc.local-cert.pem"
  orderer_node "${ORDERERS[0]}"
  ORDERER_ADDRESS="127.0.0.1:$O_PORT"
  ORDERER_ADMIN_ADDRESS="127.0.0.1:$O_ADMIN_PORT"
  ORDERER_OPERATIONS_ADDRESS="127.0.0.1:$O_OPS_PORT"
}

# Splits one ORDERERS entry into O_NAME O_ID O_PORT O_ADMIN_PORT O_OPS_PORT O_DIR.
orderer_node() {
  IFS='|' read -r O_NAME O_ID O_PORT O_ADMIN_PORT O_OPS_PORT <<<"$1"
  O_DIR="$ORDERER_ORG_DIR/orderers/$O_NAME.orderer.gnc.local"
}

# Splits one PEER_ORGS entry into ORG MSP DOMAIN PORT CC_PORT OPS_PORT PEER_DIR ADMIN_MSP PEER_TLS_CA.
peer_org() {
  IFS='|' read -r ORG MSP DOMAIN PORT CC_PORT OPS_PORT <<<"$1"
  PEER_DIR="$CRYPTO/peerOrganizations/$DOMAIN/peers/peer0.$DOMAIN"
  ADMIN_MSP="$CRYPTO/peerOrganizations/$DOMAIN/users/Admin@$DOMAIN/msp"
  PEER_TLS_CA="$PEER_DIR/tls/ca.crt"
}

# Environment for the peer CLI acting as the admin of the org last selected with peer_org.
peer_cli() {
  env FABRIC_CFG_PATH="$BIN/config" FABRIC_LOGGING_SPEC=WARN \
    CORE_PEER_ADDRESS="127.0.0.1:$PORT" CORE_PEER_LOCALMSPID="$MSP" CORE_PEER_MSPCONFIGPATH="$ADMIN_MSP" \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE="$PEER_TLS_CA" \
    "$BIN/peer" "$@"
}

pid_alive() {
  [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null
}

# Reads the network flags shared by up.sh, down.sh and clean.sh into NETWORKS (the networks to act
# on): --bft, --raft, or --all; the first argument (raft or all) is what no flag means.
parse_network_flags() { # raft|all args...
  if [ "$1" = all ]; then NETWORKS=(raft bft); else NETWORKS=("$1"); fi
  shift
  local arg
  for arg in "$@"; do
    case "$arg" in
      --bft) NETWORKS=(bft) ;;
      --raft) NETWORKS=(raft) ;;
      --all) NETWORKS=(raft bft) ;;
      *)
        echo "unknown argument '$arg' (expected --raft, --bft or --all)" >&2
        return 2
        ;;
    esac
  done
}

select_network raft

# Shared settings of the local Fabric network (sourced by up.sh, down.sh, clean.sh).
# Every process listens on 127.0.0.1 only; ports are in 17000-17999 (the node's API uses 7070).
FABRIC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$FABRIC_DIR/../.." && pwd)"
BIN="$FABRIC_DIR/bin"
RUN="${GNC_FABRIC_RUN:-$FABRIC_DIR/run}"
CRYPTO="$RUN/crypto"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
CHANNEL=gnc
CHAINCODE=gnc
CHAINCODE_VERSION=1.0
CHAINCODE_ADDRESS=127.0.0.1:17999

ORDERER_ORG_DIR="$CRYPTO/ordererOrganizations/orderer.gnc.local"
ORDERER_TLS_CA="$ORDERER_ORG_DIR/tlsca/tlsca.orderer.gnc.local-cert.pem"
ORDERER_ADDRESS=127.0.0.1:17050
ORDERER_ADMIN_ADDRESS=127.0.0.1:17053
ORDERER_OPERATIONS_ADDRESS=127.0.0.1:17443

# org key | MSP id | domain | peer port | chaincode port | operations port
PEER_ORGS=(
  "customsA|CustomsAMSP|customsa.gnc.local|17051|17052|17446"
  "customsB|CustomsBMSP|customsb.gnc.local|17061|17062|17447"
  "auditor|AuditorMSP|auditor.gnc.local|17071|17072|17448"
)

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

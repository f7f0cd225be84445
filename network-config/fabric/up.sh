#!/usr/bin/env bash
# Starts a local Fabric network as plain processes on 127.0.0.1 (no Docker) and deploys the gnc
# chaincode as a service. Idempotent: steps already done (crypto, channel, chaincode) are skipped,
# processes already running are left alone, so `fabric:up` also restarts a stopped network.
#   up.sh          one Raft orderer, run/, ports 17xxx
#   up.sh --bft    four SmartBFT orderers, run-bft/, ports 18xxx (can run beside the Raft one)
set -euo pipefail
source "$(dirname "$0")/env.sh"
parse_network_flags raft "$@" || exit 2
[ "${#NETWORKS[@]}" = 1 ] || { echo "fabric:up: start one network at a time (--raft or --bft)" >&2; exit 2; }
select_network "${NETWORKS[0]}"

step() { echo "fabric:up: $*"; }
fail() {
  echo "fabric:up: FAILED: $*" >&2
  exit 1
}
failed_process() { # name
  echo "fabric:up: FAILED: $1 is not healthy; last lines of $LOGS/$1.log:" >&2
  tail -n 30 "$LOGS/$1.log" >&2 || true
  exit 1
}

# Polls `check` (a command) every 200 ms until it succeeds, the process `name` dies, or
# `timeout` seconds pass. Polling a health endpoint, never a fixed sleep.
wait_for() { # name timeout description check...
  local name="$1" timeout="$2" what="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$name" ] && ! pid_alive "$name"; then failed_process "$name"; fi
    if ((SECONDS >= deadline)); then
      echo "fabric:up: FAILED: timed out after ${timeout}s waiting for $what" >&2
      [ -n "$name" ] && tail -n 30 "$LOGS/$name.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}
healthz() { curl -fsS --max-time 2 "http://$1/healthz"; }
port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; }

start_process() { # name workdir command... (environment comes from the caller via env)
  local name="$1" dir="$2"
  shift 2
  if pid_alive "$name"; then
    step "$name already running (pid $(cat "$PIDS/$name.pid"))"
    return
  fi
  (cd "$dir" && exec setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null) &
  echo $! >"$PIDS/$name.pid"
  step "started $name (pid $!, log $LOGS/$name.log)"
}

for tool in peer orderer configtxgen osnadmin cryptogen discover; do
  [ -x "$BIN/$tool" ] || fail "$BIN/$tool missing: run 'npm run fabric:install' first"
done
mkdir -p "$LOGS" "$PIDS" "$RUN/channel" "$RUN/chaincode"

# --- crypto material (cryptogen, NodeOUs on)
if [ ! -d "$CRYPTO" ]; then
  step "generating crypto material with cryptogen"
  "$BIN/cryptogen" generate --config="$FABRIC_DIR/crypto-config.yaml" --output="$CRYPTO.tmp" >/dev/null ||
    fail "cryptogen"
  mv "$CRYPTO.tmp" "$CRYPTO"
fi

# --- channel genesis block
BLOCK="$RUN/channel/$CHANNEL.block"
if [ ! -f "$BLOCK" ]; then
  step "creating the genesis block of channel '$CHANNEL' (configtxgen, profile $PROFILE)"
  FABRIC_CFG_PATH="$FABRIC_DIR" "$BIN/configtxgen" -profile "$PROFILE" -channelID "$CHANNEL" \
    -outputBlock "$BLOCK.tmp" >"$LOGS/configtxgen.log" 2>&1 || fail "configtxgen (see $LOGS/configtxgen.log)"
  mv "$BLOCK.tmp" "$BLOCK"
fi

# --- orderers (Raft: one consenter; BFT: four), channel participation API, no system channel
OADMIN="$ORDERER_ORG_DIR/users/Admin@orderer.gnc.local/tls"
for entry in "${ORDERERS[@]}"; do
  orderer_node "$entry"
  O="$O_DIR"
  mkdir -p "$RUN/$O_NAME"
  start_process "$O_NAME" "$RUN" env FABRIC_CFG_PATH="$BIN/config" FABRIC_LOGGING_SPEC="$ORDERER_LOGGING_SPEC" \
    ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 ORDERER_GENERAL_LISTENPORT="$O_PORT" \
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR="$O/msp" \
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$O/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$O/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$O/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$O/tls/server.crt" \
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$O/tls/server.key" ORDERER_GENERAL_CLUSTER_ROOTCAS="[$O/tls/ca.crt]" \
    ORDERER_FILELEDGER_LOCATION="$RUN/$O_NAME/ledger" ORDERER_CONSENSUS_WALDIR="$RUN/$O_NAME/wal" \
    ORDERER_CONSENSUS_SNAPDIR="$RUN/$O_NAME/snap" \
    ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$O_OPS_PORT" ORDERER_METRICS_PROVIDER="$ORDERER_METRICS" \
    ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$O_ADMIN_PORT" ORDERER_ADMIN_TLS_ENABLED=true \
    ORDERER_ADMIN_TLS_PRIVATEKEY="$O/tls/server.key" ORDERER_ADMIN_TLS_CERTIFICATE="$O/tls/server.crt" \
    ORDERER_ADMIN_TLS_ROOTCAS="[$O/tls/ca.crt]" ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
    ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$O/tls/ca.crt]" \
    "$BIN/orderer"
done
for entry in "${ORDERERS[@]}"; do
  orderer_node "$entry"
  wait_for "$O_NAME" 60 "$O_NAME /healthz on 127.0.0.1:$O_OPS_PORT" healthz "127.0.0.1:$O_OPS_PORT"
  # the operations listener opens before the admin one: osnadmin needs the latter
  wait_for "$O_NAME" 60 "$O_NAME admin endpoint on 127.0.0.1:$O_ADMIN_PORT" port_open "127.0.0.1:$O_ADMIN_PORT"
done

osn() { # admin port, osnadmin channel arguments...
  local admin="127.0.0.1:$1"
  shift
  "$BIN/osnadmin" channel "$@" -o "$admin" --ca-file "$ORDERER_TLS_CA" \
    --client-cert "$OADMIN/client.crt" --client-key "$OADMIN/client.key"
}
for entry in "${ORDERERS[@]}"; do
  orderer_node "$entry"
  if ! osn "$O_ADMIN_PORT" list --channelID "$CHANNEL" 2>/dev/null | grep -q '"name": "'"$CHANNEL"'"'; then
    step "joining $O_NAME to channel '$CHANNEL' (osnadmin)"
    osn "$O_ADMIN_PORT" join --channelID "$CHANNEL" --config-block "$BLOCK" >>"$LOGS/osnadmin.log" 2>&1 ||
      fail "osnadmin channel join on $O_NAME (see $LOGS/osnadmin.log)"
  fi
done
channel_active() { osn "$O_ADMIN_PORT" list --channelID "$CHANNEL" | grep -q '"status": "active"'; }
for entry in "${ORDERERS[@]}"; do
  orderer_node "$entry"
  wait_for "$O_NAME" 60 "channel '$CHANNEL' to be active on $O_NAME (osnadmin channel list)" channel_active
done

# --- peers, one per organisation, chaincode as a service through the external builder
BUILDERS="[{name: ccaas, path: $FABRIC_DIR/ccaas-builder, propagateEnvironment: [CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG]}]"
for entry in "${PEER_ORGS[@]}"; do
  peer_org "$entry"
  name="peer0.$ORG"
  mkdir -p "$RUN/$name"
  start_process "$name" "$RUN" env FABRIC_CFG_PATH="$BIN/config" FABRIC_LOGGING_SPEC="INFO:gossip=WARN:comm.grpc.server=WARN" \
    CORE_PEER_ID="peer0.$DOMAIN" CORE_PEER_ADDRESS="127.0.0.1:$PORT" CORE_PEER_LISTENADDRESS="127.0.0.1:$PORT" \
    CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$CC_PORT" CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$CC_PORT" \
    CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$PORT" CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$PORT" \
    CORE_PEER_LOCALMSPID="$MSP" CORE_PEER_MSPCONFIGPATH="$PEER_DIR/msp" \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE="$PEER_DIR/tls/server.crt" \
    CORE_PEER_TLS_KEY_FILE="$PEER_DIR/tls/server.key" CORE_PEER_TLS_ROOTCERT_FILE="$PEER_DIR/tls/ca.crt" \
    CORE_PEER_FILESYSTEMPATH="$RUN/$name/data" CORE_LEDGER_SNAPSHOTS_ROOTDIR="$RUN/$name/snapshots" \
    CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$OPS_PORT" CORE_METRICS_PROVIDER=disabled \
    CORE_VM_ENDPOINT= CORE_CHAINCODE_EXTERNALBUILDERS="$BUILDERS" \
    "$BIN/peer" node start
done
for entry in "${PEER_ORGS[@]}"; do
  peer_org "$entry"
  wait_for "peer0.$ORG" 90 "peer0.$ORG /healthz on 127.0.0.1:$OPS_PORT" healthz "127.0.0.1:$OPS_PORT"
  # /healthz answers before a restarted peer has reopened its ledgers and opened its gRPC port:
  # asking it for its channels then fails as if it had none, and the join fails.
  wait_for "peer0.$ORG" 90 "peer0.$ORG gRPC on 127.0.0.1:$PORT" port_open "127.0.0.1:$PORT"
done

for entry in "${PEER_ORGS[@]}"; do
  peer_org "$entry"
  if ! peer_cli channel list 2>/dev/null | grep -qx "$CHANNEL"; then
    step "joining peer0.$ORG to channel '$CHANNEL'"
    # a restarted peer may answer `channel list` before it has reopened its ledgers: "already exists" is fine
    out="$(peer_cli channel join -b "$BLOCK" 2>&1)" || grep -q "ledger \[$CHANNEL\] already exists" <<<"$out" ||
      { echo "$out" >>"$LOGS/peer-cli.log"; fail "peer channel join for $ORG (see $LOGS/peer-cli.log)"; }
    echo "$out" >>"$LOGS/peer-cli.log"
  fi
done

# --- the chaincode as a service: package, build, server process
PKG="$RUN/chaincode/$CHAINCODE.tgz"
if [ ! -f "$PKG" ]; then
  step "packaging chaincode '$CHAINCODE' as a service (connection.json -> $CHAINCODE_ADDRESS)"
  tmp="$(mktemp -d)"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$CHAINCODE_ADDRESS" >"$tmp/connection.json"
  printf '{"type":"ccaas","label":"%s_%s"}\n' "$CHAINCODE" "$CHAINCODE_VERSION" >"$tmp/metadata.json"
  tar -C "$tmp" -czf "$tmp/code.tar.gz" connection.json
  tar -C "$tmp" -czf "$PKG.tmp" metadata.json code.tar.gz
  rm -rf "$tmp"
  mv "$PKG.tmp" "$PKG"
fi
peer_org "${PEER_ORGS[0]}"
PACKAGE_ID="$(peer_cli lifecycle chaincode calculatepackageid "$PKG")" || fail "peer lifecycle chaincode calculatepackageid"
echo "$PACKAGE_ID" >"$RUN/chaincode/package-id"

CC_DIR="$REPO_DIR/chaincode"
if [ ! -d "$CC_DIR/node_modules/fabric-chaincode-node" ] && [ ! -e "$CC_DIR/node_modules/.bin/fabric-chaincode-node" ]; then
  step "installing the chaincode's dependencies (npm ci in chaincode/)"
  (cd "$CC_DIR" && npm ci --no-audit --no-fund >"$LOGS/chaincode-npm.log" 2>&1) || fail "npm ci in chaincode/ (see $LOGS/chaincode-npm.log)"
fi
if [ ! -f "$CC_DIR/dist/index.js" ] || [ -n "$(find "$CC_DIR/src" -newer "$CC_DIR/dist/index.js" -name '*.ts' -print -quit)" ]; then
  step "building the chaincode (tsc -p chaincode/tsconfig.json)"
  (cd "$CC_DIR" && node_modules/.bin/tsc -p tsconfig.json >"$LOGS/chaincode-build.log" 2>&1) ||
    fail "chaincode build (see $LOGS/chaincode-build.log)"
fi
start_process chaincode "$CC_DIR" env CORE_CHAINCODE_LOGGING_LEVEL=info \
  node node_modules/.bin/fabric-chaincode-node server --chaincode-address "$CHAINCODE_ADDRESS" --chaincode-id "$PACKAGE_ID"
wait_for chaincode 60 "the chaincode server on $CHAINCODE_ADDRESS" port_open "$CHAINCODE_ADDRESS"

# --- lifecycle: install on every peer, approve for every org, commit once
COLLECTIONS="$REPO_DIR/network-config/collections.json"
POLICY="AND('CustomsAMSP.peer','CustomsBMSP.peer')"
ORDERER_FLAGS=(-o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_TLS_CA")
DEFINITION=(--channelID "$CHANNEL" --name "$CHAINCODE" --version "$CHAINCODE_VERSION" --sequence 1
  --signature-policy "$POLICY" --collections-config "$COLLECTIONS")
committed() { peer_cli lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CHAINCODE" >/dev/null 2>&1; }
peer_org "${PEER_ORGS[0]}"
if ! committed; then
  for entry in "${PEER_ORGS[@]}"; do
    peer_org "$entry"
    if ! peer_cli lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$PACKAGE_ID"; then
      step "installing chaincode on peer0.$ORG"
      peer_cli lifecycle chaincode install "$PKG" >>"$LOGS/peer-cli.log" 2>&1 ||
        fail "chaincode install on $ORG (see $LOGS/peer-cli.log)"
    fi
  done
  for entry in "${PEER_ORGS[@]}"; do
    peer_org "$entry"
    step "approving chaincode definition for $MSP"
    peer_cli lifecycle chaincode approveformyorg "${ORDERER_FLAGS[@]}" "${DEFINITION[@]}" --package-id "$PACKAGE_ID" \
      >>"$LOGS/peer-cli.log" 2>&1 || fail "approveformyorg for $MSP (see $LOGS/peer-cli.log)"
  done
  step "committing chaincode definition (endorsement policy $POLICY, collections from network-config/collections.json)"
  endorsers=()
  for entry in "${PEER_ORGS[@]}"; do
    peer_org "$entry"
    endorsers+=(--peerAddresses "127.0.0.1:$PORT" --tlsRootCertFiles "$PEER_TLS_CA")
  done
  peer_org "${PEER_ORGS[0]}"
  peer_cli lifecycle chaincode commit "${ORDERER_FLAGS[@]}" "${DEFINITION[@]}" "${endorsers[@]}" \
    >>"$LOGS/peer-cli.log" 2>&1 || fail "chaincode commit (see $LOGS/peer-cli.log)"
fi
for entry in "${PEER_ORGS[@]}"; do
  peer_org "$entry"
  wait_for "peer0.$ORG" 60 "the chaincode definition on peer0.$ORG" committed
done

# Gateways plan endorsements with service discovery, which knows the other organisations' peers
# (and their chaincodes) only once gossip has spread them: wait until every peer can name
# endorsers for the chaincode, so the first transaction does not fail with "no combination of peers".
endorsers_known() {
  local user="${ADMIN_MSP}"
  "$BIN/discover" endorsers --channel "$CHANNEL" --chaincode "$CHAINCODE" --server "127.0.0.1:$PORT" \
    --peerTLSCA "$PEER_TLS_CA" --userKey "$user/keystore/priv_sk" --userCert "$user/signcerts/Admin@$DOMAIN-cert.pem" \
    --MSP "$MSP" | grep -q CustomsBMSP
}
for entry in "${PEER_ORGS[@]}"; do
  peer_org "$entry"
  wait_for "peer0.$ORG" 120 "service discovery on peer0.$ORG to find endorsers for '$CHAINCODE' (gossip)" endorsers_known
done

# --- a description of the network for the clients and tests
# `orderer` is the first orderer (the one fabric-network sends to); `orderers` lists them all, with
# what the tests need to check block signatures (signCertPath) and ask osnadmin for heights.
ORDERER_LIST="$(printf '%s\n' "${ORDERERS[@]}")" CONSENSUS="$([ "$NETWORK" = bft ] && echo BFT || echo etcdraft)" node -e '
const [run, crypto, channel, chaincode, ordererAddr, ordererCa, ...orgs] = process.argv.slice(1);
const ordererOrg = `${crypto}/ordererOrganizations/orderer.gnc.local`;
const network = { channel, chaincode, orderer: { address: ordererAddr, tlsCaPath: ordererCa }, organizations: {} };
network.consensus = process.env.CONSENSUS;
network.orderers = process.env.ORDERER_LIST.trim().split("\n").map((o) => {
  const [name, id, port, adminPort, opsPort] = o.split("|");
  const node = `${ordererOrg}/orderers/${name}.orderer.gnc.local`;
  return { name, mspId: "OrdererMSP", consenterId: Number(id), address: `127.0.0.1:${port}`,
    adminAddress: `127.0.0.1:${adminPort}`, operations: `127.0.0.1:${opsPort}`, pidFile: `${run}/pids/${name}.pid`,
    signCertPath: `${node}/msp/signcerts/${name}.orderer.gnc.local-cert.pem`, tlsCaPath: ordererCa };
});
network.ordererAdmin = { clientCertPath: `${ordererOrg}/users/Admin@orderer.gnc.local/tls/client.crt`,
  clientKeyPath: `${ordererOrg}/users/Admin@orderer.gnc.local/tls/client.key` };
for (const o of orgs) {
  const [key, mspId, domain, port, , opsPort] = o.split("|");
  const org = `${crypto}/peerOrganizations/${domain}`;
  network.organizations[key] = {
    mspId,
    peer: { name: `peer0.${key}`, address: `127.0.0.1:${port}`, hostname: `peer0.${domain}`,
      tlsCaPath: `${org}/peers/peer0.${domain}/tls/ca.crt`, operations: `127.0.0.1:${opsPort}`,
      blockfileDir: `${run}/peer0.${key}/data/ledgersData/chains/chains/${channel}`, pidFile: `${run}/pids/peer0.${key}.pid` },
    caCertPath: `${org}/ca/ca.${domain}-cert.pem`,
    caKeyPath: `${org}/ca/priv_sk`,
  };
}
require("node:fs").writeFileSync(`${run}/network.json`, JSON.stringify(network, null, 2) + "\n");
' "$RUN" "$CRYPTO" "$CHANNEL" "$CHAINCODE" "$ORDERER_ADDRESS" "$ORDERER_TLS_CA" "${PEER_ORGS[@]}"
step "$NETWORK network is up: channel '$CHANNEL', chaincode '$CHAINCODE' ($PACKAGE_ID); description in $RUN/network.json"

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { blockHeaderBytes } from '../../node/src/fabric';
import {
  connectionFromDescription,
  createFabricGatewayConnection,
  type FabricGatewayClient,
  type LocalNetworkDescription,
} from '../../node/src/ledger/fabric-gateway';
import type { LedgerClient, SubmittedTransaction } from '../../node/src/ledger/ledger-client';
import { LedgerUnavailableError } from '../../node/src/ledger/ledger-errors';
import { evaluateJson, submitJson } from '../compliance/ledger-helpers';
import { runLedgerComplianceSuite, type OrgName, type Role } from '../compliance/ledger-suite';
import { sampleDeclaration, type DeclarationRecord } from '../compliance/sample-data';
import { FABRIC_DIR, ORGS, RUN_DIR, fabricFixture, readNetwork } from './local-network';

// The SmartBFT variant of the local network (`npm run fabric:up -- --bft`: four orderers, run-bft/,
// ports 18xxx), through @hyperledger/fabric-gateway, the client that works with BFT ordering.
// Run by `npm run test:fabric:bft`, which sets GNC_FABRIC_BFT=1 and points GNC_FABRIC_RUN at
// run-bft/. Without GNC_FABRIC_BFT=1 this file registers nothing, so the default
// `npm run test:fabric` (whose glob includes it) runs exactly what it ran before.

interface BftOrderer {
  name: string;
  mspId: string;
  consenterId: number;
  address: string;
  adminAddress: string;
  operations: string;
  pidFile: string;
  signCertPath: string;
  tlsCaPath: string;
}

/** run-bft/network.json: the usual description plus every orderer (up.sh writes both). */
interface BftNetworkDescription extends LocalNetworkDescription {
  consensus: string;
  orderers: BftOrderer[];
  ordererAdmin: { clientCertPath: string; clientKeyPath: string };
}

const BFT_RUN_DIR = path.join(FABRIC_DIR, 'run-bft');
const UP_SCRIPT = path.join(FABRIC_DIR, 'up.sh');
/** A quorum of four SmartBFT consenters (F = 1): ceil((N + F + 1) / 2). */
const QUORUM = 3;

type Fixture = Awaited<ReturnType<typeof fabricFixture<FabricGatewayClient>>>;

/**
 * test/fabric's fixture over fabric-gateway, with one addition: a submit resolves only once the
 * peers of all three organisations have committed its block, not only the gateway's own peer.
 * The compliance suite reads (and endorses) through other organisations' peers straight after a
 * commit. Under SmartBFT each peer pulls blocks from its own choice of the four orderers, which
 * commit a decided block at slightly different times, so a peer lags another by more than 5 ms
 * for about a third of the blocks (under Raft, one orderer feeds all peers: under a tenth), and
 * without this wait the suite fails 1 to 4 tests per run with stale reads ("declaration ... does
 * not exist", an old status). Fabric promises no cross-peer read-your-writes; this waits for it.
 */
async function gatewayFixture(): Promise<Fixture> {
  const fixture = await fabricFixture((org, network) =>
    Promise.resolve(createFabricGatewayConnection(connectionFromDescription(network, org))),
  );
  const peers = ORGS.map((org) => ({ org, client: fixture.clientOf(org, 'none') }));
  const clientOf = (org: OrgName, role: Role) => committedOnEveryPeer(fixture.clientOf(org, role), peers);
  return { ...fixture, clientOf, client: clientOf };
}

/** `client`, whose submit also waits until every peer's height passes the transaction's block. */
function committedOnEveryPeer<C extends LedgerClient>(
  client: C,
  peers: ReadonlyArray<{ org: string; client: LedgerClient }>,
): C {
  const submit = async (...args: Parameters<LedgerClient['submit']>): Promise<SubmittedTransaction> => {
    const tx = await client.submit(...args);
    await waitFor(
      async () => (await Promise.all(peers.map((peer) => peer.client.height()))).every((h) => h > tx.blockNumber),
      30_000,
      `every organisation's peer to commit block ${tx.blockNumber}`,
    );
    return tx;
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'submit') return submit;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

if (process.env.GNC_FABRIC_BFT === '1') {
  // A root hook: runs once before every describe of the run (test:fabric:bft runs only this file).
  before(async function () {
    this.timeout(600_000);
    if (path.resolve(RUN_DIR) !== BFT_RUN_DIR) {
      throw new Error(`GNC_FABRIC_RUN must name ${BFT_RUN_DIR} (it is ${RUN_DIR}): run 'npm run test:fabric:bft'`);
    }
    if (!(await bftNetworkUp())) upBft();
    const network = readBftNetwork();
    assert.equal(network.consensus, 'BFT', `${RUN_DIR}/network.json does not describe the SmartBFT network`);
    assert.equal(network.orderers.length, 4);
  });

  describe('Fabric SmartBFT network (fabric-gateway): four orderers', function () {
    this.timeout(120_000);
    let fixture: Fixture;
    let network: BftNetworkDescription;
    let lodgedIn: bigint | undefined;
    before(async function () {
      network = readBftNetwork();
      fixture = await gatewayFixture();
    });
    after(async function () {
      await fixture?.teardown();
    });

    it('lodges a declaration and reads it back', async function () {
      const input = sampleDeclaration();
      const { tx, value } = await submitJson<DeclarationRecord>(
        fixture.clientOf('customsA', 'single-window'),
        'Declaration',
        'Lodge',
        [input],
      );
      assert.equal(value.status, 'LODGED');
      const read = await evaluateJson<DeclarationRecord>(
        fixture.clientOf('auditor', 'auditor'),
        'Declaration',
        'GetDeclaration',
        [input.id],
      );
      assert.equal(read.id, input.id);
      assert.equal(read.status, 'LODGED');
      lodgedIn = tx.blockNumber;
    });

    it(`commits that block with valid signatures of at least ${QUORUM} of the 4 orderers (BFT quorum)`, async function () {
      assert.ok(lodgedIn !== undefined, 'the lodge test did not run');
      const block = await readBlock(fixture.clientOf('auditor', 'auditor'), lodgedIn);
      const signers = verifiedBlockSigners(block, network);
      assert.ok(
        signers.length >= QUORUM,
        `block ${lodgedIn} is signed by consenters [${signers.join(', ')}]: fewer than ${QUORUM}`,
      );
    });
  });

  // The contract compliance suite, unchanged, through fabric-gateway on the BFT network (with the
  // wait for every peer described at gatewayFixture).
  runLedgerComplianceSuite('fabric-gateway, SmartBFT ordering', gatewayFixture);

  describe('Fabric SmartBFT network (fabric-gateway): one orderer down', function () {
    this.timeout(240_000);
    let fixture: Fixture;
    let network: BftNetworkDescription;
    let victim: BftOrderer;
    let heightWhileDown = 0;
    before(async function () {
      network = readBftNetwork();
      // the current leader, the hardest orderer to lose: the other three must notice (heartbeat
      // timeout) and elect a new one (view change) before anything commits again
      victim = await currentLeader(network);
      fixture = await gatewayFixture();
    });
    after(async function () {
      await fixture?.teardown();
      // leave the network whole for whoever runs next, even when a test failed half way
      const pid = readPid(victim.pidFile);
      if (pid === undefined || !isAlive(pid)) upBft();
    });

    it('keeps committing transactions with the leader, one of the four orderers, killed', async function () {
      const pid = readPid(victim.pidFile);
      assert.ok(pid !== undefined && isAlive(pid), `${victim.name} is not running (${victim.pidFile})`);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 30_000, `${victim.name} (pid ${pid}) to exit`);

      const writer = fixture.clientOf('customsA', 'single-window');
      const reader = fixture.clientOf('auditor', 'auditor');
      let last: bigint | undefined;
      for (let i = 0; i < 3 || (last === undefined && i < 6); i++) {
        const input = sampleDeclaration();
        try {
          const { tx } = await submitJson<DeclarationRecord>(writer, 'Declaration', 'Lodge', [input]);
          last = tx.blockNumber;
        } catch (error) {
          // Fabric's gateway needs 3 of 4 orderers to accept a BFT broadcast; with one dead, a live
          // orderer that answers after the transaction was already ordered ("request already
          // processed") counts as a failure and the submit reports UNAVAILABLE although the
          // transaction commits (hyperledger/fabric#4415). The ledger decides: it must be there.
          if (!(error instanceof LedgerUnavailableError && /insufficient number of orderers/.test(error.message))) {
            throw error;
          }
          console.log(`      (gateway reported ${error.message}; checking the ledger for ${input.id})`);
          await waitFor(
            () =>
              evaluateJson<DeclarationRecord>(reader, 'Declaration', 'GetDeclaration', [input.id]).then(
                () => true,
                () => false,
              ),
            30_000,
            `${input.id} to commit although the gateway reported UNAVAILABLE`,
          );
        }
        const read = await evaluateJson<DeclarationRecord>(reader, 'Declaration', 'GetDeclaration', [input.id]);
        assert.equal(read.id, input.id);
      }
      assert.ok(last !== undefined);

      // blocks ordered now carry the signatures of the three live orderers, never the dead one's
      const signers = verifiedBlockSigners(await readBlock(reader, last), network);
      assert.ok(signers.length >= QUORUM, `block ${last} is signed by [${signers.join(', ')}]`);
      assert.ok(!signers.includes(victim.consenterId), `block ${last} carries a signature of the killed orderer`);

      const live = network.orderers.filter((orderer) => orderer !== victim);
      heightWhileDown = Math.min(...(await Promise.all(live.map((orderer) => ordererHeight(network, orderer)))));
      assert.ok(heightWhileDown > Number(last), `live orderers at height ${heightWhileDown}, block ${last} committed`);
    });

    it('catches up with the blocks it missed once restarted', async function () {
      assert.ok(heightWhileDown > 0, 'the previous test did not run');
      upBft(); // restarts exactly the stopped orderer (up.sh leaves running processes alone)
      const restarted = readPid(victim.pidFile);
      assert.ok(restarted !== undefined && isAlive(restarted), `${victim.name} did not restart`);
      await waitFor(
        async () => (await ordererHeight(network, victim).catch(() => 0)) >= heightWhileDown,
        90_000,
        `${victim.name} to reach height ${heightWhileDown}`,
      );

      // and it takes part again: a new block reaches all four orderers
      const { tx } = await submitJson(fixture.clientOf('customsB', 'single-window'), 'Declaration', 'Lodge', [
        sampleDeclaration(),
      ]);
      const target = Number(tx.blockNumber) + 1;
      for (const orderer of network.orderers) {
        await waitFor(
          async () => (await ordererHeight(network, orderer).catch(() => 0)) >= target,
          60_000,
          `${orderer.name} to reach height ${target}`,
        );
      }
    });
  });
}

function readBftNetwork(): BftNetworkDescription {
  return readNetwork() as BftNetworkDescription;
}

/** Runs `up.sh --bft` (idempotent: starts what is not running, skips what is done). */
function upBft(): void {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  delete env.GNC_FABRIC_RUN; // the Raft network's override; the BFT run folder is fixed
  const up = spawnSync('bash', [UP_SCRIPT, '--bft'], { encoding: 'utf8', env, timeout: 600_000 });
  assert.equal(up.status, 0, `fabric:up -- --bft failed:\n${up.stdout}\n${up.stderr}`);
}

/** Every process up.sh --bft starts is alive and every orderer answers /healthz. */
async function bftNetworkUp(): Promise<boolean> {
  if (!existsSync(path.join(RUN_DIR, 'network.json'))) return false;
  const network = readBftNetwork();
  if (network.consensus !== 'BFT' || !Array.isArray(network.orderers)) return false;
  const pidFiles = [
    ...network.orderers.map((orderer) => orderer.pidFile),
    ...Object.values(network.organizations).map((org) => org.peer.pidFile),
    path.join(RUN_DIR, 'pids', 'chaincode.pid'),
  ];
  if (!pidFiles.every((file) => isAlive(readPid(file)))) return false;
  const healthy = await Promise.all(
    network.orderers.map((orderer) =>
      fetch(`http://${orderer.operations}/healthz`).then(
        (response) => response.ok,
        () => false,
      ),
    ),
  );
  return healthy.every(Boolean);
}

/** The block `number` as the peer delivers it (common.Block, with its metadata). */
async function readBlock(client: FabricGatewayClient, number: bigint): Promise<common.Block> {
  const blocks = client.blocks({ startBlock: number });
  try {
    for await (const block of blocks) return common.Block.deserializeBinary(block.bytes);
  } finally {
    blocks.close();
  }
  throw new Error(`no block ${number} delivered`);
}

/**
 * The consenter ids whose signatures on `block` verify. A SmartBFT block's SIGNATURES metadata holds
 * one MetadataSignature per signing orderer with an empty signature_header and an identifier_header
 * (common.IdentifierHeader: the consenter's numeric id and a nonce) instead; each signs
 * metadata.value || identifier_header || the header's ASN.1 bytes, as protoutil's
 * BlockSignatureVerifier checks, with the key of the identity the channel config maps that id to.
 * Throws on a signature that does not verify or names no consenter.
 */
function verifiedBlockSigners(block: common.Block, network: BftNetworkDescription): number[] {
  const header = block.getHeader();
  assert.ok(header, 'block without header');
  const headerBytes = blockHeaderBytes(
    BigInt(header.getNumber()),
    header.getPreviousHash_asU8(),
    header.getDataHash_asU8(),
  );
  const entry = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
  assert.ok(entry && entry.length > 0, `block ${header.getNumber()} has no SIGNATURES metadata`);
  const metadata = common.Metadata.deserializeBinary(entry);
  const signers = new Set<number>();
  for (const signature of metadata.getSignaturesList()) {
    assert.equal(signature.getSignatureHeader_asU8().length, 0, 'a BFT block signature carries no signature header');
    const identifierHeader = signature.getIdentifierHeader_asU8();
    const id = common.IdentifierHeader.deserializeBinary(identifierHeader).getIdentifier();
    const orderer = network.orderers.find((candidate) => candidate.consenterId === id);
    assert.ok(orderer, `block ${header.getNumber()} is signed by consenter ${id}, which is not in the channel`);
    const key = new X509Certificate(readFileSync(orderer.signCertPath)).publicKey;
    const signed = Buffer.concat([metadata.getValue_asU8(), identifierHeader, headerBytes]);
    assert.ok(
      verify('sha256', signed, key, signature.getSignature_asU8()),
      `the signature of consenter ${id} (${orderer.name}) on block ${header.getNumber()} does not verify`,
    );
    signers.add(id);
  }
  return [...signers].sort((a, b) => a - b);
}

/**
 * The orderer that leads the current view, as the majority of orderers report it on /metrics
 * (consensus_smartbft_view_leader_id; up.sh --bft turns the prometheus provider on).
 */
async function currentLeader(network: BftNetworkDescription): Promise<BftOrderer> {
  const votes = new Map<number, number>();
  for (const orderer of network.orderers) {
    const text = await fetch(`http://${orderer.operations}/metrics`).then(
      (response) => (response.ok ? response.text() : ''),
      () => '',
    );
    const match = /^consensus_smartbft_view_leader_id\{[^}]*channel="[^"]*"[^}]*\} (\d+)/m.exec(text);
    if (match?.[1]) votes.set(Number(match[1]), (votes.get(Number(match[1])) ?? 0) + 1);
  }
  const [id, count] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
  const leader = network.orderers.find((orderer) => orderer.consenterId === id);
  assert.ok(
    leader && count !== undefined && count >= QUORUM,
    `no agreed leader on /metrics: ${JSON.stringify([...votes])}`,
  );
  return leader;
}

/** The orderer's ledger height for the channel, from its channel participation API (osnadmin's). */
function ordererHeight(network: BftNetworkDescription, orderer: BftOrderer): Promise<number> {
  const [host, port] = orderer.adminAddress.split(':');
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host,
        port: Number(port),
        path: `/participation/v1/channels/${network.channel}`,
        ca: readFileSync(orderer.tlsCaPath),
        cert: readFileSync(network.ordererAdmin.clientCertPath),
        key: readFileSync(network.ordererAdmin.clientKeyPath),
        timeout: 5_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) {
            reject(new Error(`${orderer.name}: HTTP ${response.statusCode}: ${body}`));
            return;
          }
          resolve((JSON.parse(body) as { height: number }).height);
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${orderer.name}: no answer within 5s`)));
    request.on('error', reject);
    request.end();
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

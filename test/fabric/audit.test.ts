import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { clientLiveState } from '../../node/src/audit/live-state';
import { auditBlocks } from '../../node/src/audit/verify-ledger';
import { connectionFromDescription, createFabricGatewayConnection } from '../../node/src/ledger/fabric-gateway';
import type { LedgerClient } from '../../node/src/ledger/ledger-client';
import { buildProof, canonicalProofText, verifyProofText, type ProvenanceProof } from '../../node/src/proof';
import { newSalt, submitJson } from '../compliance/ledger-helpers';
import { sampleDeclaration } from '../compliance/sample-data';
import { REPO_DIR, RUN_DIR, fabricFixture } from './local-network';

// The auditor and the trader against the real network: every signature of the peer's chain
// checked (orderer, creators, endorsements under AND(CustomsA, CustomsB) read from _lifecycle),
// the replayed records compared with the peer's, and a provenance proof built from delivered
// blocks and verified offline with the organisations' CA certificates pinned.

type Fixture = Awaited<ReturnType<typeof fabricFixture<LedgerClient>>>;

describe('Fabric network: audit and provenance proofs', function () {
  this.timeout(180_000);
  let fixture: Fixture;
  let blocks: common.Block[];
  let declarationId: string;
  let txId: string;

  before(async function () {
    fixture = await fabricFixture((org, network) =>
      Promise.resolve(createFabricGatewayConnection(connectionFromDescription(network, org))),
    );
    const input = sampleDeclaration();
    declarationId = input.id;
    const { tx } = await submitJson(fixture.clientOf('customsA', 'single-window'), 'Declaration', 'Lodge', [input], {
      confidential: {
        collection: 'AgreementAB',
        fields: { 'goodsItems[0].customsValue': { value: '999.99', salt: newSalt() } },
      },
    });
    txId = tx.txId;
    blocks = await fetchBlocks(fixture.clientOf('auditor', 'auditor'));
  });
  after(async () => {
    await fixture?.teardown();
  });

  it('verifies every block and signature delivered by the peer, and the records against its state', async () => {
    const report = await auditBlocks(blocks, {
      liveState: clientLiveState(fixture.clientOf('auditor', 'auditor'), 'gnc', 'peer0.auditor through fabric-gateway'),
    });
    assert.deepEqual(report.faults, [], JSON.stringify(report.faults, null, 2));
    assert.equal(report.intact, true, JSON.stringify(report.state.mismatches.slice(0, 5)));
    assert.ok(report.signaturesChecked > report.transactions.total);
    assert.equal(report.endorsementPolicies.gnc?.policy, "AND('CustomsAMSP.peer','CustomsBMSP.peer')");
    assert.match(report.endorsementPolicies.gnc?.source ?? '', /_lifecycle/);
    assert.ok(report.state.keysCompared > 0);
  });

  it("passes gnc audit verify on peer0.customsA's blockfile, with the state comparison skipped and said so", function () {
    const peer = fixture.network.organizations.customsA?.peer;
    assert.ok(peer);
    const run = spawnSync(
      process.execPath,
      [path.join(REPO_DIR, 'bin', 'gnc.js'), 'audit', 'verify', '--blockfile', peer.blockfileDir],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, `gnc audit verify failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /state: only a blockfile was given/);
    assert.match(run.stdout, /endorsement policy of gnc: AND\('CustomsAMSP.peer','CustomsBMSP.peer'\)/);
  });

  it('builds a proof from delivered blocks that verifies offline with the CA roots pinned, and fails when changed', async () => {
    const located = locate(blocks, txId);
    const confidential = JSON.parse(
      Buffer.from(
        await fixture
          .clientOf('customsA', 'officer')
          .evaluate({ contract: 'Declaration', name: 'GetConfidential', args: [declarationId] }),
      ).toString('utf8'),
    ) as { fields: Record<string, { value: unknown; salt: string }> };
    const proof = await buildProof(
      { block: (n) => Promise.resolve(blocks[n] as common.Block) },
      {
        namespace: 'gnc',
        key: `\u0000declaration\u0000${declarationId}\u0000`,
        txId,
        blockNumber: located.block,
        txIndex: located.tx,
        policyFrom: 'lifecycle',
        disclosures: {
          'goodsItems[0].customsValue': confidential.fields['goodsItems[0].customsValue'] as {
            value: unknown;
            salt: string;
          },
        },
      },
    );
    const text = canonicalProofText(proof);
    const roots = caRoots();
    const result = verifyProofText(text, { trustedRoots: roots });
    assert.equal(result.valid, true, JSON.stringify(result.checks, null, 2));
    assert.equal(result.pinned, true);
    assert.match(
      result.checks.find((c) => c.name === 'endorsements')?.detail ?? '',
      /CustomsAMSP.*CustomsBMSP|CustomsBMSP.*CustomsAMSP/,
    );

    const changed = JSON.parse(text) as ProvenanceProof;
    changed.disclosures['goodsItems[0].customsValue'] = {
      value: '1.00',
      salt: changed.disclosures['goodsItems[0].customsValue']?.salt ?? '',
    };
    assert.match(
      verifyProofText(canonicalProofText(changed), { trustedRoots: roots }).summary,
      /disclosures does not hold/,
    );
    const weaker = JSON.parse(text) as ProvenanceProof;
    weaker.endorsementPolicy.policy = "OR('CustomsAMSP.peer')";
    assert.equal(verifyProofText(canonicalProofText(weaker), { trustedRoots: roots }).valid, false);
  });
});

/** Every block from 0 to the current height, delivered by the peer. */
async function fetchBlocks(client: LedgerClient): Promise<common.Block[]> {
  const height = Number(await client.height());
  const out: common.Block[] = [];
  const stream = client.blocks({ startBlock: 0n });
  try {
    for await (const block of stream) {
      out.push(common.Block.deserializeBinary(block.bytes));
      if (out.length >= height) break;
    }
  } finally {
    stream.close();
  }
  return out;
}

function locate(blocks: common.Block[], txId: string): { block: number; tx: number } {
  for (const [n, block] of blocks.entries()) {
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    for (const [i, envelope] of envelopes.entries()) {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8());
      const header = common.ChannelHeader.deserializeBinary(
        payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
      );
      if (header.getTxId() === txId) return { block: n, tx: i };
    }
  }
  throw new Error(`transaction ${txId} is in none of the ${blocks.length} blocks`);
}

/** The CA certificates cryptogen made for every organisation: what a bank or buyer would pin. */
function caRoots(): string[] {
  const roots: string[] = [];
  for (const kind of ['peerOrganizations', 'ordererOrganizations']) {
    const base = path.join(RUN_DIR, 'crypto', kind);
    for (const org of readdirSync(base)) {
      const dir = path.join(base, org, 'ca');
      for (const file of readdirSync(dir))
        if (file.endsWith('-cert.pem')) roots.push(readFileSync(path.join(dir, file), 'utf8'));
    }
  }
  return roots;
}

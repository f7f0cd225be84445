import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { common, ledger as ledgerProtos, peer } from '@hyperledger/fabric-protos';
import { embeddedLiveState } from '../../../node/src/audit/live-state';
import { auditBlockfile, auditBlocks, type LedgerAuditReport } from '../../../node/src/audit/verify-ledger';
import { blockDataHash, blockHeaderHash } from '../../../node/src/fabric/block-hash';
import { encodeBlockfileRecord } from '../../../node/src/fabric/blockfile';
import { readBlockfiles } from '../../../node/src/fabric/blockfile-reader';
import { createCertificateAuthority, createSigningIdentity } from '../../../node/src/identity';
import type { SigningIdentity } from '../../../node/src/identity/signing-identity';
import { signBlockMetadata } from '../../../node/src/ledger/embedded/channel-config';
import type { EmbeddedLedger } from '../../../node/src/ledger/embedded/embedded-ledger';
import {
  buildProposal,
  buildTransactionEnvelope,
  endorse,
} from '../../../node/src/ledger/embedded/transaction-builder';
import { openTestLedger } from '../../support/embedded-ledger-fixture';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { createTestOrganizations, temporaryDirectory, type TestOrganizations } from '../../support/test-organizations';

const V = peer.TxValidationCode;

describe('gnc audit verify (auditBlockfile) on the embedded ledger', function () {
  this.timeout(60_000);
  let orgs: TestOrganizations;
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let ledger: EmbeddedLedger;
  let blocks: common.Block[];

  before(async () => {
    orgs = await createTestOrganizations();
    tmp = await temporaryDirectory('audit');
    ledger = await openTestLedger({
      directory: path.join(tmp.dir, 'ledger'),
      node: orgs.node,
      nodeOrganization: orgs.nodeOrganization,
      organizations: orgs.organizations,
    });
    const window = ledger.client(await orgs.user('customsA', 'single-window'));
    const officer = ledger.client(await orgs.user('customsA', 'officer'));
    for (let i = 0; i < 4; i++) {
      const id = uniqueId('DEC');
      await window.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))] });
      await officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'GREEN'] });
    }
    // Concurrent transactions, one of them an MVCC loser.
    const id = uniqueId('DEC');
    await window.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))] });
    await Promise.allSettled([
      officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'RED'] }),
      officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'YELLOW'] }),
      window.submit({
        contract: 'Declaration',
        name: 'Lodge',
        args: [JSON.stringify(sampleDeclaration(uniqueId('DEC')))],
      }),
    ]);
    blocks = [];
    for await (const item of readBlockfiles(ledger.blockDirectory)) if (item.kind === 'block') blocks.push(item.block);
  });
  after(async () => {
    await ledger?.close();
    await tmp?.remove();
  });

  /** A copy of the chain with `mutate` applied to block `at`, re-hashed and re-signed from there on. */
  async function tampered(at: number, mutate: (block: common.Block) => void, resign = true): Promise<string> {
    const copy = blocks.map((b) => common.Block.deserializeBinary(b.serializeBinary()));
    const target = copy[at] as common.Block;
    mutate(target);
    let previous = blockHeaderHash(copy[at - 1]?.getHeader() as common.BlockHeader);
    for (let n = at; n < copy.length; n++) {
      const block = copy[n] as common.Block;
      const header = block.getHeader() as common.BlockHeader;
      header.setPreviousHash(previous);
      header.setDataHash(blockDataHash(block.getData()?.getDataList_asU8() ?? []));
      if (resign) {
        const flags = Array.from(block.getMetadata()?.getMetadataList_asU8()[2] ?? new Uint8Array());
        signBlockMetadata(block, orgs.node, 0, flags);
      }
      previous = blockHeaderHash(header);
    }
    const file = path.join(tmp.dir, `tampered-${at}-${Math.random().toString(16).slice(2)}`);
    await writeFile(file, Buffer.concat(copy.map((b) => encodeBlockfileRecord(b))));
    return file;
  }

  function faultOf(report: LedgerAuditReport, block: number): string {
    const fault = report.faults.find((f) => f.blockNum === block);
    assert.ok(fault, `expected a fault in block ${block}, got ${JSON.stringify(report.faults)}`);
    return fault.errors.join('\n');
  }

  /** A transaction built by hand: `creator` proposes, `endorser` endorses, both may be anyone. */
  async function forgedEnvelope(creator: SigningIdentity, endorser: SigningIdentity): Promise<Uint8Array> {
    const built = await buildProposal({
      channelId: 'gnc',
      chaincodeName: 'gnc',
      args: [Buffer.from('Declaration:GetDeclaration'), Buffer.from('DEC-X')],
      creator,
    });
    const endorsed = await endorse({
      proposal: built,
      chaincodeName: 'gnc',
      chaincodeVersion: '1.0',
      results: new ledgerProtos.rwset.TxReadWriteSet().serializeBinary(),
      events: undefined,
      status: 200,
      message: '',
      payload: Buffer.alloc(0),
      endorser,
    });
    return (await buildTransactionEnvelope(built, endorsed, creator)).envelopeBytes;
  }

  function appendEnvelope(block: common.Block, envelope: Uint8Array): void {
    const data = block.getData() as common.BlockData;
    data.setDataList([...data.getDataList_asU8(), envelope]);
    const metadata = block.getMetadata() as common.BlockMetadata;
    const list = metadata.getMetadataList_asU8();
    list[2] = Uint8Array.from([...(list[2] ?? []), V.VALID]);
    metadata.setMetadataList(list);
  }

  async function rogue(mspId: string, nodeOU: 'client' | 'peer'): Promise<SigningIdentity> {
    const ca = await createCertificateAuthority({ mspId, organization: 'rogue administration' });
    return createSigningIdentity({
      mspId,
      ...(await ca.issue({ commonName: `rogue.${nodeOU}`, nodeOU, role: 'officer' })),
    });
  }

  it('finds the ledger intact with every signature checked and the replayed state equal to LevelDB', async () => {
    const progress: number[] = [];
    const report = await auditBlockfile(ledger.blockDirectory, {
      liveState: embeddedLiveState(ledger.stateStore, 'gnc', 'the test LevelDB'),
      progressInterval: 2,
      onProgress: (p) => progress.push(p.blocks),
    });
    assert.deepEqual(report.faults, []);
    assert.equal(report.intact, true);
    assert.equal(report.blocksChecked, blocks.length);
    assert.ok(report.transactions.invalid >= 1, 'the MVCC loser is counted invalid');
    // every block signed once, every transaction: creator + one endorsement
    assert.equal(report.signaturesChecked, blocks.length + 1 + 2 * (report.transactions.total - 1));
    assert.equal(report.state.compared, true);
    assert.ok(report.state.keysCompared > 10);
    assert.deepEqual(report.state.mismatches, []);
    assert.match(report.endorsementPolicies.gnc?.policy ?? '', /OR\('CustomsAMSP.peer'\)/);
    assert.ok(progress.length >= 2);
  });

  it('names a key whose live value differs from the replay', async () => {
    const live = embeddedLiveState(ledger.stateStore, 'gnc', 'altered state');
    const report = await auditBlockfile(ledger.blockDirectory, {
      liveState: {
        ...live,
        async *entries(ns) {
          let first = true;
          for await (const entry of live.entries(ns)) {
            yield first ? { key: entry.key, value: Buffer.from('{"forged":true}') } : entry;
            first = false;
          }
        },
      },
    });
    assert.equal(report.intact, false);
    assert.equal(report.state.mismatches.length, 1);
    assert.match(report.state.mismatches[0]?.problem ?? '', /live value differs/);
  });

  it('names a block whose orderer (node) signature was tampered with', async () => {
    const file = await tampered(
      3,
      (block) => {
        const list = block.getMetadata()?.getMetadataList_asU8() as Uint8Array[];
        const md = common.Metadata.deserializeBinary(list[0] as Uint8Array);
        const sig = md.getSignaturesList()[0] as common.MetadataSignature;
        const bytes = Buffer.from(sig.getSignature_asU8());
        bytes[10] = (bytes[10] as number) ^ 0x01;
        sig.setSignature(bytes);
        list[0] = md.serializeBinary();
        block.getMetadata()?.setMetadataList(list);
      },
      false,
    );
    const report = await auditBlockfile(file);
    assert.match(faultOf(report, 3), /block signature 0 by .*CustomsAMSP.* does not verify/);
    assert.deepEqual(
      report.faults.map((f) => f.blockNum),
      [3],
    );
  });

  it('names a transaction whose creator signature was tampered with (and the block re-signed)', async () => {
    const file = await tampered(2, (block) => {
      const data = block.getData() as common.BlockData;
      const list = data.getDataList_asU8();
      const envelope = common.Envelope.deserializeBinary(list[0] as Uint8Array);
      const signature = Buffer.from(envelope.getSignature_asU8());
      signature[12] = (signature[12] as number) ^ 0x40;
      envelope.setSignature(signature);
      list[0] = envelope.serializeBinary();
      data.setDataList(list);
    });
    const report = await auditBlockfile(file);
    assert.match(
      faultOf(report, 2),
      /transaction 0 \(.*\) is flagged VALID but the creator signature of .* does not verify/,
    );
  });

  it('names a forged endorsement (an endorser certificate from a CA outside the channel)', async () => {
    const forger = await rogue('CustomsAMSP', 'peer');
    const envelope = await forgedEnvelope(await orgs.user('customsA', 'officer'), forger);
    const file = await tampered(4, (block) => appendEnvelope(block, envelope));
    const report = await auditBlockfile(file);
    assert.match(
      faultOf(report, 4),
      /is flagged VALID but endorsement 0: .*rogue\.peer.* is not issued by a root CA of CustomsAMSP/,
    );
  });

  it("names an endorsement that verifies but does not satisfy the policy (another organisation's peer)", async () => {
    const otherPeer = createSigningIdentity(await orgs.userMaterial('customsB', 'officer'));
    const envelope = await forgedEnvelope(await orgs.user('customsA', 'officer'), otherPeer);
    const file = await tampered(4, (block) => appendEnvelope(block, envelope));
    const report = await auditBlockfile(file);
    assert.match(faultOf(report, 4), /namespace gnc: endorsement policy OR\('CustomsAMSP.peer'\) not satisfied/);
  });

  it('names a transaction from an identity of an unknown CA', async () => {
    const stranger = await rogue('CustomsAMSP', 'client');
    const envelope = await forgedEnvelope(stranger, orgs.node);
    const file = await tampered(5, (block) => appendEnvelope(block, envelope));
    const report = await auditBlockfile(file);
    assert.match(
      faultOf(report, 5),
      /is flagged VALID but creator: .*rogue\.client.* is not issued by a root CA of CustomsAMSP/,
    );
  });

  it('names a wrong validation flag, both ways', async () => {
    // A valid Lodge flagged MVCC_READ_CONFLICT (flags are not signed: no re-signing needed).
    const flagged = await tampered(
      1,
      (block) => {
        const list = block.getMetadata()?.getMetadataList_asU8() as Uint8Array[];
        list[2] = Uint8Array.from([V.MVCC_READ_CONFLICT]);
        block.getMetadata()?.setMetadataList(list);
      },
      false,
    );
    const report = await auditBlockfile(flagged);
    assert.match(faultOf(report, 1), /transaction 0 \(.*\) is flagged MVCC_READ_CONFLICT but its reads are current/);

    // The MVCC loser flagged VALID (the concurrent submits may be cut into more than one block).
    const flagsOf = (block: common.Block | undefined) =>
      block?.getMetadata()?.getMetadataList_asU8()[2] ?? new Uint8Array();
    const last = blocks.findLastIndex((block) => flagsOf(block).includes(V.MVCC_READ_CONFLICT));
    assert.ok(last > 0, 'a block holds an MVCC loser');
    const flags = flagsOf(blocks[last]);
    const loser = flags.findIndex((f) => f === V.MVCC_READ_CONFLICT);
    const cleared = await tampered(
      last,
      (block) => {
        const list = block.getMetadata()?.getMetadataList_asU8() as Uint8Array[];
        list[2] = new Uint8Array(flags.length).fill(V.VALID);
        block.getMetadata()?.setMetadataList(list);
      },
      false,
    );
    const report2 = await auditBlockfile(cleared);
    assert.match(
      faultOf(report2, last),
      new RegExp(`transaction ${loser} \\(.*\\) is flagged VALID but read of declaration/DEC-.* is stale`),
    );
  });

  it('reports the faults of a block stream that does not start with a config block', async () => {
    const report = await auditBlocks(blocks.slice(1));
    assert.equal(report.intact, false);
    assert.match(report.faults[0]?.errors.join() ?? '', /not a config block/);
  });
});

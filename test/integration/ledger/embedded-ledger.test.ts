import { strict as assert } from 'node:assert';
import { cp, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { common, ledger as ledger_, peer } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { verifyBlockfile } from '../../../node/src/audit';
import { blockHeaderBytes } from '../../../node/src/fabric/block-hash';
import { verifySignature } from '../../../node/src/identity';
import type { SigningIdentity } from '../../../node/src/identity';
import {
  LedgerCommitError,
  LedgerEndorsementError,
  LedgerUnavailableError,
} from '../../../node/src/ledger/ledger-errors';
import type { EmbeddedLedger, RecoveryReport } from '../../../node/src/ledger/embedded/embedded-ledger';
import { StateStore } from '../../../node/src/ledger/embedded/state-store';
import { openTestLedger } from '../../support/embedded-ledger-fixture';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { createTestOrganizations, temporaryDirectory, type TestOrganizations } from '../../support/test-organizations';

describe('EmbeddedLedger', function () {
  this.timeout(60_000);
  let orgs: TestOrganizations;
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;

  before(async () => {
    orgs = await createTestOrganizations();
    tmp = await temporaryDirectory('embedded');
  });
  after(async () => tmp.remove());

  const openAt = (directory: string, onRecovery?: (r: RecoveryReport) => void) =>
    openTestLedger({
      directory,
      node: orgs.node,
      nodeOrganization: orgs.nodeOrganization,
      organizations: orgs.organizations,
      overrides: onRecovery ? { onRecovery } : {},
    });

  const lodge = async (ledger: EmbeddedLedger, id = uniqueId('DEC')) => {
    const client = ledger.client(await orgs.user('customsA', 'single-window'));
    return client.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))] });
  };

  const blockDir = (directory: string) => path.join(directory, 'chains', 'chains', 'gnc');

  /** Every entry of a closed ledger's LevelDB, keys and values as hex. */
  const levelEntries = async (location: string) => {
    const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const entries = new Map<string, string>();
    try {
      for await (const [key, value] of db.iterator()) entries.set(key.toString('hex'), value.toString('hex'));
    } finally {
      await db.close();
    }
    return entries;
  };

  describe('blocks', () => {
    it('writes a genesis config block and signed Fabric blocks whose endorsements verify with the node certificate', async () => {
      const directory = path.join(tmp.dir, 'blocks');
      const ledger = await openAt(directory);
      try {
        const submitted = await lodge(ledger);
        const genesis = await ledger.readBlock(0);
        const configPayload = common.Payload.deserializeBinary(
          common.Envelope.deserializeBinary(
            genesis.getData()?.getDataList_asU8()[0] ?? new Uint8Array(),
          ).getPayload_asU8(),
        );
        const configHeader = common.ChannelHeader.deserializeBinary(
          configPayload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
        );
        assert.equal(configHeader.getType(), common.HeaderType.CONFIG);
        const config = common.ConfigEnvelope.deserializeBinary(configPayload.getData_asU8()).getConfig();
        const application = config?.getChannelGroup()?.getGroupsMap().get('Application');
        assert.deepEqual(
          application
            ?.getGroupsMap()
            .getEntryList()
            .map(([name]) => name)
            .sort(),
          ['AuditorMSP', 'CustomsAMSP', 'CustomsBMSP'],
        );

        const block = await ledger.readBlock(Number(submitted.blockNumber));
        const header = block.getHeader();
        assert.ok(header);
        // Orderer signature over metadata value || signature header || header bytes.
        const signatures = common.Metadata.deserializeBinary(
          block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array(),
        );
        const signature = signatures.getSignaturesList()[0];
        assert.ok(signature);
        const signed = Buffer.concat([
          signatures.getValue_asU8(),
          signature.getSignatureHeader_asU8(),
          blockHeaderBytes(BigInt(header.getNumber()), header.getPreviousHash_asU8(), header.getDataHash_asU8()),
        ]);
        assert.ok(verifySignature(orgs.node.certificatePem, signed, signature.getSignature_asU8()));
        const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
        assert.deepEqual([...(filter ?? [])], [peer.TxValidationCode.VALID]);

        // The endorsement inside the transaction: signed by the node over response payload || endorser.
        const envelope = common.Envelope.deserializeBinary(block.getData()?.getDataList_asU8()[0] ?? new Uint8Array());
        const transaction = peer.Transaction.deserializeBinary(
          common.Payload.deserializeBinary(envelope.getPayload_asU8()).getData_asU8(),
        );
        const action = peer.ChaincodeActionPayload.deserializeBinary(
          transaction.getActionsList()[0]?.getPayload_asU8() ?? new Uint8Array(),
        );
        const endorsed = action.getAction();
        const endorsement = endorsed?.getEndorsementsList()[0];
        assert.ok(endorsed && endorsement);
        assert.ok(
          verifySignature(
            orgs.node.certificatePem,
            Buffer.concat([endorsed.getProposalResponsePayload_asU8(), endorsement.getEndorser_asU8()]),
            endorsement.getSignature_asU8(),
          ),
        );
        // The creator signed the envelope payload.
        const creator = await orgs.user('customsA', 'single-window');
        assert.ok(verifySignature(creator.certificatePem, envelope.getPayload_asU8(), envelope.getSignature_asU8()));
      } finally {
        await ledger.close();
      }
      const report = await verifyBlockfile(blockDir(directory));
      assert.ok(report.intact);
      assert.equal(report.blocksChecked, 2);
    });
  });

  describe('validation', () => {
    it('verifies the proposal signature of a signing identity not made by createSigningIdentity, and refuses a bad one', async () => {
      const ledger = await openAt(path.join(tmp.dir, 'foreign-signer'));
      const user = await orgs.user('customsA', 'single-window');
      // Signs with the user's real key, over other bytes: a well-formed low-S signature that does not verify.
      const wrongMessage = (message: Uint8Array) => Buffer.concat([Buffer.from(message), Buffer.from([0])]);
      const forger: SigningIdentity = {
        mspId: user.mspId,
        certificatePem: user.certificatePem,
        sign: (message) => user.sign(wrongMessage(message)),
        signAsync: (message) => user.signAsync(wrongMessage(message)),
      };
      const honest: SigningIdentity = {
        mspId: user.mspId,
        certificatePem: user.certificatePem,
        sign: (message) => user.sign(message),
        signAsync: (message) => user.signAsync(message),
      };
      const lodgeAs = (identity: SigningIdentity) =>
        ledger.client(identity).submit({
          contract: 'Declaration',
          name: 'Lodge',
          args: [JSON.stringify(sampleDeclaration(uniqueId('DEC')))],
        });
      try {
        const heightBefore = ledger.height;
        await assert.rejects(lodgeAs(forger), (error: unknown) => {
          assert.ok(error instanceof LedgerEndorsementError);
          assert.match(error.message, /FORBIDDEN: the proposal signature does not verify/);
          return true;
        });
        assert.equal(ledger.height, heightBefore);
        const accepted = await lodgeAs(honest);
        assert.equal((await ledger.stateStore.txLocation(accepted.txId))?.validationCode, peer.TxValidationCode.VALID);
      } finally {
        await ledger.close();
      }
    });

    it('marks the second of two conflicting updates of one record MVCC_READ_CONFLICT and keeps the first', async () => {
      const ledger = await openAt(path.join(tmp.dir, 'mvcc'));
      try {
        const id = uniqueId('DEC');
        await lodge(ledger, id);
        const officer = ledger.client(await orgs.user('customsA', 'officer'));
        const assign = (lane: string) =>
          officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, lane] });
        const outcomes = await Promise.allSettled([assign('GREEN'), assign('RED'), assign('YELLOW')]);
        const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
        const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        assert.equal(fulfilled.length, 1, 'exactly one concurrent update commits');
        assert.equal(rejected.length, 2);
        for (const r of rejected) {
          assert.ok(r.reason instanceof LedgerCommitError);
          assert.equal(r.reason.validationCode, 'MVCC_READ_CONFLICT');
        }
      } finally {
        await ledger.close();
      }
    });

    it('validates each block against the one before it while that block is still being written to state', async () => {
      // One transaction per block: the second and third are validated right after the block before
      // them is appended, when its state write is usually still under way.
      const ledger = await openTestLedger({
        directory: path.join(tmp.dir, 'mvcc-consecutive'),
        node: orgs.node,
        nodeOrganization: orgs.nodeOrganization,
        organizations: orgs.organizations,
        overrides: { maxBlockTransactions: 1 },
      });
      try {
        const officer = ledger.client(await orgs.user('customsA', 'officer'));
        for (let round = 0; round < 5; round++) {
          const id = uniqueId('DEC');
          await lodge(ledger, id);
          const heightBefore = ledger.height;
          const assign = (lane: string) =>
            officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, lane] });
          const outcomes = await Promise.allSettled([assign('GREEN'), assign('RED'), assign('YELLOW')]);
          assert.equal(ledger.height - heightBefore, 3, 'one block per transaction');
          assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'exactly one update commits');
          for (const o of outcomes) {
            if (o.status === 'fulfilled') continue;
            assert.ok(o.reason instanceof LedgerCommitError);
            assert.equal(o.reason.validationCode, 'MVCC_READ_CONFLICT');
          }
        }
      } finally {
        await ledger.close();
      }
    });
  });

  describe('block cutting', () => {
    // A wait far beyond the test timeout: these tests pass only if blocks are cut by the
    // endorsing/queued rule, never by the timer.
    const openWaitingLong = (name: string) =>
      openTestLedger({
        directory: path.join(tmp.dir, name),
        node: orgs.node,
        nodeOrganization: orgs.nodeOrganization,
        organizations: orgs.organizations,
        overrides: { maxBlockWaitMs: 600_000 },
      });

    it('puts at least half of a wave of concurrent submits into the first block', async function () {
      this.timeout(20_000);
      const ledger = await openWaitingLong('wave');
      try {
        const submitted = await Promise.all(Array.from({ length: 20 }, () => lodge(ledger)));
        const perBlock = new Map<bigint, number>();
        for (const tx of submitted) perBlock.set(tx.blockNumber, (perBlock.get(tx.blockNumber) ?? 0) + 1);
        const first = [...perBlock.keys()].sort((a, b) => (a < b ? -1 : 1))[0] ?? 0n;
        assert.ok((perBlock.get(first) ?? 0) >= 10, `blocks: ${JSON.stringify([...perBlock.values()])}`);
      } finally {
        await ledger.close();
      }
    });
  });

  describe('recovery', () => {
    it('cuts off a torn last block and goes on from the block before it', async () => {
      const directory = path.join(tmp.dir, 'torn');
      let ledger = await openAt(directory);
      await lodge(ledger);
      const kept = await lodge(ledger);
      const height = ledger.height;
      const last = ledger.lastBlockLocation;
      await ledger.close();
      assert.ok(last);

      // A crash mid-append leaves the first part of a record: append the first half of the last one again.
      const file = path.join(blockDir(directory), 'blockfile_000000');
      const bytes = await readFile(file);
      const sizeBefore = bytes.length;
      const handle = await open(file, 'a');
      await handle.write(bytes.subarray(last.offset, last.offset + Math.floor(last.length / 2)));
      await handle.close();

      const reports: RecoveryReport[] = [];
      ledger = await openAt(directory, (r) => reports.push(r));
      try {
        assert.equal(reports.length, 1);
        assert.equal(reports[0]?.truncated?.offset, sizeBefore);
        assert.equal((await stat(file)).size, sizeBefore);
        assert.equal(ledger.height, height);
        assert.ok(await ledger.stateStore.txLocation(kept.txId));
        const next = await lodge(ledger);
        assert.equal(Number(next.blockNumber), height);
      } finally {
        await ledger.close();
      }
      assert.ok((await verifyBlockfile(blockDir(directory))).intact);
    });

    it('replays blocks the state database had not yet recorded when the process stopped', async () => {
      const directory = path.join(tmp.dir, 'replay');
      let ledger = await openAt(directory);
      await lodge(ledger);
      await ledger.close();
      await cp(path.join(directory, 'state'), path.join(tmp.dir, 'replay-state-backup'), { recursive: true });

      ledger = await openAt(directory);
      const id = uniqueId('DEC');
      const late = await lodge(ledger, id);
      await ledger.close();
      // Put back the state as it was before the last block: the blockfile is now one block ahead.
      await rm(path.join(directory, 'state'), { recursive: true });
      await cp(path.join(tmp.dir, 'replay-state-backup'), path.join(directory, 'state'), { recursive: true });

      const reports: RecoveryReport[] = [];
      ledger = await openAt(directory, (r) => reports.push(r));
      try {
        assert.equal(reports[0]?.replayedBlocks, 1);
        assert.equal((await ledger.stateStore.txLocation(late.txId))?.block, Number(late.blockNumber));
        const officer = ledger.client(await orgs.user('customsA', 'officer'));
        const record = JSON.parse(
          Buffer.from(
            await officer.evaluate({ contract: 'Declaration', name: 'GetDeclaration', args: [id] }),
          ).toString(),
        ) as { id: string; status: string };
        assert.equal(record.id, id);
        assert.equal(record.status, 'LODGED');
      } finally {
        await ledger.close();
      }
    });

    it('rebuilds from the blockfile the same state, hashes, history and indexes that committing wrote', async () => {
      const directory = path.join(tmp.dir, 'rebuild');
      const ledger = await openAt(directory);
      const singleWindow = ledger.client(await orgs.user('customsA', 'single-window'));
      const officer = ledger.client(await orgs.user('customsA', 'officer'));
      const confidential = {
        collection: 'AgreementAB',
        fields: { invoiceAmount: { value: '1200.50', salt: 'ab'.repeat(16) } },
      };
      const id = uniqueId('DEC');
      try {
        await Promise.all([
          lodge(ledger, id),
          lodge(ledger),
          singleWindow.submit({
            contract: 'Declaration',
            name: 'Lodge',
            args: [JSON.stringify(sampleDeclaration(uniqueId('DEC')))],
            transient: { confidential: Buffer.from(JSON.stringify(confidential)) },
          }),
        ]);
        await officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'GREEN'] });
      } finally {
        await ledger.close();
      }
      const committed = await levelEntries(path.join(directory, 'state'));
      // Forget the state: reopening replays every block from the blockfile.
      await rm(path.join(directory, 'state'), { recursive: true });
      await (await openAt(directory)).close();
      const replayed = await levelEntries(path.join(directory, 'state'));

      // Private values never enter a block, so only they are not rebuilt; their hashes are.
      const publicPart = (entries: Map<string, string>) =>
        new Map([...entries].filter(([key]) => !key.startsWith(Buffer.from('p').toString('hex'))));
      assert.ok([...committed.keys()].some((key) => key.startsWith(Buffer.from('hAgreementAB').toString('hex'))));
      assert.deepEqual(publicPart(replayed), publicPart(committed));
    });

    it('keeps history entries empty and reads each version back from its block, as Fabric history does', async () => {
      const directory = path.join(tmp.dir, 'history-from-blocks');
      const ledger = await openAt(directory);
      const officer = ledger.client(await orgs.user('customsA', 'officer'));
      const id = uniqueId('DEC');
      const recordKey = `\u0000declaration\u0000${id}\u0000`;
      const lodged = await lodge(ledger, id);
      const lodgedStatus = (
        JSON.parse((await ledger.stateStore.getState('gnc', recordKey))?.value.toString() ?? '{}') as {
          status?: string;
        }
      ).status;
      const statusIndexKey = `\u0000declaration~status\u0000${lodgedStatus}\u0000${id}\u0000`;
      const assigned = await officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'GREEN'] });
      const finalValue = (await ledger.stateStore.getState('gnc', recordKey))?.value;
      /** What Fabric's GetHistoryForKey returns for a write, built with the generated protos. */
      const expected = async (txId: string, blockNumber: bigint, value: Uint8Array | null) => {
        const envelope = (await ledger.readBlock(Number(blockNumber)))
          .getData()
          ?.getDataList_asU8()
          .find((bytes) => {
            const payload = common.Payload.deserializeBinary(
              common.Envelope.deserializeBinary(bytes).getPayload_asU8(),
            );
            return (
              common.ChannelHeader.deserializeBinary(
                payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
              ).getTxId() === txId
            );
          });
        const payload = common.Payload.deserializeBinary(
          common.Envelope.deserializeBinary(envelope ?? new Uint8Array()).getPayload_asU8(),
        );
        const header = common.ChannelHeader.deserializeBinary(
          payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
        );
        const modification = new ledger_.queryresult.KeyModification();
        modification.setTxId(txId);
        modification.setValue(value ?? new Uint8Array());
        modification.setTimestamp(header.getTimestamp());
        modification.setIsDelete(value === null);
        return Buffer.from(modification.serializeBinary()).toString('hex');
      };
      try {
        assert.ok(lodgedStatus && finalValue);
        const recordHistory = (await ledger.stateStore.getHistory('gnc', recordKey)).map((b) =>
          Buffer.from(b).toString('hex'),
        );
        assert.equal(recordHistory.length, 2);
        assert.equal(recordHistory[0], await expected(assigned.txId, assigned.blockNumber, finalValue));
        const lodgedModification = ledger_.queryresult.KeyModification.deserializeBinary(
          Buffer.from(recordHistory[1] ?? '', 'hex'),
        );
        assert.equal(
          recordHistory[1],
          await expected(lodged.txId, lodged.blockNumber, lodgedModification.getValue_asU8()),
        );
        assert.equal(
          (JSON.parse(Buffer.from(lodgedModification.getValue_asU8()).toString()) as { status?: string }).status,
          lodgedStatus,
        );
        // AssignLane deleted the index entry Lodge wrote: the newest version is a delete.
        const indexHistory = (await ledger.stateStore.getHistory('gnc', statusIndexKey)).map((b) =>
          Buffer.from(b).toString('hex'),
        );
        assert.deepEqual(indexHistory, [
          await expected(assigned.txId, assigned.blockNumber, null),
          await expected(lodged.txId, lodged.blockNumber, Buffer.from([0])),
        ]);
      } finally {
        await ledger.close();
      }
      const historyEntries = [...(await levelEntries(path.join(directory, 'state')))].filter(([key]) =>
        key.startsWith(Buffer.from('ygnc').toString('hex')),
      );
      assert.ok(historyEntries.length >= 4);
      assert.ok(historyEntries.every(([, value]) => value === ''));
    });

    it('returns history entries of ledgers written before, which stored the whole record, as stored', async () => {
      const directory = path.join(tmp.dir, 'history-legacy');
      const id = uniqueId('DEC');
      const recordKey = `\u0000declaration\u0000${id}\u0000`;
      await (async () => {
        const ledger = await openAt(directory);
        try {
          await lodge(ledger, id);
        } finally {
          await ledger.close();
        }
      })();
      const db = new ClassicLevel<Buffer, Buffer>(path.join(directory, 'state'), {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
      });
      const stored = Buffer.from('0a056f6c642d7478', 'hex'); // KeyModification{tx_id: "old-tx"}
      try {
        const prefix = StateStore.historyPrefix('gnc', recordKey);
        const keys = await db.keys({ gte: prefix, lt: Buffer.concat([prefix, Buffer.from([0xff])]) }).all();
        assert.equal(keys.length, 1);
        await db.put(keys[0] ?? Buffer.alloc(0), stored);
      } finally {
        await db.close();
      }
      const ledger = await openAt(directory);
      try {
        assert.deepEqual(
          (await ledger.stateStore.getHistory('gnc', recordKey)).map((b) => Buffer.from(b)),
          [stored],
        );
      } finally {
        await ledger.close();
      }
    });

    it('refuses to open a blockfile whose blocks are damaged before its end', async () => {
      const directory = path.join(tmp.dir, 'damaged');
      const ledger = await openAt(directory);
      await lodge(ledger);
      await lodge(ledger);
      await ledger.close();
      // Forget the state so every block must be read back, then garble bytes inside block 1's record.
      await rm(path.join(directory, 'state'), { recursive: true });
      const file = path.join(blockDir(directory), 'blockfile_000000');
      const bytes = await readFile(file);
      const handle = await open(file, 'r+');
      await handle.write(Buffer.alloc(64, 0xff), 0, 64, Math.floor(bytes.length / 2));
      await handle.close();
      await assert.rejects(openAt(directory), (error: unknown) => {
        assert.ok(error instanceof LedgerUnavailableError, String(error));
        return true;
      });
    });
  });
});

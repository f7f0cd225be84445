import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { DuplicateMessageError, MessageStore } from '../../../node/src/exchange/message-store';
import { temporaryDirectory } from '../../support/test-organizations';

describe('MessageStore', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let store: MessageStore;
  let location: string;

  beforeEach(async () => {
    tmp = await temporaryDirectory('store');
    location = path.join(tmp.dir, 'exchange');
    store = await MessageStore.open(location);
  });
  afterEach(async () => {
    await store.close();
    await tmp.remove();
  });

  const outbound = (id: string, partnerId = 'CustomsB') => ({
    messageId: id,
    partnerId,
    utilityBlock: 'export-import-prearrival',
    bytes: Buffer.from(`sealed ${id}`),
  });

  describe('enqueueOutbound', () => {
    it('keeps each partner’s outbox in the order messages were queued, across a reopen', async () => {
      await Promise.all(['m1', 'm2', 'm3'].map((id) => store.enqueueOutbound(outbound(id))));
      await store.enqueueOutbound(outbound('other', 'CustomsC'));
      await store.close();
      store = await MessageStore.open(location);
      const queued = await store.outbox('CustomsB');
      assert.deepEqual(
        queued.map((e) => [e.messageId, e.bytes.toString()]),
        [
          ['m1', 'sealed m1'],
          ['m2', 'sealed m2'],
          ['m3', 'sealed m3'],
        ],
      );
      assert.equal((await store.status('m2'))?.state, 'queued');
      assert.deepEqual(
        (await store.outbox('CustomsC')).map((e) => e.messageId),
        ['other'],
      );
    });

    it('refuses a message id used by a call made at the same time, queuing it once', async () => {
      const results = await Promise.allSettled([
        store.enqueueOutbound(outbound('same')),
        store.enqueueOutbound(outbound('same')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      assert.equal((await store.outbox('CustomsB')).length, 1);
    });

    it('refuses a message id already used', async () => {
      await store.enqueueOutbound(outbound('m1'));
      await assert.rejects(store.enqueueOutbound(outbound('m1')), { code: 'GNC_EXCHANGE_DUPLICATE' });
    });
  });

  it('enqueueOutbound with idMinted queues the message without the id check', async () => {
    const entry = await store.enqueueOutbound(outbound('fresh'), { idMinted: true });
    assert.equal((await store.status('fresh'))?.state, 'queued');
    assert.deepEqual(
      (await store.outbox('CustomsB')).map((e) => e.seq),
      [entry.seq],
    );
  });

  describe('markReceipted, markAttemptFailed, deadLetter, replayDeadLetter', () => {
    it('moves a message through retries to a dead letter and back into the outbox', async () => {
      const entry = await store.enqueueOutbound(outbound('m1'));
      const retried = await store.markAttemptFailed(
        entry,
        { code: 'GNC_TRANSPORT_UNREACHABLE', message: 'refused' },
        Date.now() + 1000,
      );
      assert.equal(retried.attempts, 1);
      assert.equal((await store.status('m1'))?.lastError?.code, 'GNC_TRANSPORT_UNREACHABLE');
      await store.deadLetter(retried, { code: 'GNC_EXCHANGE_GAVE_UP', message: 'no receipt after 2 attempts' });
      assert.deepEqual(await store.outbox('CustomsB'), []);
      assert.deepEqual(
        (await store.deadLetters()).map((d) => d.messageId),
        ['m1'],
      );
      assert.equal((await store.status('m1'))?.state, 'dead');

      const replayed = await store.replayDeadLetter('m1');
      assert.equal(replayed.attempts, 0);
      assert.deepEqual(await store.deadLetters(), []);
      const queued = await store.outbox('CustomsB');
      assert.equal(queued[0]?.bytes.toString(), 'sealed m1');
      await store.markReceipted(queued[0], Buffer.from('receipt'));
      assert.deepEqual(await store.outbox('CustomsB'), []);
      assert.equal((await store.status('m1'))?.state, 'receipted');
      assert.equal((await store.receiptOf('m1'))?.bytes.toString(), 'receipt');
    });

    it('writes the digest of a receipted message, as sent, as pending for anchoring with the receipt', async () => {
      const entry = await store.enqueueOutbound(outbound('m-digest'));
      assert.deepEqual(await store.pendingDigests(), []);
      await store.markReceipted(entry, Buffer.from('receipt'));
      const [pending, ...more] = await store.pendingDigests();
      assert.equal(more.length, 0);
      assert.equal(pending?.direction, 'out');
      assert.equal(pending.messageId, 'm-digest');
      assert.equal(pending.digest, createHash('sha256').update('sealed m-digest').digest('hex'));
    });
  });

  describe('acceptInbound', () => {
    const inbound = (id: string) => ({
      messageId: id,
      partnerId: 'CustomsB',
      utilityBlock: 'inspection-result-sharing',
      raw: Buffer.from(`raw ${id}`),
      envelope: Buffer.from(`envelope ${id}`),
      receipt: Buffer.from(`receipt ${id}`),
    });

    it('accepts a message once; a concurrent or later copy gets the first receipt back as a duplicate', async () => {
      const results = await Promise.allSettled([
        store.acceptInbound(inbound('in1')),
        store.acceptInbound(inbound('in1')),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const duplicate = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
      assert.ok(duplicate instanceof DuplicateMessageError);
      assert.equal(duplicate.receipt?.toString(), 'receipt in1');
      assert.equal((await store.inbox()).length, 1);
      assert.equal((await store.archived('in', 'in1', 'CustomsB'))?.toString(), 'raw in1');
    });

    it('accepts many messages arriving together, and still finds each as a duplicate afterwards', async () => {
      // Their dedupe lookups are made together (ReadBatcher): every one must get its own answer.
      const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`);
      await Promise.all(ids.map((id) => store.acceptInbound(inbound(id))));
      assert.equal((await store.inbox(100)).length, 50);
      const again = await Promise.allSettled(ids.map((id) => store.acceptInbound(inbound(id))));
      for (const [i, result] of again.entries()) {
        assert.equal(result.status, 'rejected');
        const reason = result.reason as unknown;
        assert.ok(reason instanceof DuplicateMessageError);
        assert.equal(reason.receipt?.toString(), `receipt many-${i}`);
      }
    });

    it('writes the digest of an accepted message as pending for anchoring in the same batch, and not for a duplicate', async () => {
      await store.acceptInbound(inbound('in-digest'));
      await store.acceptInbound(inbound('in-digest')).catch(() => undefined);
      const pending = await store.pendingDigests();
      assert.deepEqual(
        pending.map(({ direction, partnerId, messageId, digest }) => ({ direction, partnerId, messageId, digest })),
        [
          {
            direction: 'in',
            partnerId: 'CustomsB',
            messageId: 'in-digest',
            digest: createHash('sha256').update('raw in-digest').digest('hex'),
          },
        ],
      );
    });

    it('refuses the same message id with other bytes as a replay, delivering nothing', async () => {
      await store.acceptInbound(inbound('in2'));
      await assert.rejects(store.acceptInbound({ ...inbound('in2'), raw: Buffer.from('forged') }), {
        code: 'GNC_EXCHANGE_REPLAY',
      });
      assert.equal((await store.inbox()).length, 1);
    });

    it('lists the inbox oldest first and removes an entry when acknowledged', async () => {
      for (const id of ['a', 'b', 'c']) await store.acceptInbound(inbound(id));
      const inbox = await store.inbox();
      assert.deepEqual(
        inbox.map((e) => e.messageId),
        ['a', 'b', 'c'],
      );
      await store.acknowledge(inbox[1]!.seq);
      assert.deepEqual(
        (await store.inbox()).map((e) => e.messageId),
        ['a', 'c'],
      );
      assert.equal((await store.status('b'))?.state, 'acknowledged');
      await assert.rejects(store.acknowledge(inbox[1]!.seq), { code: 'GNC_EXCHANGE_NOT_FOUND' });
      assert.deepEqual(await store.depths(), { outbox: {}, inbox: 2, deadLetters: 0 });
    });

    it('finds a message accepted before the store was reopened as a duplicate, and other bytes as a replay', async () => {
      // The in-memory filter in front of the dedupe index is rebuilt from the index on open.
      await store.acceptInbound(inbound('before-reopen'));
      await store.close();
      store = await MessageStore.open(location);
      await assert.rejects(store.acceptInbound(inbound('before-reopen')), (error: unknown) => {
        assert.ok(error instanceof DuplicateMessageError);
        assert.equal(error.receipt?.toString(), 'receipt before-reopen');
        return true;
      });
      await assert.rejects(store.acceptInbound({ ...inbound('before-reopen'), raw: Buffer.from('forged') }), {
        code: 'GNC_EXCHANGE_REPLAY',
      });
      assert.equal((await store.inbox()).length, 1);
    });
  });

  describe('acceptInboundBatch and anchoring bookkeeping', () => {
    const readKeys = async () => {
      await store.close();
      const db = new ClassicLevel<string, Buffer>(location, { valueEncoding: 'buffer' });
      const keys = await db.keys().all();
      await db.close();
      store = await MessageStore.open(location);
      return keys;
    };
    const candidate = (id: string) => {
      const raw = Buffer.from(`raw ${id}`);
      return {
        messageId: id,
        utilityBlock: 'inspection-result-sharing',
        raw,
        digest: createHash('sha256').update(raw).digest(),
        envelope: Buffer.from(`envelope ${id}`),
        receiptInfo: Buffer.from(`info ${id}`),
      };
    };

    it('writes the digests of a frame’s accepted messages as one pending record, which the anchor batch removes whole', async () => {
      const ids = ['f1', 'f2', 'f3'];
      await store.acceptInboundBatch('CustomsB', ids.map(candidate), () => Promise.resolve(undefined));
      const pending = await store.pendingDigests();
      assert.deepEqual(
        pending.map((p) => p.messageId),
        ids,
      );
      assert.equal(new Set(pending.map((p) => p.key)).size, 1);
      await store.saveAnchorBatch(
        {
          batchId: 'batch-1',
          partnerId: 'CustomsB',
          merkleRoot: '00',
          leaves: pending.map(({ direction, messageId, digest }) => ({ direction, messageId, digest })),
          firstMessageAt: 0,
          lastMessageAt: 0,
        },
        pending,
      );
      assert.deepEqual(await store.pendingDigests(), []);
      assert.equal((await store.anchorOf('in', 'f2'))?.index, 1);
      // One key says where the frame's digests went (l!), none per message (p!).
      const keys = await readKeys();
      assert.equal(keys.filter((key) => key.startsWith('l!')).length, 1);
      assert.deepEqual(
        keys.filter((key) => key.startsWith('p!')),
        [],
      );
      assert.deepEqual(
        (await store.unanchoredBatches()).map((batch) => batch.batchId),
        ['batch-1'],
      );
      await store.markBatchAnchored('batch-1', { txId: 'tx-1', blockNumber: 7 });
      assert.deepEqual(await store.unanchoredBatches(), []);
      // Acknowledging a message rewrites its status; the way to its anchor stays.
      await store.acknowledge((await store.inbox()).find((entry) => entry.messageId === 'f3')!.seq);
      const found = await store.anchorOf('in', 'f3');
      assert.equal(found?.index, 2);
      assert.deepEqual(found?.batch.anchor, { txId: 'tx-1', blockNumber: 7 });
      assert.equal(await store.anchorOf('out', 'f3'), undefined);
      await assert.rejects(store.markBatchAnchored('batch-unknown', { txId: 'tx-2', blockNumber: 8 }), {
        code: 'GNC_EXCHANGE_NOT_FOUND',
      });
    });

    it('keeps each partner’s pending digests in records of their own, and returns records whole up to the limit', async () => {
      await store.addPendingDigests([
        { direction: 'out', partnerId: 'CustomsB', messageId: 'b1', digest: 'aa', at: 1 },
        { direction: 'out', partnerId: 'CustomsC', messageId: 'c1', digest: 'bb', at: 2 },
        { direction: 'in', partnerId: 'CustomsB', messageId: 'b2', digest: 'cc', at: 3 },
      ]);
      const pending = await store.pendingDigests();
      const keyOf = (id: string) => pending.find((p) => p.messageId === id)?.key;
      assert.equal(pending.length, 3);
      assert.equal(keyOf('b1'), keyOf('b2'));
      assert.notEqual(keyOf('b1'), keyOf('c1'));
      // The first record holds two digests: a limit of one still returns both.
      assert.deepEqual(
        (await store.pendingDigests(1)).map((p) => p.messageId),
        ['b1', 'b2'],
      );
    });

    it('keeps an accepted message once, in its dedupe record: the inbox, the archive and receivedEnvelope read it there', async () => {
      await store.acceptInboundBatch('CustomsB', [candidate('h1'), candidate('h2')], () => Promise.resolve(undefined));
      assert.deepEqual(
        (await store.inbox()).map((entry) => [entry.messageId, entry.envelope.toString()]),
        [
          ['h1', 'envelope h1'],
          ['h2', 'envelope h2'],
        ],
      );
      assert.equal((await store.archived('in', 'h2', 'CustomsB'))?.toString(), 'raw h2');
      assert.equal((await store.receivedEnvelope('CustomsB', 'h1'))?.toString(), 'envelope h1');
      assert.equal(await store.receivedEnvelope('CustomsC', 'h1'), undefined);
    });

    it('answers only once the frame is durable; when the answer fails, the accepted messages stay accepted', async () => {
      await assert.rejects(
        store.acceptInboundBatch('CustomsB', [candidate('k1')], () => Promise.reject(new Error('no signer'))),
        /no signer/,
      );
      // The sender gets no answer and sends the frame again: the copy is answered as a duplicate.
      const { outcomes } = await store.acceptInboundBatch('CustomsB', [candidate('k1')], () =>
        Promise.resolve(undefined),
      );
      assert.equal(outcomes[0]?.kind, 'duplicate');
      assert.deepEqual(
        (await store.inbox()).map((entry) => entry.messageId),
        ['k1'],
      );
    });

    it('answers a message accepted in an earlier frame, after a reopen, as a duplicate with its first entry', async () => {
      await store.acceptInboundBatch('CustomsB', [candidate('g1')], () => Promise.resolve(undefined));
      await store.close();
      store = await MessageStore.open(location);
      const { outcomes } = await store.acceptInboundBatch('CustomsB', [candidate('g1'), candidate('g2')], () =>
        Promise.resolve(undefined),
      );
      assert.equal(outcomes[0]?.kind, 'duplicate');
      assert.deepEqual(outcomes[0]?.kind === 'duplicate' && outcomes[0].first, { receiptInfo: Buffer.from('info g1') });
      assert.equal(outcomes[1]?.kind, 'accepted');
    });
  });

  describe('what partners shared, indexed with the accepted message', () => {
    const candidate = (id: string, bytes = `raw ${id}`) => {
      const raw = Buffer.from(bytes);
      return {
        messageId: id,
        utilityBlock: 'inspection-result-sharing',
        raw,
        digest: createHash('sha256').update(raw).digest(),
        envelope: Buffer.from(`envelope ${id}`),
        receiptInfo: Buffer.from(`info ${id}`),
        shared: {
          entries: [
            { index: 'container', value: 'MSKU1234565' },
            { index: 'declaration', value: 'MRN-1' },
          ],
          record: Buffer.from(`record ${id}`),
        },
      };
    };

    it('writes a frame’s accepted messages’ index entries with them, and none for a duplicate or a replay', async () => {
      await store.acceptInboundBatch('CustomsB', [candidate('s1')], () => Promise.resolve(undefined));
      const { outcomes } = await store.acceptInboundBatch(
        'CustomsB',
        // s1 again (a duplicate), s2 new, s3 new, s2 with other bytes in the same frame (a replay).
        [
          candidate('s1'),
          candidate('s2'),
          candidate('s3'),
          {
            ...candidate('s2', 'other'),
            shared: { entries: [{ index: 'container', value: 'REPLAYED' }], record: Buffer.from('replay') },
          },
        ],
        () => Promise.resolve(undefined),
      );
      assert.deepEqual(
        outcomes.map((outcome) => outcome.kind),
        ['duplicate', 'accepted', 'accepted', 'replay'],
      );
      assert.deepEqual((await store.sharedRecords('container', 'MSKU1234565')).map(String), [
        'record s1',
        'record s2',
        'record s3',
      ]);
      assert.deepEqual((await store.sharedRecords('declaration', 'MRN-1')).map(String), [
        'record s1',
        'record s2',
        'record s3',
      ]);
      assert.deepEqual(await store.sharedRecords('container', 'REPLAYED'), []);
    });

    it('writes a single message’s index entries with it, and none for its duplicate', async () => {
      const { shared, receiptInfo: _info, ...message } = candidate('single');
      await store.acceptInbound({ ...message, partnerId: 'CustomsB', receipt: Buffer.from('receipt'), shared });
      await assert.rejects(
        store.acceptInbound({
          ...message,
          partnerId: 'CustomsB',
          receipt: Buffer.from('receipt'),
          shared: { entries: [{ index: 'container', value: 'AGAIN' }], record: Buffer.from('again') },
        }),
        DuplicateMessageError,
      );
      assert.deepEqual((await store.sharedRecords('container', 'MSKU1234565')).map(String), ['record single']);
      assert.deepEqual(await store.sharedRecords('container', 'AGAIN'), []);
    });
  });

  describe('markReceiptedBatch', () => {
    it('stores the batch receipt once, each message naming its entry in its status, which status() does not show', async () => {
      const entries = await Promise.all(['r1', 'r2'].map((id) => store.enqueueOutbound(outbound(id))));
      await store.markReceiptedBatch(
        entries.map((entry, index) => ({ entry, index })),
        Buffer.from('batch receipt'),
      );
      const second = await store.receiptOf('r2');
      assert.equal(second?.bytes.toString(), 'batch receipt');
      assert.equal(second?.batchIndex, 1);
      const status = await store.status('r2');
      assert.equal(status?.state, 'receipted');
      assert.deepEqual(Object.keys(status ?? {}).sort(), [
        'attempts',
        'createdAt',
        'direction',
        'messageId',
        'partnerId',
        'state',
        'updatedAt',
        'utilityBlock',
      ]);
      assert.deepEqual(await store.outbox('CustomsB'), []);
    });
  });

  describe('a store written by an earlier version', () => {
    /** Writes keys as stores before 2026-11 laid them out, with the store closed. */
    async function writeEarlierLayout(ops: Array<{ key: string; value: Buffer }>): Promise<void> {
      await store.close();
      const db = new ClassicLevel<string, Buffer>(location, { valueEncoding: 'buffer' });
      await db.open();
      await db.batch(ops.map((op) => ({ type: 'put' as const, ...op })));
      await db.close();
      store = await MessageStore.open(location);
    }
    /** The layout of an entry then and now: 4-byte length, JSON header, bytes. */
    const entry = (header: object, bytes: Buffer) => {
      const json = Buffer.from(JSON.stringify(header));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(json.length);
      return Buffer.concat([length, json, bytes]);
    };

    it('reads inbox entries holding their envelope, archives under a!in and dedupe records holding only the receipt', async () => {
      const digest = createHash('sha256').update('raw old1').digest('hex');
      await writeEarlierLayout([
        { key: 'd!CustomsB!old1', value: entry({ digest, kind: 'info' }, Buffer.from('info old1')) },
        {
          key: `i!${(1).toString(16).padStart(16, '0')}`,
          value: entry(
            {
              seq: 1,
              messageId: 'old1',
              partnerId: 'CustomsB',
              utilityBlock: 'inspection-result-sharing',
              receivedAt: 5,
            },
            Buffer.from('envelope old1'),
          ),
        },
        { key: 'a!in!CustomsB!old1', value: Buffer.from('raw old1') },
        { key: 'm!seq', value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]) },
      ]);
      // A message accepted now sits beside it in the inbox, its envelope in its dedupe record.
      await store.acceptInbound({
        messageId: 'new1',
        partnerId: 'CustomsB',
        utilityBlock: 'inspection-result-sharing',
        raw: Buffer.from('raw new1'),
        envelope: Buffer.from('envelope new1'),
        receipt: Buffer.from('receipt new1'),
      });
      assert.deepEqual(
        (await store.inbox()).map((e) => [e.seq, e.messageId, e.envelope.toString()]),
        [
          [1, 'old1', 'envelope old1'],
          [2, 'new1', 'envelope new1'],
        ],
      );
      assert.equal((await store.archived('in', 'old1', 'CustomsB'))?.toString(), 'raw old1');
      assert.equal((await store.archived('in', 'new1', 'CustomsB'))?.toString(), 'raw new1');
      assert.equal(await store.receivedEnvelope('CustomsB', 'old1'), undefined);
      const { outcomes } = await store.acceptInboundBatch(
        'CustomsB',
        [
          {
            messageId: 'old1',
            utilityBlock: 'inspection-result-sharing',
            raw: Buffer.from('raw old1'),
            digest: createHash('sha256').update('raw old1').digest(),
            envelope: Buffer.from('envelope old1'),
            receiptInfo: Buffer.from('other info'),
          },
        ],
        () => Promise.resolve(undefined),
      );
      assert.deepEqual(outcomes[0], { kind: 'duplicate', first: { receiptInfo: Buffer.from('info old1') } });
    });

    it('reads outbox entries holding their bytes, beside new ones whose bytes are their archive', async () => {
      const header = {
        seq: 1,
        messageId: 'old-out',
        partnerId: 'CustomsB',
        utilityBlock: 'export-import-prearrival',
        attempts: 0,
        nextAttemptAt: 0,
      };
      await writeEarlierLayout([
        { key: `o!CustomsB!${(1).toString(16).padStart(16, '0')}`, value: entry(header, Buffer.from('sealed old')) },
        { key: 'a!out!old-out', value: Buffer.from('sealed old') },
        { key: 'm!seq', value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]) },
      ]);
      await store.enqueueOutbound(outbound('new-out'));
      // Once from memory (what this run queued), once from disk after a reopen.
      for (const reopen of [false, true]) {
        if (reopen) {
          await store.close();
          store = await MessageStore.open(location);
        }
        assert.deepEqual(
          (await store.outbox('CustomsB')).map((e) => [e.seq, e.messageId, e.bytes.toString()]),
          [
            [1, 'old-out', 'sealed old'],
            [2, 'new-out', 'sealed new-out'],
          ],
        );
      }
    });

    it('proves messages through their own p! keys, and reads batches rewritten with their anchor', async () => {
      const leaves = [
        { direction: 'in' as const, messageId: 'old-in', digest: 'aa' },
        { direction: 'out' as const, messageId: 'old-out', digest: 'bb' },
      ];
      const batch = (batchId: string, anchor?: object) =>
        Buffer.from(
          JSON.stringify({
            batchId,
            partnerId: 'CustomsB',
            merkleRoot: '00',
            leaves,
            firstMessageAt: 1,
            lastMessageAt: 2,
            ...(anchor ? { anchor } : {}),
          }),
        );
      await writeEarlierLayout([
        { key: 'b!batch-old', value: batch('batch-old', { txId: 'tx-old', blockNumber: 3 }) },
        { key: 'b!batch-unanchored', value: batch('batch-unanchored') },
        { key: 'p!in!old-in', value: Buffer.from(JSON.stringify({ batchId: 'batch-old', index: 0 })) },
        { key: 'p!out!old-out', value: Buffer.from(JSON.stringify({ batchId: 'batch-old', index: 1 })) },
        {
          key: 's!old-out',
          value: Buffer.from(
            JSON.stringify({
              messageId: 'old-out',
              direction: 'out',
              partnerId: 'CustomsB',
              utilityBlock: 'transit-seal-events',
              state: 'receipted',
              attempts: 1,
              createdAt: 1,
              updatedAt: 2,
            }),
          ),
        },
      ]);
      const found = await store.anchorOf('out', 'old-out');
      assert.equal(found?.index, 1);
      assert.deepEqual(found?.batch.anchor, { txId: 'tx-old', blockNumber: 3 });
      assert.equal((await store.anchorOf('in', 'old-in'))?.index, 0);
      assert.deepEqual(
        (await store.unanchoredBatches()).map((b) => b.batchId),
        ['batch-unanchored'],
      );
      await store.markBatchAnchored('batch-unanchored', { txId: 'tx-new', blockNumber: 4 });
      assert.deepEqual(await store.unanchoredBatches(), []);
      assert.deepEqual((await store.anchorBatch('batch-unanchored'))?.anchor, { txId: 'tx-new', blockNumber: 4 });
    });

    it('finds the batch receipt of a message through its own e! key', async () => {
      await writeEarlierLayout([
        { key: 'q!receipt-1', value: Buffer.from('old batch receipt') },
        { key: 'e!sent1', value: Buffer.from(JSON.stringify({ receiptId: 'receipt-1', index: 3 })) },
      ]);
      assert.deepEqual(await store.receiptOf('sent1'), { bytes: Buffer.from('old batch receipt'), batchIndex: 3 });
    });
  });
});

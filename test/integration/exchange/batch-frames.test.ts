import { strict as assert } from 'node:assert';
import { messageFormats } from '../../../adapters/format';
import { securitySchemes } from '../../../adapters/security';
import { transports } from '../../../adapters/transport';
import type { Transport } from '../../../adapters/transport/transport';
import type { TransportError } from '../../../adapters/transport/transport-errors';
import { verifyBatchReceipt, verifyReceipt, verifyStoredReceipt } from '../../../node/src/exchange/receipts';
import { gnc } from '../../../node/src/gen/gnc';
import { waitFor } from '../../../node/src/util/wait-for';
import { createExchangePair } from '../../support/exchange-pair';
import { temporaryDirectory } from '../../support/test-organizations';

const ACCEPTED = gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED;
const REJECTED = gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED;

/**
 * Batch frames between two real nodes (HTTP/2 mTLS + JWS + JSON): hand-made frames sent straight
 * through A's transport identity, as a faulty or hostile partner would, and the node's own
 * sender batching what is queued.
 */
describe('ExchangeNode batch frames (HTTP/2 mTLS + JWS + JSON)', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let pair: Awaited<ReturnType<typeof createExchangePair>>;
  let transport: Transport;
  const json = messageFormats.json!({})({});

  before(async () => {
    tmp = await temporaryDirectory('batch-frames');
    pair = await createExchangePair(
      tmp.dir,
      { transport: 'http', security: 'jws', format: 'json' },
      {
        // B's agreement with A: frames of at most 16 messages and 4 KB of messages (+ one message),
        // at most 2 frames being received at once.
        toA: { maxMessageBytes: 4096, maxBatchMessages: 16, maxBatchBytes: 4096, maxBatchesInFlight: 2 },
        // A's agreement with B: the same limits, and one frame in flight, so what is queued meanwhile leaves together.
        toB: { maxBatchesInFlight: 1, maxBatchMessages: 16, maxBatchBytes: 4096 },
      },
    );
    transport = transports.http!({})({ ...pair.a.transportKeys.http, peers: () => [] });
    await transport.start(() => Promise.reject(new Error('this transport only sends')));
  });
  after(async () => {
    await transport.stop();
    await pair.stop();
    await tmp.remove();
  });

  const toB = () => ({
    partnerId: 'CustomsB',
    endpoint: `https://127.0.0.1:${pair.b.ports.http}`,
    trustAnchorsPem: [pair.b.caCertificatePem],
  });
  const envelope = (overrides: Partial<gnc.v1.IMessageHeader> = {}): gnc.v1.IEnvelope => ({
    header: {
      messageId: `batch-${Math.random().toString(16).slice(2)}`,
      senderId: 'CustomsA',
      receiverId: 'CustomsB',
      utilityBlockId: 'transit-seal-events',
      utilityBlockVersion: '1',
      createdAtMs: Date.now(),
      ...overrides,
    },
    sealEvent: { eventId: 'e', sealId: 'ESEAL-1', containerId: 'MSCU1234567' },
  });
  const idOf = (message: gnc.v1.IEnvelope) => message.header?.messageId ?? '';
  const seal = async (message: gnc.v1.IEnvelope) =>
    Buffer.from(
      await securitySchemes.jws!({})({ keys: pair.a.keys }).seal(json.encode(message), {
        partnerId: 'CustomsB',
        trustAnchorsPem: [pair.b.caCertificatePem],
      }),
    );
  const frameOf = (messages: Uint8Array[]) => gnc.v1.MessageBatch.encode({ messages }).finish();
  /** Sends a frame to B and verifies B's batch receipt against what was sent, as the node does. */
  const sendFrame = async (messages: Array<{ messageId: string; bytes: Buffer }>) => {
    const answer = Buffer.from(
      await transport.send(toB(), frameOf(messages.map((m) => m.bytes)), { batch: true, timeoutMs: 10_000 }),
    );
    const entries = await verifyBatchReceipt(answer, {
      sent: messages,
      partnerId: 'CustomsB',
      trustAnchorsPem: [pair.b.caCertificatePem],
    });
    return { answer, entries };
  };
  const sendRefused = async (frame: Uint8Array): Promise<TransportError> => {
    try {
      await transport.send(toB(), frame, { batch: true, timeoutMs: 10_000 });
    } catch (error) {
      return error as TransportError;
    }
    return assert.fail('B accepted the frame');
  };
  const inboxIds = async () => (await pair.b.store.inbox(10_000)).map((entry) => entry.messageId);

  it('answers each message of a frame on its own: bad signature, replayed id and field outside the data set are rejected, the others delivered', async () => {
    const good1 = envelope();
    const good2 = envelope();
    // A replay: an id B already accepted, now with other bytes (JWS ES256 signatures are randomised).
    const earlier = envelope();
    const earlierBytes = await seal(earlier);
    const first = await sendFrame([{ messageId: idOf(earlier), bytes: earlierBytes }]);
    assert.equal(first.entries[0]?.outcome, ACCEPTED);
    const replayBytes = await seal(earlier);
    assert.notDeepEqual(replayBytes, earlierBytes);
    const outside = envelope();
    outside.sealEvent = { ...outside.sealEvent, recordedBy: 'officer 4711' };
    const badSignature = (await seal(envelope())).toString('utf8');
    const tampered = badSignature.slice(0, -5) + (badSignature.at(-5) === 'A' ? 'B' : 'A') + badSignature.slice(-4);

    const { entries } = await sendFrame([
      { messageId: idOf(good1), bytes: await seal(good1) },
      { messageId: 'unknown to B: it cannot open it', bytes: Buffer.from(tampered) },
      { messageId: idOf(earlier), bytes: replayBytes },
      { messageId: idOf(good2), bytes: await seal(good2) },
      { messageId: idOf(outside), bytes: await seal(outside) },
    ]);
    assert.deepEqual(
      entries.map((entry) => [entry.messageId, entry.outcome, entry.errorCode]),
      [
        [idOf(good1), ACCEPTED, ''],
        ['', REJECTED, 'GNC_SECURITY_BAD_SIGNATURE'],
        [idOf(earlier), REJECTED, 'GNC_EXCHANGE_REPLAY'],
        [idOf(good2), ACCEPTED, ''],
        [idOf(outside), REJECTED, 'GNC_EXCHANGE_OUTSIDE_DATA_SET'],
      ],
    );
    assert.match(entries[4]?.errorMessage ?? '', /recordedBy/);
    const inbox = await inboxIds();
    for (const id of [idOf(good1), idOf(good2)]) assert.ok(inbox.includes(id), `${id} delivered`);
    assert.ok(!inbox.includes(idOf(outside)), 'the message outside the data set is not delivered');
    assert.equal(inbox.filter((id) => id === idOf(earlier)).length, 1, 'the replayed id is delivered once');
  });

  it('answers a resent frame with the first entries and delivers nothing twice, also for a copy inside the frame or sent alone', async () => {
    const one = envelope();
    const two = envelope();
    const messages = [
      { messageId: idOf(one), bytes: await seal(one) },
      { messageId: idOf(two), bytes: await seal(two) },
    ];
    const first = await sendFrame(messages);
    const before = (await inboxIds()).length;
    const again = await sendFrame(messages);
    const infoBytes = (entries: gnc.v1.IReceiptInfo[]) =>
      entries.map((entry) => Buffer.from(gnc.v1.ReceiptInfo.encode(entry).finish()).toString('base64'));
    assert.deepEqual(infoBytes(again.entries), infoBytes(first.entries), 'the same entries, times included');
    // The same message twice in one frame, after a new one: the new one is accepted once, both copies answered alike.
    const three = envelope();
    const threeSealed = { messageId: idOf(three), bytes: await seal(three) };
    const doubled = await sendFrame([threeSealed, messages[0]!, threeSealed]);
    assert.deepEqual(infoBytes([doubled.entries[1]!]), infoBytes([first.entries[0]!]));
    assert.deepEqual(infoBytes([doubled.entries[2]!]), infoBytes([doubled.entries[0]!]));
    assert.equal(doubled.entries[0]?.outcome, ACCEPTED);
    // Sent alone, a message first received in a frame gets a single receipt with its entry's content.
    const alone = await transport.send(toB(), messages[1]!.bytes, { timeoutMs: 10_000 });
    const info = await verifyReceipt(alone, {
      messageId: messages[1]!.messageId,
      sentBytes: messages[1]!.bytes,
      partnerId: 'CustomsB',
      trustAnchorsPem: [pair.b.caCertificatePem],
    });
    assert.deepEqual(infoBytes([info]), infoBytes([first.entries[1]!]));
    const inbox = await inboxIds();
    assert.equal(inbox.length, before + 1, 'only the new message was delivered');
    assert.equal(inbox.filter((id) => id === idOf(three)).length, 1);
  });

  it('refuses a whole frame that does not decode, is empty, has too many messages or too many bytes, writing nothing', async () => {
    const before = (await inboxIds()).length;
    const garbage = await sendRefused(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.equal(garbage.remoteCode, 'GNC_EXCHANGE_BAD_BATCH');
    assert.equal(garbage.transient, false);
    assert.equal((await sendRefused(frameOf([]))).remoteCode, 'GNC_EXCHANGE_BAD_BATCH');
    const many = await sendRefused(frameOf(Array.from({ length: 17 }, () => Buffer.from('x'))));
    assert.equal(many.remoteCode, 'GNC_EXCHANGE_BAD_BATCH');
    assert.match(many.message, /1 to 16 messages, not 17/);
    const sealed = await Promise.all(Array.from({ length: 12 }, () => seal(envelope())));
    const large = await sendRefused(frameOf(sealed));
    assert.equal(large.remoteCode, 'GNC_EXCHANGE_OVERSIZE');
    assert.equal((await inboxIds()).length, before);
  });

  it('refuses the frames a partner sends beyond its maxBatchesInFlight as busy (transient), writing none of their messages', async () => {
    const frames = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const messages = Array.from({ length: 4 }, () => envelope());
        return Promise.all(messages.map(async (m) => ({ messageId: idOf(m), bytes: await seal(m) })));
      }),
    );
    // Sent at once over one HTTP/2 session: more than 2 are in B's hands together.
    const results = await Promise.allSettled(frames.map((messages) => sendFrame(messages)));
    const busy = results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ error: result.reason as TransportError, index }] : [],
    );
    assert.ok(busy.length > 0, 'some frames were refused');
    assert.ok(busy.length < frames.length, 'some frames were received');
    const inbox = await inboxIds();
    for (const { error, index } of busy) {
      assert.equal(error.remoteCode, 'GNC_EXCHANGE_BUSY');
      assert.equal(error.remoteStatus, 429);
      assert.equal(error.transient, true);
      for (const { messageId } of frames[index]!) assert.ok(!inbox.includes(messageId), `${messageId} not written`);
    }
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        assert.deepEqual(
          result.value.entries.map((entry) => entry.outcome),
          [ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED],
        );
        for (const { messageId } of frames[index]!) assert.ok(inbox.includes(messageId), `${messageId} delivered`);
      }
    });
    // A refused frame sent again, once B has room, is received whole.
    for (const { index } of busy) {
      const { entries } = await sendFrame(frames[index]!);
      assert.deepEqual(
        entries.map((entry) => entry.outcome),
        [ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED],
      );
    }
  });

  it('sends the messages of a frame the partner refuses whole (its limits are smaller) alone, none dead', async () => {
    const root = await temporaryDirectory('batch-frames-limits');
    // B takes frames of at most 2 messages; A's agreement does not say so and sends more.
    const strict = await createExchangePair(
      root.dir,
      { transport: 'http', security: 'jws', format: 'json' },
      { toA: { maxBatchMessages: 2 }, toB: { maxBatchesInFlight: 1 } },
    );
    try {
      const sendWave = async (wave: number) => {
        const ids = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            strict.a.node.submit('CustomsB', 'transit-seal-events', {
              sealEvent: { eventId: `limits-${wave}-${i}`, sealId: 'ESEAL-3', containerId: 'MSCU1234567' },
            }),
          ),
        );
        await waitFor('A to hold every receipt', async () => {
          const states = await Promise.all(ids.map(async (id) => (await strict.a.store.status(id))?.state));
          return states.every((state) => state === 'receipted' || state === 'dead') ? true : undefined;
        });
        return ids;
      };
      const ids = [...(await sendWave(1)), ...(await sendWave(2))];
      assert.deepEqual(await strict.a.store.deadLetters(), []);
      const inbox = (await strict.b.store.inbox(100)).map((entry) => entry.messageId).sort();
      assert.deepEqual(inbox, [...ids].sort());
      // One frame was refused whole (so the fallback was exercised), and A remembered it: the
      // second wave went alone without another refused frame first.
      assert.match(
        strict.b.node.metrics.render(await strict.b.store.depths()),
        /gnc_messages_rejected_total\{partner="CustomsA",reason="GNC_EXCHANGE_BAD_BATCH"\} 1\n/,
      );
    } finally {
      await strict.stop();
      await root.remove();
    }
  });

  it('sends what is queued for a partner in frames, stores each batch receipt once and verifies every message’s entry', async () => {
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        pair.a.node.submit('CustomsB', 'transit-seal-events', {
          sealEvent: { eventId: `queued-${i}`, sealId: 'ESEAL-9', containerId: 'MSCU1234567' },
        }),
      ),
    );
    await waitFor('A to hold every receipt', async () => {
      const states = await Promise.all(ids.map(async (id) => (await pair.a.store.status(id))?.state));
      return states.every((state) => state === 'receipted') ? true : undefined;
    });
    const inbox = await inboxIds();
    for (const id of ids) assert.equal(inbox.filter((x) => x === id).length, 1, `${id} delivered once`);
    const receipts = await Promise.all(ids.map(async (id) => ({ id, stored: await pair.a.store.receiptOf(id) })));
    const distinct = new Set(receipts.map(({ stored }) => stored?.bytes.toString('base64')));
    assert.ok(distinct.size < ids.length, `${ids.length} messages answered by ${distinct.size} batch receipts`);
    for (const { id, stored } of receipts) {
      assert.ok(stored?.batchIndex !== undefined, `${id} is answered by an entry of a batch receipt`);
      const entry = await verifyStoredReceipt(stored, {
        messageId: id,
        sentBytes: (await pair.a.store.archived('out', id)) ?? Buffer.alloc(0),
        partnerId: 'CustomsB',
        trustAnchorsPem: [pair.b.caCertificatePem],
      });
      assert.equal(entry.outcome, ACCEPTED);
    }
  });
});

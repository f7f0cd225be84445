import { strict as assert } from 'node:assert';
import { verifyStoredReceipt } from '../../../node/src/exchange/receipts';
import { gnc } from '../../../node/src/gen/gnc';
import { createExchangePair, type Edges } from '../../support/exchange-pair';
import { temporaryDirectory } from '../../support/test-organizations';
import { waitFor } from '../../../node/src/util/wait-for';

const sealEvent = (i: number) => ({
  sealEvent: gnc.v1.SealEvent.create({
    eventId: `event-${i}`,
    sealId: 'ESEAL-1',
    type: gnc.v1.SealEventType.SEAL_EVENT_TYPE_CHECKED_INTACT,
    containerId: 'MSCU1234567',
  }),
});

// Every transport x security scheme x format the node offers, both ways, on real sockets.
const matrix: Edges[] = [];
for (const transport of ['http', 'libp2p', 'as4'] as const) {
  for (const security of ['cms', 'jws', 'none']) {
    for (const format of ['protobuf', 'json']) matrix.push({ transport, security, format });
  }
}

describe('ExchangeNode edges', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  beforeEach(async () => {
    tmp = await temporaryDirectory('edges');
  });
  afterEach(async () => tmp.remove());

  for (const edges of matrix) {
    it(`carries a message each way over ${edges.transport} + ${edges.security} + ${edges.format}, with signed receipts${edges.transport === 'as4' ? '' : ' (batch frames)'}`, async () => {
      const pair = await createExchangePair(tmp.dir, edges);
      try {
        const toB = await pair.a.node.submit('CustomsB', 'transit-seal-events', sealEvent(1));
        const toA = await pair.b.node.submit('CustomsA', 'transit-seal-events', sealEvent(2));
        for (const [receiver, sender, id] of [
          [pair.b, pair.a, toB],
          [pair.a, pair.b, toA],
        ] as const) {
          const entry = await waitFor(`${receiver.id} to receive ${id}`, async () =>
            (await receiver.store.inbox()).find((e) => e.messageId === id),
          );
          const envelope = gnc.v1.Envelope.decode(entry.envelope);
          assert.equal(envelope.header?.senderId, sender.id);
          assert.equal(envelope.sealEvent?.sealId, 'ESEAL-1');
          await waitFor(`${sender.id} to hold the receipt of ${id}`, async () =>
            (await sender.store.status(id))?.state === 'receipted' ? true : undefined,
          );
          // http and libp2p carry batch frames: the receipt is a batch receipt and the message's
          // entry in it; as4 carries one message a request, with its own receipt.
          const stored = await sender.store.receiptOf(id);
          assert.ok(stored, `a receipt of ${id} is stored`);
          assert.equal(stored.batchIndex !== undefined, edges.transport !== 'as4');
          const answered = await verifyStoredReceipt(stored, {
            messageId: id,
            sentBytes: (await sender.store.archived('out', id)) ?? Buffer.alloc(0),
            partnerId: receiver.id,
            trustAnchorsPem: [receiver.caCertificatePem],
          });
          assert.equal(answered.outcome, gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED);
        }
      } finally {
        await pair.stop();
      }
    });
  }
});

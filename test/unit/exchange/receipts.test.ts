import { strict as assert } from 'node:assert';
import {
  ReceiptInvalidError,
  digestOf,
  receiptInfoOf,
  signBatchReceipt,
  signReceipt,
  verifyBatchReceipt,
  verifyStoredReceipt,
} from '../../../node/src/exchange/receipts';
import { gnc } from '../../../node/src/gen/gnc';
import { P256_HALF_N, parseEcdsaSignature } from '../../../node/src/identity/der';
import { createCertificateAuthority, createSigningIdentity, type SigningIdentity } from '../../../node/src/identity';

const ACCEPTED = gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED;
const REJECTED = gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED;

describe('receipts', () => {
  let receiver: SigningIdentity;
  let impostor: SigningIdentity;
  let trustAnchorsPem: string[];
  const sent = [
    { messageId: 'm-1', bytes: Buffer.from('sealed message 1') },
    { messageId: 'm-2', bytes: Buffer.from('sealed message 2') },
    { messageId: 'm-3', bytes: Buffer.from('sealed message 3') },
  ];

  before(async () => {
    const ca = await createCertificateAuthority({ mspId: 'CustomsBMSP', organization: 'Customs Administration B' });
    const issued = await ca.issue({ commonName: 'node.customsbmsp', nodeOU: 'peer' });
    receiver = createSigningIdentity({ mspId: 'CustomsB', ...issued });
    trustAnchorsPem = [ca.caCertificatePem];
    // Same names, another CA: what a party that is not B could sign with.
    const rogue = await createCertificateAuthority({ mspId: 'CustomsBMSP', organization: 'Customs Administration B' });
    impostor = createSigningIdentity({
      mspId: 'CustomsB',
      ...(await rogue.issue({ commonName: 'node.customsbmsp', nodeOU: 'peer' })),
    });
  });

  /** The entries B would sign for `sent`: all accepted, unless `change` alters them. */
  const entries = (change: (entry: gnc.v1.IReceiptInfo, index: number) => void = () => undefined) =>
    sent.map((message, index) => {
      const entry = receiptInfoOf({
        messageId: message.messageId,
        receivedDigest: digestOf(message.bytes),
        receiverId: 'CustomsB',
        senderId: 'CustomsA',
        outcome: ACCEPTED,
      });
      change(entry, index);
      return entry;
    });
  const batchReceipt = (signer: SigningIdentity, receipts: gnc.v1.IReceiptInfo[]) =>
    signBatchReceipt(signer, { receipts, receiverId: 'CustomsB', senderId: 'CustomsA' });
  const verify = (receipt: Uint8Array) => verifyBatchReceipt(receipt, { sent, partnerId: 'CustomsB', trustAnchorsPem });

  async function refuses(promise: Promise<unknown>, message: RegExp): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof ReceiptInvalidError, String(error));
      assert.equal(error.code, 'GNC_EXCHANGE_RECEIPT_INVALID');
      assert.match(error.message, message);
      return true;
    });
  }

  describe('verifyBatchReceipt', () => {
    it('returns the entry of every message of a batch receipt that answers what was sent', async () => {
      const answered = await verify(
        await batchReceipt(
          receiver,
          entries((entry, index) => {
            if (index === 1) Object.assign(entry, { outcome: REJECTED, errorCode: 'GNC_EXCHANGE_REPLAY' });
          }),
        ),
      );
      assert.deepEqual(
        answered.map((entry) => [entry.messageId, entry.outcome, entry.errorCode]),
        [
          ['m-1', ACCEPTED, ''],
          ['m-2', REJECTED, 'GNC_EXCHANGE_REPLAY'],
          ['m-3', ACCEPTED, ''],
        ],
      );
    });

    it('accepts a REJECTED entry without a message id (a message the receiver could not open), named by its digest', async () => {
      const answered = await verify(
        await batchReceipt(
          receiver,
          entries((entry, index) => {
            if (index === 2) Object.assign(entry, { messageId: '', outcome: REJECTED });
          }),
        ),
      );
      assert.equal(answered[2]?.outcome, REJECTED);
    });

    it('rejects an entry whose digest is not that of the bytes sent', async () => {
      const receipt = await batchReceipt(
        receiver,
        entries((entry, index) => {
          if (index === 1) entry.receivedDigest = digestOf(Buffer.from('other bytes'));
        }),
      );
      await refuses(verify(receipt), /m-2 names a digest of other bytes/);
    });

    it('rejects an entry for another message id, and an ACCEPTED entry without one', async () => {
      await refuses(
        verify(
          await batchReceipt(
            receiver,
            entries((entry, index) => {
              if (index === 0) entry.messageId = 'm-9';
            }),
          ),
        ),
        /for message m-9, not m-1/,
      );
      await refuses(
        verify(
          await batchReceipt(
            receiver,
            entries((entry, index) => {
              if (index === 0) entry.messageId = '';
            }),
          ),
        ),
        /not m-1/,
      );
    });

    it('rejects a batch receipt with fewer or more entries than messages sent', async () => {
      await refuses(verify(await batchReceipt(receiver, entries().slice(0, 2))), /2 entries for the 3 messages/);
      await refuses(
        verify(await batchReceipt(receiver, [...entries(), ...entries().slice(0, 1)])),
        /4 entries for the 3 messages/,
      );
    });

    it('rejects a batch receipt whose signature does not verify', async () => {
      const receipt = gnc.v1.ReceiptBatch.decode(await batchReceipt(receiver, entries()));
      // Another content under the same signature: the signature no longer covers it.
      const altered = gnc.v1.ReceiptBatchInfo.decode(receipt.receiptBatchInfo);
      altered.signedAtMs = Number(altered.signedAtMs) + 1;
      receipt.receiptBatchInfo = gnc.v1.ReceiptBatchInfo.encode(altered).finish();
      await refuses(verify(gnc.v1.ReceiptBatch.encode(receipt).finish()), /signature of CustomsB does not verify/);
    });

    it('rejects a batch receipt signed by an identity that does not chain to the partner’s trust anchors', async () => {
      await refuses(verify(await batchReceipt(impostor, entries())), /signer is not an identity of CustomsB/);
    });

    it('rejects bytes that are not a batch receipt', async () => {
      await refuses(verify(Buffer.from('not a receipt at all')), /does not decode|signature algorithm/);
    });
  });

  describe('signBatchReceipt', () => {
    it('signs with a low-S signature that verifies, and rejects (does not throw) when the signer fails', async () => {
      const bytes = await batchReceipt(receiver, entries());
      const signature = parseEcdsaSignature(gnc.v1.ReceiptBatch.decode(bytes).signature);
      assert.ok(signature && signature.s <= P256_HALF_N, 'a low-S DER signature');
      assert.deepEqual(
        (await verify(bytes)).map((entry) => entry.messageId),
        sent.map((message) => message.messageId),
      );
      const failing: SigningIdentity = {
        ...receiver,
        sign: () => {
          throw new Error('the key is gone');
        },
      };
      const answer = batchReceipt(failing, entries());
      assert.ok(answer instanceof Promise);
      await assert.rejects(answer, /the key is gone/);
    });
  });

  describe('verifyStoredReceipt', () => {
    it('verifies a message’s entry of a stored batch receipt, and a stored single receipt', async () => {
      const bytes = await batchReceipt(receiver, entries());
      const expected = { partnerId: 'CustomsB', trustAnchorsPem };
      const entry = await verifyStoredReceipt(
        { bytes, batchIndex: 2 },
        { ...expected, messageId: 'm-3', sentBytes: sent[2]!.bytes },
      );
      assert.equal(entry.messageId, 'm-3');
      const single = await signReceipt(receiver, {
        messageId: 'm-1',
        receivedBytes: sent[0]!.bytes,
        receiverId: 'CustomsB',
        senderId: 'CustomsA',
        outcome: ACCEPTED,
      });
      assert.equal(
        (await verifyStoredReceipt({ bytes: single }, { ...expected, messageId: 'm-1', sentBytes: sent[0]!.bytes }))
          .messageId,
        'm-1',
      );
    });

    it('rejects a stored batch receipt whose entry at the index is another message’s', async () => {
      const bytes = await batchReceipt(receiver, entries());
      await refuses(
        verifyStoredReceipt(
          { bytes, batchIndex: 0 },
          { partnerId: 'CustomsB', trustAnchorsPem, messageId: 'm-3', sentBytes: sent[2]!.bytes },
        ),
        /for message m-1, not m-3/,
      );
    });
  });
});

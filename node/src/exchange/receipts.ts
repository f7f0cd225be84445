import { createHash } from 'node:crypto';
import { gnc } from '../gen/gnc';
import { GncError } from '../errors';
import { createMspVerifier, type MspVerifier } from '../identity/msp-verifier';
import { verifySignatureAsync } from '../identity/signer';
import type { SigningIdentity } from '../identity/signing-identity';

/**
 * Signed receipts: the receiver of a message answers with what it received (message id, SHA-256
 * of the bytes as they came off the transport, time, outcome), signed with its node key, so the
 * sender holds proof of delivery. Receipts travel as gnc.v1.Receipt protobuf whatever the
 * partner's message format: they are the node-to-node protocol, not business content.
 */

const ALGORITHM = 'ecdsa-p256-sha256';

export function digestOf(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export async function signReceipt(
  signer: SigningIdentity,
  info: {
    messageId: string;
    receivedBytes: Uint8Array;
    receiverId: string;
    senderId: string;
    outcome: gnc.v1.ReceiptOutcome;
    error?: { code: string; message: string };
  },
): Promise<Buffer> {
  const receiptInfo = gnc.v1.ReceiptInfo.encode({
    messageId: info.messageId,
    digestAlgorithm: gnc.v1.DigestAlgorithm.DIGEST_ALGORITHM_SHA256,
    receivedDigest: digestOf(info.receivedBytes),
    receivedAtMs: Date.now(),
    receiverId: info.receiverId,
    senderId: info.senderId,
    outcome: info.outcome,
    errorCode: info.error?.code ?? '',
    errorMessage: info.error?.message ?? '',
  }).finish();
  return Buffer.from(
    gnc.v1.Receipt.encode({
      receiptInfo,
      signatureAlgorithm: ALGORITHM,
      signature: await signer.signAsync(receiptInfo),
      signerCertificate: Buffer.from(signer.certificatePem, 'utf8'),
    }).finish(),
  );
}

export class ReceiptInvalidError extends GncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_EXCHANGE_RECEIPT_INVALID', message, { ...options, httpStatus: 502 });
  }
}

/**
 * One MSP verifier per partner and trust-anchor list (an agreement's list lives as long as the
 * agreement): the verifier parses the roots once and caches each signer certificate's
 * time-independent checks, so a receipt costs a map lookup and a date comparison, not a
 * certificate parse. A new list (a reloaded agreement) gets a new verifier.
 */
const verifiers = new WeakMap<readonly string[], Map<string, MspVerifier>>();

function verifierFor(partnerId: string, trustAnchorsPem: readonly string[]): MspVerifier {
  let byPartner = verifiers.get(trustAnchorsPem);
  if (!byPartner) {
    byPartner = new Map();
    verifiers.set(trustAnchorsPem, byPartner);
  }
  let verifier = byPartner.get(partnerId);
  if (!verifier) {
    verifier = createMspVerifier([{ mspId: partnerId, rootCertificatesPem: trustAnchorsPem }]);
    byPartner.set(partnerId, verifier);
  }
  return verifier;
}

/**
 * Checks a receipt for a message we sent: signed by a certificate of the partner's trust anchors,
 * for this message id, over exactly the bytes we sent. Returns the receipt's content.
 */
export async function verifyReceipt(
  receiptBytes: Uint8Array,
  expected: { messageId: string; sentBytes: Uint8Array; partnerId: string; trustAnchorsPem: readonly string[] },
): Promise<gnc.v1.ReceiptInfo> {
  let receipt: gnc.v1.Receipt;
  let info: gnc.v1.ReceiptInfo;
  try {
    receipt = gnc.v1.Receipt.decode(receiptBytes);
    info = gnc.v1.ReceiptInfo.decode(receipt.receiptInfo);
  } catch (error) {
    throw new ReceiptInvalidError(`the receipt from ${expected.partnerId} does not decode`, { cause: error });
  }
  if (receipt.signatureAlgorithm !== ALGORITHM) {
    throw new ReceiptInvalidError(`receipt signature algorithm '${receipt.signatureAlgorithm}' is not ${ALGORITHM}`);
  }
  const certificatePem = Buffer.from(receipt.signerCertificate).toString('utf8');
  try {
    verifierFor(expected.partnerId, expected.trustAnchorsPem).validateIdentity(
      expected.partnerId,
      certificatePem,
      new Date(),
    );
  } catch (error) {
    throw new ReceiptInvalidError(
      `the receipt signer is not an identity of ${expected.partnerId}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!(await verifySignatureAsync(certificatePem, receipt.receiptInfo, receipt.signature))) {
    throw new ReceiptInvalidError(`the receipt signature of ${expected.partnerId} does not verify`);
  }
  if (info.messageId !== expected.messageId) {
    throw new ReceiptInvalidError(`the receipt is for message ${info.messageId}, not ${expected.messageId}`);
  }
  if (!Buffer.from(info.receivedDigest).equals(digestOf(expected.sentBytes))) {
    throw new ReceiptInvalidError(`the receipt for ${expected.messageId} names a digest of other bytes than were sent`);
  }
  return info;
}

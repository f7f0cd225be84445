import { createHash } from 'node:crypto';
import { gnc } from '../gen/gnc';
import { GncError, asError } from '../errors';
import { createMspVerifier, type MspVerifier } from '../identity/msp-verifier';
import { verifySignature, verifySignatureAsync } from '../identity/signer';
import type { SigningIdentity } from '../identity/signing-identity';

/**
 * Signed receipts: the receiver of a message answers with what it received (message id, SHA-256
 * of the bytes as they came off the transport, time, outcome), signed with its node key, so the
 * sender holds proof of delivery. Receipts travel as gnc.v1.Receipt protobuf whatever the
 * partner's message format: they are the node-to-node protocol, not business content.
 *
 * A batch frame (gnc.v1.MessageBatch) is answered by one gnc.v1.ReceiptBatch: the same
 * ReceiptInfo for each of its messages, in order, under one signature. An entry proves the
 * delivery of its message as a single receipt does (verifyStoredReceipt checks either kind).
 */

const ALGORITHM = 'ecdsa-p256-sha256';

export function digestOf(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The signed content of a receipt for one message, encoded (the entry of a batch receipt is the same message). */
export function receiptInfoOf(info: {
  messageId: string;
  /** SHA-256 of the bytes received (digestOf). */
  receivedDigest: Uint8Array;
  receivedAtMs?: number;
  receiverId: string;
  senderId: string;
  outcome: gnc.v1.ReceiptOutcome;
  error?: { code: string; message: string };
}): gnc.v1.IReceiptInfo {
  return {
    messageId: info.messageId,
    digestAlgorithm: gnc.v1.DigestAlgorithm.DIGEST_ALGORITHM_SHA256,
    receivedDigest: info.receivedDigest,
    receivedAtMs: info.receivedAtMs ?? Date.now(),
    receiverId: info.receiverId,
    senderId: info.senderId,
    outcome: info.outcome,
    errorCode: info.error?.code ?? '',
    errorMessage: info.error?.message ?? '',
  };
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
  const { receivedBytes, ...rest } = info;
  return signReceiptInfo(
    signer,
    gnc.v1.ReceiptInfo.encode(receiptInfoOf({ ...rest, receivedDigest: digestOf(receivedBytes) })).finish(),
  );
}

/**
 * A single-message Receipt over already encoded ReceiptInfo bytes: how a message first receipted
 * in a batch is answered when it comes again on its own (the same content, newly signed).
 */
export async function signReceiptInfo(signer: SigningIdentity, receiptInfo: Uint8Array): Promise<Buffer> {
  return Buffer.from(gnc.v1.Receipt.encode({ receiptInfo, ...(await signatureOver(signer, receiptInfo)) }).finish());
}

/** The signature fields Receipt and ReceiptBatch share, over exactly `signed`. */
function signatureFields(
  signer: SigningIdentity,
  signature: Uint8Array,
): { signatureAlgorithm: string; signature: Uint8Array; signerCertificate: Buffer } {
  return { signatureAlgorithm: ALGORITHM, signature, signerCertificate: Buffer.from(signer.certificatePem, 'utf8') };
}

async function signatureOver(
  signer: SigningIdentity,
  signed: Uint8Array,
): Promise<{ signatureAlgorithm: string; signature: Uint8Array; signerCertificate: Buffer }> {
  return signatureFields(signer, await signer.signAsync(signed));
}

/** One signature over the outcome of every message of a batch frame, entry i for message i. */
export function signBatchReceipt(
  signer: SigningIdentity,
  batch: { receipts: gnc.v1.IReceiptInfo[]; receiverId: string; senderId: string },
): Promise<Buffer> {
  // Signed here, not on the crypto worker: a frame has one signature whatever its size, and frames
  // grow with the load, so there are at most a few hundred a second. One P-256 signature (~20 us)
  // costs the main thread less than the trip to the worker, and the answer does not wait for
  // that thread to be scheduled (on a busy machine, milliseconds in the latency tail).
  try {
    const receiptBatchInfo = gnc.v1.ReceiptBatchInfo.encode({ ...batch, signedAtMs: Date.now() }).finish();
    const signature = signatureFields(signer, signer.sign(receiptBatchInfo));
    return Promise.resolve(Buffer.from(gnc.v1.ReceiptBatch.encode({ receiptBatchInfo, ...signature }).finish()));
  } catch (error) {
    // A signer that fails rejects, as signing on the worker did, rather than throwing at the caller.
    return Promise.reject(asError(error));
  }
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

/** The receipt's signer is an identity of the partner (its trust anchors), and its signature verifies. */
async function checkSignature(
  signed: { signatureAlgorithm: string; signerCertificate: Uint8Array; signature: Uint8Array },
  content: Uint8Array,
  expected: { partnerId: string; trustAnchorsPem: readonly string[] },
  what: string,
  /** Verify on this thread (one batch receipt a frame), not on the crypto worker (see signBatchReceipt). */
  inline = false,
): Promise<void> {
  if (signed.signatureAlgorithm !== ALGORITHM) {
    throw new ReceiptInvalidError(`${what} signature algorithm '${signed.signatureAlgorithm}' is not ${ALGORITHM}`);
  }
  const certificatePem = Buffer.from(signed.signerCertificate).toString('utf8');
  try {
    verifierFor(expected.partnerId, expected.trustAnchorsPem).validateIdentity(
      expected.partnerId,
      certificatePem,
      new Date(),
    );
  } catch (error) {
    throw new ReceiptInvalidError(
      `the ${what} signer is not an identity of ${expected.partnerId}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const valid = inline
    ? verifySignature(certificatePem, content, signed.signature)
    : await verifySignatureAsync(certificatePem, content, signed.signature);
  if (!valid) {
    throw new ReceiptInvalidError(`the ${what} signature of ${expected.partnerId} does not verify`);
  }
}

/** The entry names the message sent: its id, and the digest of exactly the bytes sent. */
function checkEntry(info: gnc.v1.IReceiptInfo, sent: { messageId: string; digest: Uint8Array }): void {
  if (info.messageId !== sent.messageId) {
    throw new ReceiptInvalidError(`the receipt is for message ${info.messageId}, not ${sent.messageId}`);
  }
  if (!info.receivedDigest || !Buffer.from(info.receivedDigest).equals(sent.digest)) {
    throw new ReceiptInvalidError(`the receipt for ${sent.messageId} names a digest of other bytes than were sent`);
  }
}

/**
 * Checks a receipt for a message we sent: signed by a certificate of the partner's trust anchors,
 * for this message id, over exactly the bytes we sent. Returns the receipt's content.
 */
export async function verifyReceipt(
  receiptBytes: Uint8Array,
  expected: {
    messageId: string;
    sentBytes: Uint8Array;
    /** SHA-256 of `sentBytes`, when the caller has it (saves hashing them again). */
    sentDigest?: Uint8Array;
    partnerId: string;
    trustAnchorsPem: readonly string[];
  },
): Promise<gnc.v1.ReceiptInfo> {
  let receipt: gnc.v1.Receipt;
  let info: gnc.v1.ReceiptInfo;
  try {
    receipt = gnc.v1.Receipt.decode(receiptBytes);
    info = gnc.v1.ReceiptInfo.decode(receipt.receiptInfo);
  } catch (error) {
    throw new ReceiptInvalidError(`the receipt from ${expected.partnerId} does not decode`, { cause: error });
  }
  await checkSignature(receipt, receipt.receiptInfo, expected, 'receipt');
  checkEntry(info, { messageId: expected.messageId, digest: expected.sentDigest ?? digestOf(expected.sentBytes) });
  return info;
}

/**
 * Checks the receipt of a batch frame we sent: one signature by the partner over an entry per
 * message, entry i naming message i's id and the digest of its bytes. Any mismatch refuses the
 * whole receipt (it does not answer what was sent). Returns the entries, one per message sent.
 */
export async function verifyBatchReceipt(
  receiptBytes: Uint8Array,
  expected: {
    /** The messages of the frame, in order; `digest` (SHA-256 of `bytes`) saves hashing them again. */
    sent: ReadonlyArray<{ messageId: string; bytes: Uint8Array; digest?: Uint8Array }>;
    partnerId: string;
    trustAnchorsPem: readonly string[];
  },
): Promise<gnc.v1.IReceiptInfo[]> {
  const info = await openBatchReceipt(receiptBytes, expected);
  if (info.receipts.length !== expected.sent.length) {
    throw new ReceiptInvalidError(
      `the batch receipt has ${info.receipts.length} entries for the ${expected.sent.length} messages sent`,
    );
  }
  expected.sent.forEach((sent, index) => {
    const entry = info.receipts[index]!;
    // A message the receiver could not open has no id it can vouch for: its REJECTED entry names it by digest alone.
    const unopened = entry.outcome === gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED && entry.messageId === '';
    checkEntry(entry, {
      messageId: unopened ? '' : sent.messageId,
      digest: sent.digest ?? digestOf(sent.bytes),
    });
  });
  return info.receipts;
}

/** Decodes a ReceiptBatch and checks its signature (signer of the partner's trust anchors); returns its signed content. */
async function openBatchReceipt(
  bytes: Uint8Array,
  expected: { partnerId: string; trustAnchorsPem: readonly string[] },
): Promise<gnc.v1.ReceiptBatchInfo> {
  let receipt: gnc.v1.ReceiptBatch;
  let info: gnc.v1.ReceiptBatchInfo;
  try {
    receipt = gnc.v1.ReceiptBatch.decode(bytes);
    info = gnc.v1.ReceiptBatchInfo.decode(receipt.receiptBatchInfo);
  } catch (error) {
    throw new ReceiptInvalidError(`the batch receipt from ${expected.partnerId} does not decode`, { cause: error });
  }
  await checkSignature(receipt, receipt.receiptBatchInfo, expected, 'batch receipt', true);
  return info;
}

/** A receipt as the sender's store keeps it: a single Receipt, or a ReceiptBatch and the message's entry in it. */
export interface StoredReceipt {
  /** The receipt bytes exactly as the partner answered them (gnc.v1.Receipt or gnc.v1.ReceiptBatch). */
  bytes: Buffer;
  /** Set when `bytes` is a ReceiptBatch: the index of the message's entry. */
  batchIndex?: number;
}

/**
 * Verifies a stored receipt for one message we sent (a single receipt, or its entry of a batch
 * receipt: the whole batch signature is checked, then the entry). Returns the message's entry.
 */
export async function verifyStoredReceipt(
  stored: StoredReceipt,
  expected: { messageId: string; sentBytes: Uint8Array; partnerId: string; trustAnchorsPem: readonly string[] },
): Promise<gnc.v1.IReceiptInfo> {
  if (stored.batchIndex === undefined) return verifyReceipt(stored.bytes, expected);
  const info = await openBatchReceipt(stored.bytes, expected);
  const entry = info.receipts[stored.batchIndex];
  if (!entry) throw new ReceiptInvalidError(`the batch receipt has no entry ${stored.batchIndex}`);
  checkEntry(entry, { messageId: expected.messageId, digest: digestOf(expected.sentBytes) });
  return entry;
}

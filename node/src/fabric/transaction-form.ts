/**
 * Fabric v3's check that a block's transactions are well formed
 * (`protoutil.VerifyTransactionsAreWellFormed`, run inside `protoutil.BlockDataHash`): each
 * envelope must parse, carry a payload and a signature, and re-marshal to exactly the bytes that
 * were hashed, so nothing can hide in the hashed bytes that the parsed transaction does not show.
 * A block holding a single CONFIG transaction is exempt, as in Fabric.
 *
 * The error strings are Fabric's, except for the Go protobuf parse error text (which Go randomises
 * on purpose and which cannot be reproduced).
 */
import { encodedVarintLength, writeVarint } from './varint';
import { type WireField, hasBytesField, lastBytesField, lastInt32Field, parseWireFields } from './wire';

const ENVELOPE_PAYLOAD = 1;
const ENVELOPE_SIGNATURE = 2;
const PAYLOAD_HEADER = 1;
const HEADER_CHANNEL_HEADER = 1;
const CHANNEL_HEADER_TYPE = 1;
const HEADER_TYPE_CONFIG = 1;
const TAG_PAYLOAD = 0x0a;
const TAG_SIGNATURE = 0x12;

/**
 * Fabric's well-formedness verdict on a block's data.
 *
 * @returns `undefined` when well formed, else the error Fabric reports (e.g. `'empty block'`,
 * `'transaction 3 has no signature'`).
 */
export function transactionsWellFormedError(envelopes: readonly Uint8Array[]): string | undefined {
  if (envelopes.length === 0) return 'empty block';
  if (isConfigBlockData(envelopes)) return undefined;
  for (let i = 0; i < envelopes.length; i++) {
    const error = envelopeFormError(envelopes[i] as Uint8Array, i);
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * Fabric's `protoutil.HasConfigTx`: exactly one envelope whose channel header type is CONFIG.
 * Anything that does not parse on the way there answers `false`, as in Fabric.
 */
export function isConfigBlockData(envelopes: readonly Uint8Array[]): boolean {
  if (envelopes.length !== 1) return false;
  const payload = lastBytesField(envelopes[0] as Uint8Array, ENVELOPE_PAYLOAD);
  if (payload === undefined || !hasBytesField(payload, PAYLOAD_HEADER)) return false;
  const header = lastBytesField(payload, PAYLOAD_HEADER);
  if (header === undefined) return false;
  const channelHeader = lastBytesField(header, HEADER_CHANNEL_HEADER);
  if (channelHeader === undefined) return false;
  return lastInt32Field(channelHeader, CHANNEL_HEADER_TYPE) === HEADER_TYPE_CONFIG;
}

/**
 * Checks one envelope as Fabric does: unmarshal, require payload and signature, marshal again,
 * compare. Go's marshal writes the known fields in number order (empty ones omitted, minimal
 * varints), then any unknown fields in the order they came; that output is rebuilt here only when
 * the bytes are not already in that canonical two-field shape.
 */
export function envelopeFormError(raw: Uint8Array, index: number): string | undefined {
  if (isCanonicalEnvelope(raw)) return undefined;
  const fields = parseWireFields(raw);
  if (fields === undefined) return `transaction ${index} is invalid: proto: cannot parse invalid wire-format data`;
  let payload: WireField | undefined;
  let signature: WireField | undefined;
  const unknown: WireField[] = [];
  for (const f of fields) {
    // A known field number with another wire type is kept as an unknown field by Go.
    if (f.number === ENVELOPE_PAYLOAD && f.wireType === 2) payload = f;
    else if (f.number === ENVELOPE_SIGNATURE && f.wireType === 2) signature = f;
    else unknown.push(f);
  }
  const payloadLen = payload ? payload.end - payload.valueStart : 0;
  const signatureLen = signature ? signature.end - signature.valueStart : 0;
  if (payloadLen === 0) return `transaction ${index} has no payload`;
  if (signatureLen === 0) return `transaction ${index} has no signature`;
  const expected = remarshal(raw, payload as WireField, signature as WireField, unknown);
  if (expected.length < raw.length) return `transaction ${index} has ${raw.length - expected.length} trailing bytes`;
  if (!expected.equals(raw)) {
    return `transaction ${index} (${expected.toString('base64')}) does not match its raw form (${Buffer.from(
      raw.buffer,
      raw.byteOffset,
      raw.byteLength,
    ).toString('base64')})`;
  }
  return undefined;
}

/** `[0x0a len payload][0x12 len signature]`, both non-empty, minimal lengths, nothing else. */
function isCanonicalEnvelope(raw: Uint8Array): boolean {
  if (raw[0] !== TAG_PAYLOAD) return false;
  const payloadEnd = minimalLengthPrefixedEnd(raw, 1);
  if (payloadEnd < 0 || raw[payloadEnd] !== TAG_SIGNATURE) return false;
  return minimalLengthPrefixedEnd(raw, payloadEnd + 1) === raw.length;
}

/** End of a non-empty, minimally length-prefixed value at `pos`, or -1. */
function minimalLengthPrefixedEnd(raw: Uint8Array, pos: number): number {
  let len = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    if (p >= raw.length || shift > 28) return -1;
    const b = raw[p++] as number;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      // A last byte of 0 after a continuation is a padded (non-minimal) varint.
      if (b === 0 && p - pos > 1) return -1;
      break;
    }
    shift += 7;
  }
  if (len === 0 || p + len > raw.length) return -1;
  return p + len;
}

function remarshal(raw: Uint8Array, payload: WireField, signature: WireField, unknown: readonly WireField[]): Buffer {
  const pLen = payload.end - payload.valueStart;
  const sLen = signature.end - signature.valueStart;
  let size = 1 + encodedVarintLength(pLen) + pLen + 1 + encodedVarintLength(sLen) + sLen;
  for (const f of unknown) size += f.end - f.start;
  const out = Buffer.allocUnsafe(size);
  out[0] = TAG_PAYLOAD;
  let pos = writeVarint(out, 1, pLen);
  out.set(raw.subarray(payload.valueStart, payload.end), pos);
  pos += pLen;
  out[pos++] = TAG_SIGNATURE;
  pos = writeVarint(out, pos, sLen);
  out.set(raw.subarray(signature.valueStart, signature.end), pos);
  pos += sLen;
  for (const f of unknown) {
    out.set(raw.subarray(f.start, f.end), pos);
    pos += f.end - f.start;
  }
  return out;
}

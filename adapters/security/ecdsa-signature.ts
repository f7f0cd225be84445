/**
 * ECDSA signatures in the fixed-size r || s form (IEEE P1363) that JOSE (RFC 7518 3.4) and
 * XMLDSig (RFC 4050) use, made and checked by node:crypto with the key passed as a bare KeyObject.
 *
 * node:crypto also takes `{ key, dsaEncoding: 'ieee-p1363' }`, but Node 24 recognises a key in an
 * options object only after two failed (thrown and caught) type probes on the object itself: that
 * costs about 20 us a call, as much as the P-256 signature (bench/crypto.ts prints both). Signing
 * in node:crypto's own DER form and converting the few bytes here is the same signature, cheaper.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;

/**
 * Signs `data` with an EC key (`digest`: 'sha256' for ES256) and returns r || s, each left-padded
 * to `componentBytes` (32 for P-256).
 */
export function signP1363(digest: string, data: Uint8Array, key: KeyObject, componentBytes: number): Buffer {
  return derToP1363(cryptoSign(digest, data, key), componentBytes);
}

/**
 * Checks an r || s signature over `data` with an EC public key. False for a signature of odd
 * length or one that does not verify; throws only what node:crypto throws for an unusable key.
 */
export function verifyP1363(digest: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  if (signature.length === 0 || signature.length % 2 !== 0 || signature.length > 2 * 66) return false;
  return cryptoVerify(digest, data, key, p1363ToDer(signature));
}

/** DER ECDSA-Sig-Value (SEQUENCE of INTEGER r, INTEGER s) to r || s of `componentBytes` each. */
export function derToP1363(der: Uint8Array, componentBytes: number): Buffer {
  const out = Buffer.alloc(2 * componentBytes);
  let pos = 0;
  if (der[pos++] !== TAG_SEQUENCE) throw new Error('ECDSA signature: not a DER SEQUENCE');
  // Both INTEGERs of a P-256 to P-521 signature fit a SEQUENCE of at most 139 bytes: a length in
  // one byte, or in the one byte after 0x81.
  let sequenceLength = der[pos++] ?? 0;
  if (sequenceLength === 0x81) sequenceLength = der[pos++] ?? 0;
  else if (sequenceLength > 0x80) sequenceLength = -1;
  if (pos + sequenceLength !== der.length) {
    throw new Error('ECDSA signature: bad DER SEQUENCE length');
  }
  for (let component = 0; component < 2; component++) {
    if (der[pos++] !== TAG_INTEGER) throw new Error('ECDSA signature: not a DER INTEGER');
    let length = der[pos++] ?? 0;
    // Drop the sign byte (and any leading zero) so the magnitude fits the fixed width.
    while (length > componentBytes && der[pos] === 0) {
      pos++;
      length--;
    }
    if (length > componentBytes || pos + length > der.length) throw new Error('ECDSA signature: integer too long');
    out.set(der.subarray(pos, pos + length), (component + 1) * componentBytes - length);
    pos += length;
  }
  return out;
}

/** r || s (two halves of equal length) to a DER ECDSA-Sig-Value. */
export function p1363ToDer(signature: Uint8Array): Buffer {
  const half = signature.length / 2;
  const r = minimalInteger(signature.subarray(0, half));
  const s = minimalInteger(signature.subarray(half));
  const contentLength = 2 + r.length + 2 + s.length;
  const header = contentLength >= 0x80 ? 3 : 2;
  const out = Buffer.allocUnsafe(header + contentLength);
  let pos = 0;
  out[pos++] = TAG_SEQUENCE;
  if (header === 3) out[pos++] = 0x81;
  out[pos++] = contentLength;
  for (const integer of [r, s]) {
    out[pos++] = TAG_INTEGER;
    out[pos++] = integer.length;
    out.set(integer, pos);
    pos += integer.length;
  }
  return out;
}

/** The content of a DER INTEGER holding the unsigned big-endian `magnitude`: no extra leading zeros, a 00 before a high bit. */
function minimalInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  if ((trimmed[0] ?? 0) < 0x80) return trimmed.length > 0 ? trimmed : Uint8Array.of(0);
  const padded = new Uint8Array(trimmed.length + 1);
  padded.set(trimmed, 1);
  return padded;
}

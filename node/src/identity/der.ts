/**
 * Minimal strict DER helpers for the two structures this module has to touch byte by byte:
 * ECDSA signatures (SEQUENCE of two INTEGERs) and the outer Certificate SEQUENCE. A general
 * ASN.1 library would accept BER leniencies that Fabric's Go code rejects, so parsing is strict.
 * Internal: not exported from index.ts.
 */

/** Order of the P-256 group. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** Signatures with S above this are "high S"; Fabric rejects them as malleable. */
export const P256_HALF_N = P256_N >> 1n;

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_SEQUENCE = 0x30;

interface Tlv {
  readonly tag: number;
  /** Offset of the first byte of the TLV (its tag). */
  readonly offset: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset just past the last content byte, which is also where the next TLV begins. */
  readonly end: number;
}

/** Reads one TLV with a definite, minimally encoded length; undefined if it is not valid DER. */
function readTlv(buf: Uint8Array, offset: number): Tlv | undefined {
  const tag = buf[offset];
  let lengthByte = buf[offset + 1];
  if (tag === undefined || lengthByte === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let pos = offset + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    // 0x80 is BER indefinite length; more than 4 length bytes cannot describe anything we handle.
    if (count === 0 || count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = buf[pos++];
      if (lengthByte === undefined) return undefined;
      if (i === 0 && lengthByte === 0) return undefined; // non-minimal length
      length = length * 256 + lengthByte;
    }
    if (length < 0x80) return undefined; // should have used the short form
  }
  const end = pos + length;
  if (end > buf.length) return undefined;
  return { tag, offset, start: pos, end };
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function encodeTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const contentLength = parts.reduce((sum, p) => sum + p.length, 0);
  const length = encodeLength(contentLength);
  const out = new Uint8Array(1 + length.length + contentLength);
  out[0] = tag;
  out.set(length, 1);
  let pos = 1 + length.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'));
}

function encodeInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = Buffer.from(hex, 'hex');
  // DER INTEGERs are signed: a leading 1 bit needs a zero byte in front to stay positive.
  return encodeTlv(TAG_INTEGER, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes);
}

/** Parses a positive, minimally encoded DER INTEGER. */
function readPositiveInteger(buf: Uint8Array, offset: number): { value: bigint; end: number } | undefined {
  const tlv = readTlv(buf, offset);
  if (tlv?.tag !== TAG_INTEGER || tlv.end === tlv.start) return undefined;
  const first = buf[tlv.start] ?? 0;
  if (first & 0x80) return undefined; // negative
  if (first === 0 && tlv.end - tlv.start > 1 && ((buf[tlv.start + 1] ?? 0) & 0x80) === 0) return undefined; // padded
  return { value: bytesToBigInt(buf.subarray(tlv.start, tlv.end)), end: tlv.end };
}

/** An ECDSA signature's two scalars. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/**
 * Parses a DER ECDSA-Sig-Value strictly (no trailing bytes, minimal integers, 0 < r,s < n).
 * Returns undefined instead of throwing so that verification paths can treat garbage as "invalid".
 */
export function parseEcdsaSignature(der: Uint8Array): EcdsaSignature | undefined {
  const seq = readTlv(der, 0);
  if (seq?.tag !== TAG_SEQUENCE || seq.end !== der.length) return undefined;
  const r = readPositiveInteger(der, seq.start);
  if (!r) return undefined;
  const s = readPositiveInteger(der, r.end);
  if (s?.end !== seq.end) return undefined;
  if (r.value === 0n || s.value === 0n || r.value >= P256_N || s.value >= P256_N) return undefined;
  return { r: r.value, s: s.value };
}

/** Encodes (r, s) as DER, replacing S by n - S when S is high so the result is always low S. */
export function encodeLowSSignature(r: bigint, s: bigint): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, encodeInteger(r), encodeInteger(s > P256_HALF_N ? P256_N - s : s));
}

/** n and n / 2 as 32 big-endian bytes, for the byte-level low-S conversion below. */
const P256_N_BYTES = Buffer.from(P256_N.toString(16).padStart(64, '0'), 'hex');
const P256_HALF_N_BYTES = Buffer.from(P256_HALF_N.toString(16).padStart(64, '0'), 'hex');
const SCALAR_BYTES = 32;

/**
 * Converts an IEEE P1363 (r || s, 32 bytes each) P-256 signature to low-S DER. Every signature
 * the node makes passes through here (three a transaction), so it works on the bytes: comparing
 * S with n / 2 and subtracting it from n byte by byte costs a fraction of a round trip through
 * BigInt and hex strings. Gives the same bytes as encodeLowSSignature (a unit test compares them).
 */
export function p1363ToLowSDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 2 * SCALAR_BYTES) throw new Error(`expected a 64-byte P-256 signature, got ${raw.length} bytes`);
  const s = raw.subarray(SCALAR_BYTES);
  const lowS = compareScalars(s, P256_HALF_N_BYTES) > 0 ? subtractFromN(s) : s;
  const r = raw.subarray(0, SCALAR_BYTES);
  const rLength = integerLength(r);
  const sLength = integerLength(lowS);
  // At most 2 * (2 + 33) content bytes: the SEQUENCE length always fits the short form.
  const out = new Uint8Array(2 + rLength + sLength);
  out[0] = TAG_SEQUENCE;
  out[1] = rLength + sLength;
  writeInteger(out, 2, r, rLength);
  writeInteger(out, 2 + rLength, lowS, sLength);
  return out;
}

/**
 * Converts a DER P-256 signature as node:crypto makes it (minimal INTEGERs, r and s below n) to
 * low-S DER: the signers pass their key to node:crypto bare and take its DER, since a key in an
 * options object (`{ key, dsaEncoding }`) costs Node 24 about 20 us a call, as much as the
 * signature (adapters/security/ecdsa-signature.ts). Throws on anything that is not such a signature.
 */
export function derToLowSDer(der: Uint8Array): Uint8Array {
  const seq = readTlv(der, 0);
  if (seq?.tag !== TAG_SEQUENCE || seq.end !== der.length) throw new Error('ECDSA signature: not a DER SEQUENCE');
  const raw = new Uint8Array(2 * SCALAR_BYTES);
  let at = seq.start;
  for (let component = 0; component < 2; component++) {
    const integer = readTlv(der, at);
    if (integer?.tag !== TAG_INTEGER) throw new Error('ECDSA signature: not a DER INTEGER');
    let start = integer.start;
    // The sign byte before a high bit is not part of the 32-byte scalar.
    while (integer.end - start > SCALAR_BYTES && der[start] === 0) start++;
    if (integer.end - start > SCALAR_BYTES) throw new Error('ECDSA signature: integer too long for P-256');
    raw.set(der.subarray(start, integer.end), (component + 1) * SCALAR_BYTES - (integer.end - start));
    at = integer.end;
  }
  if (at !== seq.end) throw new Error('ECDSA signature: trailing bytes');
  return p1363ToLowSDer(raw);
}

/** Compares two 32-byte big-endian scalars. */
function compareScalars(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < SCALAR_BYTES; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** n - s for a 32-byte big-endian s < n. */
function subtractFromN(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(SCALAR_BYTES);
  let borrow = 0;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    const diff = (P256_N_BYTES[i] ?? 0) - (s[i] ?? 0) - borrow;
    borrow = diff < 0 ? 1 : 0;
    out[i] = diff & 0xff;
  }
  return out;
}

/** The first byte of the minimal big-endian form of a scalar (one zero byte stays for zero). */
function firstSignificant(scalar: Uint8Array): number {
  let at = 0;
  while (at < SCALAR_BYTES - 1 && scalar[at] === 0) at++;
  return at;
}

/** Bytes of the DER INTEGER TLV of a non-negative scalar: a zero byte keeps a high first bit positive. */
function integerLength(scalar: Uint8Array): number {
  const at = firstSignificant(scalar);
  return 2 + (SCALAR_BYTES - at) + (((scalar[at] ?? 0) & 0x80) !== 0 ? 1 : 0);
}

function writeInteger(out: Uint8Array, offset: number, scalar: Uint8Array, tlvLength: number): void {
  const at = firstSignificant(scalar);
  out[offset] = TAG_INTEGER;
  out[offset + 1] = tlvLength - 2;
  if (((scalar[at] ?? 0) & 0x80) !== 0) out[offset + 2] = 0;
  out.set(scalar.subarray(at), offset + tlvLength - (SCALAR_BYTES - at));
}

/** The BigInt conversion p1363ToLowSDer replaced; kept as the reference its test compares with. */
export function p1363ToLowSDerViaBigInt(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new Error(`expected a 64-byte P-256 signature, got ${raw.length} bytes`);
  return encodeLowSSignature(bytesToBigInt(raw.subarray(0, 32)), bytesToBigInt(raw.subarray(32)));
}

/**
 * Rewrites an ECDSA-signed certificate so its signature has low S. WebCrypto signs with whatever S
 * comes out; Fabric's MSP treats a certificate whose signature is high S as not well formed
 * (it compares the certificate against a low-S "sanitised" copy), so every certificate we
 * issue goes through this. n - S is an equally valid signature over the same TBS bytes.
 */
export function lowSCertificate(certDer: Uint8Array): Uint8Array {
  const cert = readTlv(certDer, 0);
  if (cert?.tag !== TAG_SEQUENCE || cert.end !== certDer.length) throw new Error('certificate is not a DER SEQUENCE');
  const tbs = readTlv(certDer, cert.start);
  const alg = tbs && readTlv(certDer, tbs.end);
  const bits = alg && readTlv(certDer, alg.end);
  if (!tbs || !alg || bits?.tag !== TAG_BIT_STRING || bits.end !== cert.end || certDer[bits.start] !== 0) {
    throw new Error('certificate does not have the tbsCertificate, signatureAlgorithm, signatureValue layout');
  }
  const sig = parseEcdsaSignature(certDer.subarray(bits.start + 1, bits.end));
  if (!sig) throw new Error('certificate signature is not a DER ECDSA signature');
  if (sig.s <= P256_HALF_N) return certDer;
  return encodeTlv(
    TAG_SEQUENCE,
    certDer.subarray(tbs.offset, alg.end),
    encodeTlv(TAG_BIT_STRING, Uint8Array.of(0), encodeLowSSignature(sig.r, sig.s)),
  );
}

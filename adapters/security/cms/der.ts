/**
 * The small ASN.1 layer the CMS scheme needs: a reader that keeps the exact bytes of every element
 * (signatures are over the bytes as received, and node:crypto wants certificates byte for byte)
 * and accepts the BER forms real CMS producers emit (indefinite lengths, constructed OCTET
 * STRINGs: `openssl cms -stream`, RFC 4134 examples 3.1 and 4.5), and a DER writer. node-forge's
 * asn1 module re-encodes on output, so it cannot give the original bytes back; this can.
 * Internal to adapters/security/cms.
 */

/** One element: its tag byte and where its header, content and end are in `buf`. */
export interface Asn1 {
  readonly buf: Uint8Array;
  /** The identifier byte (class, constructed bit, tag number < 31). */
  readonly tag: number;
  readonly offset: number;
  readonly contentStart: number;
  /** End of the content (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** Offset just past the element. */
  readonly end: number;
  readonly indefinite: boolean;
}

/** Thrown by the reader; the CMS layer turns it into MalformedMessageError. */
export class Asn1Error extends Error {
  override readonly name = 'Asn1Error';
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** Nesting deeper than this is refused: CMS never needs it and recursion must stay bounded. */
const MAX_DEPTH = 64;

/** Reads the element at `offset`; `limit` is where its parent's content ends. */
export function readElement(buf: Uint8Array, offset = 0, limit = buf.length, depth = 0): Asn1 {
  if (depth > MAX_DEPTH) throw new Asn1Error('ASN.1 nesting too deep');
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined || offset + 2 > limit) {
    throw new Asn1Error(`truncated ASN.1 header at byte ${offset}`);
  }
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error(`high-tag-number form at byte ${offset} is not used by CMS`);
  let pos = offset + 2;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new Asn1Error(`indefinite length on a primitive element at byte ${offset}`);
    // Indefinite length: children until the end-of-contents octets 00 00.
    let child = pos;
    for (;;) {
      if (child + 2 > limit) throw new Asn1Error(`missing end-of-contents for the element at byte ${offset}`);
      if (buf[child] === 0 && buf[child + 1] === 0) {
        return { buf, tag, offset, contentStart: pos, contentEnd: child, end: child + 2, indefinite: true };
      }
      child = readElement(buf, child, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new Asn1Error(`length of ${count} bytes at byte ${offset}`);
    if (pos + count > limit) throw new Asn1Error(`truncated ASN.1 length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos++] ?? 0);
  }
  const end = pos + length;
  if (end > limit) throw new Asn1Error(`element at byte ${offset} claims ${length} bytes, only ${limit - pos} left`);
  return { buf, tag, offset, contentStart: pos, contentEnd: end, end, indefinite: false };
}

/** Parses `bytes` as exactly one element (no trailing bytes). */
export function parseOne(bytes: Uint8Array): Asn1 {
  const el = readElement(bytes, 0, bytes.length);
  if (el.end !== bytes.length) throw new Asn1Error(`${bytes.length - el.end} trailing bytes after the structure`);
  return el;
}

/** The children of a constructed element. */
export function children(el: Asn1): Asn1[] {
  if ((el.tag & 0x20) === 0) throw new Asn1Error(`element at byte ${el.offset} is not constructed`);
  const out: Asn1[] = [];
  for (let pos = el.contentStart; pos < el.contentEnd;) {
    const child = readElement(el.buf, pos, el.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The whole element, header included, as it was received. */
export function raw(el: Asn1): Uint8Array {
  return el.buf.subarray(el.offset, el.end);
}

/** The content bytes of a primitive element. */
export function content(el: Asn1): Uint8Array {
  return el.buf.subarray(el.contentStart, el.contentEnd);
}

export function expectTag(el: Asn1 | undefined, tag: number, what: string): Asn1 {
  if (el?.tag !== tag) {
    throw new Asn1Error(
      `${what}: expected tag 0x${tag.toString(16)}, found ${el ? `0x${el.tag.toString(16)}` : 'nothing'}`,
    );
  }
  return el;
}

/** The value of an OCTET STRING, joining the segments of a BER constructed one. */
export function octetString(el: Asn1, what: string): Uint8Array {
  // Implicitly tagged OCTET STRINGs ([0] encryptedContent, eContent) keep only the constructed bit.
  if ((el.tag & 0x20) === 0) return content(el);
  const parts = children(el).map((c) => octetString(c, what));
  return Buffer.concat(parts);
}

// A CMS message names the same dozen OIDs every time: their dotted forms are kept, found by a hash
// of the content bytes computed in place (a lookup allocates nothing) and checked byte for byte.
// Bounded, the oldest entry making room: messages full of odd OIDs cannot grow it, nor fill it for
// good so that the common ones would no longer be kept.
const OID_TEXT_CACHE_SIZE = 256;
/** OIDs longer than this are not kept (the ones CMS names are 3 to 11 bytes). */
const OID_TEXT_CACHE_MAX_BYTES = 16;
const oidTexts = new Map<number, { readonly bytes: Uint8Array; readonly dotted: string }>();

/** FNV-1a over `buf[start..end)`. */
function oidHash(buf: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash;
}

function sameBytes(kept: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (kept.length !== end - start) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== buf[start + i]) return false;
  return true;
}

/** Dotted form of an OBJECT IDENTIFIER. */
export function oid(el: Asn1 | undefined, what: string): string {
  const { buf, contentStart, contentEnd } = expectTag(el, TAG.OID, what);
  if (contentStart === contentEnd) throw new Asn1Error(`${what}: empty OBJECT IDENTIFIER`);
  const cacheable = contentEnd - contentStart <= OID_TEXT_CACHE_MAX_BYTES;
  const hash = cacheable ? oidHash(buf, contentStart, contentEnd) : 0;
  if (cacheable) {
    const known = oidTexts.get(hash);
    if (known !== undefined && sameBytes(known.bytes, buf, contentStart, contentEnd)) return known.dotted;
  }
  const bytes = buf.subarray(contentStart, contentEnd);
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new Asn1Error(`${what}: OBJECT IDENTIFIER arc too large`);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new Asn1Error(`${what}: truncated OBJECT IDENTIFIER`);
    }
  }
  const dotted = arcs.join('.');
  if (cacheable) {
    if (oidTexts.size >= OID_TEXT_CACHE_SIZE && !oidTexts.has(hash)) oidTexts.delete(oidTexts.keys().next().value!);
    // A copy: a view would keep the whole message's buffer alive.
    oidTexts.set(hash, { bytes: bytes.slice(), dotted });
  }
  return dotted;
}

/** A small non-negative INTEGER (versions, GCM tag lengths). */
export function smallInteger(el: Asn1 | undefined, what: string): number {
  // Read in place: no view of the content, no iterator.
  const { buf, contentStart, contentEnd } = expectTag(el, TAG.INTEGER, what);
  const length = contentEnd - contentStart;
  if (length === 0 || length > 4 || ((buf[contentStart] ?? 0) & 0x80) !== 0) {
    throw new Asn1Error(`${what}: not a small non-negative INTEGER`);
  }
  let n = 0;
  for (let i = contentStart; i < contentEnd; i++) n = n * 256 + buf[i]!;
  return n;
}

/** UTCTime or GeneralizedTime (the Z forms that RFC 5280 and RFC 5652 use) as a Date. */
export function time(el: Asn1 | undefined, what: string): Date {
  if (el?.tag !== TAG.UTC_TIME && el?.tag !== TAG.GENERALIZED_TIME) throw new Asn1Error(`${what}: not a time`);
  const text = Buffer.from(content(el)).toString('latin1');
  const m =
    el.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (!m) throw new Asn1Error(`${what}: unsupported time form '${text}'`);
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const year = el.tag === TAG.UTC_TIME ? (n[0] >= 50 ? 1900 + n[0] : 2000 + n[0]) : n[0];
  return new Date(Date.UTC(year, n[1] - 1, n[2], n[3], n[4], n[5]));
}

// ---- writer ----

/** Bytes of a DER header (tag and definite length) for content of `length` bytes. */
export function headerLength(length: number): number {
  if (length < 0x80) return 2;
  let bytes = 0;
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes++;
  return 2 + bytes;
}

/** Writes a DER header (tag, then the length in its shortest form) at `pos`; returns the position after it. */
export function writeHeader(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  if (length < 0x80) {
    out[pos++] = length;
    return pos;
  }
  const bytes = headerLength(length) - 2;
  out[pos++] = 0x80 | bytes;
  for (let i = bytes - 1; i >= 0; i--) out[pos++] = Math.floor(length / 256 ** i) & 0xff;
  return pos;
}

/** A DER element from its tag and the already encoded parts of its content. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  // Index loops: no iterator per part while the code is not yet optimized.
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i]!.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  let pos = writeHeader(out, 0, tag, length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

export const seq = (...parts: readonly Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...parts);

/** DER SET OF: the elements sorted by their encodings (X.690 11.6), as signed attributes need. */
export function setOf(...parts: readonly Uint8Array[]): Buffer {
  return tlv(TAG.SET, ...[...parts].sort((a, b) => Buffer.compare(a, b)));
}

/** [n] EXPLICIT / constructed context tag. */
export const explicit = (n: number, ...parts: readonly Uint8Array[]): Buffer => tlv(0xa0 | n, ...parts);

export const octets = (value: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, value);

export const NULL_DER = Buffer.from([TAG.NULL, 0]);

export function integer(value: number): Buffer {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

const oidCache = new Map<string, Buffer>();

/** An OBJECT IDENTIFIER from its dotted form (cached: the CMS layer uses a handful). */
export function oidDer(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift((n & 0x7f) | 0x80);
    bytes.push(...group);
  }
  const der = tlv(TAG.OID, Uint8Array.from(bytes));
  oidCache.set(dotted, der);
  return der;
}

/** UTCTime for 1950-2049 and GeneralizedTime otherwise, as RFC 5652 requires of signingTime. */
export function timeDer(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-04-14T02:30:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(digits, 'latin1'));
}

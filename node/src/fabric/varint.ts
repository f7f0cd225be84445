/**
 * Protobuf base-128 varints (unsigned, little-endian groups of 7 bits), as Fabric's blockfile uses
 * them for record lengths, block numbers and counts. Decoding follows Go's
 * `protowire.ConsumeVarint`: up to 10 bytes, non-minimal encodings accepted, anything above 64
 * bits rejected, so that a reader accepts exactly the files Fabric accepts.
 */
import { VarintError } from './fabric-errors';

/** A decoded varint and how many bytes it took. */
export interface DecodedVarint<T extends number | bigint> {
  readonly value: T;
  readonly length: number;
}

const MAX_VARINT_BYTES = 10;
const TWO_POW_64 = 1n << 64n;

/**
 * Decodes the varint at `offset` as a JS number.
 *
 * @throws {@link VarintError} `truncated` if the bytes end inside it, `overflow` beyond 64 bits,
 * `unsafe-integer` for a valid uint64 above `Number.MAX_SAFE_INTEGER` (use {@link decodeVarint64}).
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): DecodedVarint<number> {
  // Fast path: lengths, counts and block numbers are almost always below 2^28, where plain int
  // arithmetic is exact and cheap.
  let value = 0;
  let shift = 0;
  let pos = offset;
  const end = bytes.length;
  while (pos < end && shift < 28) {
    const b = bytes[pos++] as number;
    value |= (b & 0x7f) << shift;
    if (b < 0x80) return { value, length: pos - offset };
    shift += 7;
  }
  if (pos >= end) throw new VarintError('truncated', offset);
  const wide = decodeVarint64(bytes, offset);
  if (wide.value > BigInt(Number.MAX_SAFE_INTEGER)) throw new VarintError('unsafe-integer', offset);
  return { value: Number(wide.value), length: wide.length };
}

/**
 * Decodes the varint at `offset` as a uint64 bigint.
 *
 * @throws {@link VarintError} `truncated` or `overflow`, as {@link decodeVarint}.
 */
export function decodeVarint64(bytes: Uint8Array, offset = 0): DecodedVarint<bigint> {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const pos = offset + i;
    if (pos >= bytes.length) throw new VarintError('truncated', offset);
    const b = bytes[pos] as number;
    // The 10th byte carries only bit 63: protowire reports anything more as overflow.
    if (i === MAX_VARINT_BYTES - 1 && b > 1) throw new VarintError('overflow', offset);
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return { value, length: i + 1 };
    shift += 7n;
  }
  throw new VarintError('overflow', offset);
}

/** Number of bytes the minimal varint encoding of `value` takes (1 to 10). */
export function encodedVarintLength(value: number | bigint): number {
  if (typeof value === 'number') {
    checkNumber(value);
    let n = 1;
    // Division, not `>>>`, because bitwise operators truncate to 32 bits.
    for (let v = value; v >= 0x80; v = Math.floor(v / 128)) n++;
    return n;
  }
  checkBigint(value);
  let n = 1;
  for (let v = value; v >= 0x80n; v >>= 7n) n++;
  return n;
}

/**
 * Writes the minimal varint encoding of `value` into `target` at `offset`.
 *
 * @returns the offset just after the varint.
 * @throws RangeError if `value` is negative, not an integer, or above uint64 (for bigint).
 */
export function writeVarint(target: Uint8Array, offset: number, value: number | bigint): number {
  let pos = offset;
  if (typeof value === 'number') {
    checkNumber(value);
    let v = value;
    while (v >= 0x80) {
      target[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    target[pos++] = v;
    return pos;
  }
  checkBigint(value);
  let v = value;
  while (v >= 0x80n) {
    target[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  target[pos++] = Number(v);
  return pos;
}

/** The minimal varint encoding of `value` in a new Buffer. */
export function encodeVarint(value: number | bigint): Buffer {
  const out = Buffer.allocUnsafe(encodedVarintLength(value));
  writeVarint(out, 0, value);
  return out;
}

function checkNumber(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`varint value must be a non-negative safe integer, got ${value}`);
  }
}

function checkBigint(value: bigint): void {
  if (value < 0n || value >= TWO_POW_64) throw new RangeError(`varint value must fit in uint64, got ${value}`);
}

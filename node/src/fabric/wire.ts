/**
 * A minimal protobuf wire-format walker, for the few places where the verifier must know how Go's
 * protobuf runtime would see some bytes (is it parseable, which field value wins) without
 * building message objects for every transaction.
 */
import { decodeVarint, decodeVarint64 } from './varint';

/** One field as it sits in the bytes. */
export interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** Offset of the tag. */
  readonly start: number;
  /** Offset just after the field. */
  readonly end: number;
  /** For length-delimited fields: the offset of the value (after its length). */
  readonly valueStart: number;
  /** For varint fields: the value's low 32 bits as a signed int32 (Go's int32/enum view). */
  readonly int32: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
// Go's protowire.DecodeTag refuses field numbers above MaxInt32.
const MAX_FIELD_NUMBER = 0x7fffffff;

/**
 * Splits a message into its top-level fields, validating the wire format as Go's
 * `proto.Unmarshal` does (groups must close, lengths must fit, field number >= 1).
 *
 * @returns the fields in order, or `undefined` if the bytes are not a parseable message.
 */
export function parseWireFields(bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = [];
  let pos = 0;
  try {
    while (pos < bytes.length) {
      const field = readField(bytes, pos);
      if (field === undefined || field.wireType === WIRE_END_GROUP) return undefined;
      fields.push(field);
      pos = field.end;
    }
  } catch {
    // Varint errors: a truncated or oversized varint means the message does not parse.
    return undefined;
  }
  return fields;
}

/**
 * The value of the last length-delimited occurrence of field `number` (Go keeps the last value of
 * a singular field), or an empty array when absent, or `undefined` if `bytes` does not parse.
 */
export function lastBytesField(bytes: Uint8Array, number: number): Uint8Array | undefined {
  const fields = parseWireFields(bytes);
  if (fields === undefined) return undefined;
  let found: Uint8Array = new Uint8Array(0);
  for (const f of fields) {
    if (f.number === number && f.wireType === WIRE_BYTES) found = bytes.subarray(f.valueStart, f.end);
  }
  return found;
}

/** Whether field `number` occurs as a length-delimited field (a present sub-message). */
export function hasBytesField(bytes: Uint8Array, number: number): boolean {
  return parseWireFields(bytes)?.some((f) => f.number === number && f.wireType === WIRE_BYTES) ?? false;
}

/** The last varint value of field `number` as an int32 (0 when absent), or `undefined` if unparseable. */
export function lastInt32Field(bytes: Uint8Array, number: number): number | undefined {
  const fields = parseWireFields(bytes);
  if (fields === undefined) return undefined;
  let found = 0;
  for (const f of fields) {
    if (f.number === number && f.wireType === WIRE_VARINT) found = f.int32;
  }
  return found;
}

function readField(bytes: Uint8Array, start: number): WireField | undefined {
  const tag = decodeVarint64(bytes, start);
  const number = tag.value >> 3n;
  const wireType = Number(tag.value & 7n);
  if (number < 1n || number > BigInt(MAX_FIELD_NUMBER)) return undefined;
  const num = Number(number);
  let pos = start + tag.length;
  let valueStart = pos;
  let int32 = 0;
  switch (wireType) {
    case WIRE_VARINT: {
      const v = decodeVarint64(bytes, pos);
      int32 = Number(BigInt.asIntN(32, v.value));
      pos += v.length;
      break;
    }
    case WIRE_FIXED64:
      pos += 8;
      break;
    case WIRE_FIXED32:
      pos += 4;
      break;
    case WIRE_BYTES: {
      const len = decodeVarint(bytes, pos);
      valueStart = pos + len.length;
      pos = valueStart + len.value;
      break;
    }
    case WIRE_START_GROUP: {
      // A group runs to the END_GROUP with the same number; nested groups are walked recursively.
      for (;;) {
        if (pos >= bytes.length) return undefined;
        const inner = readField(bytes, pos);
        if (inner === undefined) return undefined;
        pos = inner.end;
        if (inner.wireType === WIRE_END_GROUP) {
          if (inner.number !== num) return undefined;
          break;
        }
      }
      break;
    }
    case WIRE_END_GROUP:
      break;
    default:
      return undefined;
  }
  if (pos > bytes.length) return undefined;
  return { number: num, wireType, start, end: pos, valueStart, int32 };
}

import type { IConversionOptions, Long, Reader, Writer } from 'protobufjs';
import { asError } from '../errors.js';
import { FormatInvalidError } from './errors.js';

/**
 * The static side of a generated gnc.v1 message class (e.g. `gnc.v1.Envelope`): what the helpers
 * below need. `T` is the class, `I` its properties interface (`gnc.v1.IEnvelope`).
 */
export interface MessageType<T extends object, I extends object = T> {
  encode(message: I, writer?: Writer): Writer;
  decode(reader: Reader | Uint8Array, length?: number): T;
  verify(message: Record<string, unknown>): string | null;
  fromObject(object: Record<string, unknown>): T;
  toObject(message: T, options?: IConversionOptions): Record<string, unknown>;
  getTypeUrl(prefix?: string): string;
}

/**
 * toObject options that give JSON-safe, stable output: int64 as decimal strings, enums by name,
 * bytes as base64, fields at their default value left out (as proto3 JSON does), keys in field
 * number order. fromObject reads this form back to the identical message.
 */
export const JSON_CONVERSION: Readonly<IConversionOptions> = Object.freeze({
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  json: true,
});

/** `gnc.v1.Envelope` for the class `gnc.v1.Envelope`. */
export function typeName(type: Pick<MessageType<object>, 'getTypeUrl'>): string {
  return type.getTypeUrl('').replace(/^\//, '');
}

/** Encodes a message to its protobuf bytes. */
export function encodeMessage<T extends object, I extends object>(type: MessageType<T, I>, message: I): Uint8Array {
  return type.encode(message).finish();
}

/**
 * Decodes protobuf bytes as `type`. Throws FormatInvalidError (GNC_FORMAT_INVALID) instead of the
 * bare protobufjs errors (truncated input, invalid wire type, ...). Unknown fields are skipped,
 * as protobuf requires; enum numbers this schema version does not know are kept as numbers and
 * are rejected by verifyMessage().
 */
export function decodeMessage<T extends object, I extends object>(type: MessageType<T, I>, bytes: Uint8Array): T {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new FormatInvalidError(typeName(type), `cannot decode ${bytes.length} bytes: ${asError(err).message}`, {
      cause: err,
    });
  }
}

/**
 * Checks a message object (runtime form: enums as numbers, int64 as number or Long, bytes as
 * Uint8Array) against `type`; throws FormatInvalidError naming the first wrong field.
 */
export function verifyMessage<T extends object, I extends object>(type: MessageType<T, I>, message: I): void {
  const problem = type.verify(message as Record<string, unknown>);
  if (problem !== null) throw new FormatInvalidError(typeName(type), problem);
}

/** A message as a JSON-safe plain object (see JSON_CONVERSION). */
export function toJsonObject<T extends object, I extends object>(
  type: MessageType<T, I>,
  message: T,
): Record<string, unknown> {
  return type.toObject(message, JSON_CONVERSION);
}

/**
 * Reads back what toJsonObject() produced. Not a validator of foreign JSON: protobufjs's
 * fromObject coerces rather than rejects (a number where a string belongs becomes a string, an
 * unknown enum name is dropped silently), so a format adapter that accepts external JSON must
 * validate it against its own schema first. Throws FormatInvalidError for a non-object or a
 * nested value protobufjs refuses (e.g. a scalar where a message belongs).
 */
export function fromJsonObject<T extends object, I extends object>(type: MessageType<T, I>, object: unknown): T {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new FormatInvalidError(typeName(type), 'expected a JSON object');
  }
  try {
    return type.fromObject(object as Record<string, unknown>);
  } catch (err) {
    throw new FormatInvalidError(typeName(type), asError(err).message, { cause: err });
  }
}

/**
 * An int64 instant field (`*_at_ms`, milliseconds since the Unix epoch) as a number. Decoded
 * messages carry int64 as Long; every instant of this schema fits a safe integer, and one that
 * does not is refused rather than rounded. An absent field reads as 0, its proto3 default.
 */
export function epochMillis(value: number | Long | null | undefined, field = 'instant'): number {
  if (value === null || value === undefined) return 0;
  // From the two 32-bit halves: exact whenever the result is a safe integer, and any value
  // beyond that range lands outside it, so nothing is rounded silently.
  const n =
    typeof value === 'number' ? value : (value.unsigned ? value.high >>> 0 : value.high) * 2 ** 32 + (value.low >>> 0);
  if (!Number.isSafeInteger(n)) {
    throw new FormatInvalidError('gnc.v1', `${field} is outside the safe integer range of milliseconds (about ${n})`);
  }
  return n;
}

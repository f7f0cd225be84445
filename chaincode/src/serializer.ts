import { invalidArgument } from './contract-error';

/**
 * The one serializer of the chaincode: JSON with object keys sorted recursively and undefined
 * properties left out. Every state write, event payload and return value goes through it, so
 * every endorsing peer produces byte-identical read/write sets and responses.
 *
 * Non-finite numbers, bigints, functions, symbols and binary values are refused rather than
 * silently turned into something else.
 */
export function canonicalJson(value: unknown): string {
  // The fast pass builds no paths; a value it cannot encode is encoded again with paths, which
  // throws the error naming where the value is.
  try {
    return encodeFast(value);
  } catch (error) {
    if (error instanceof UnsupportedValue) return encode(value, '$');
    throw error;
  }
}

class UnsupportedValue extends Error {}

function encodeFast(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new UnsupportedValue();
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new UnsupportedValue();
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) throw new UnsupportedValue();
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new UnsupportedValue();
      out += (i === 0 ? '' : ',') + encodeFast(item);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    out += (first ? '' : ',') + keyPrefix(key) + encodeFast(item);
    first = false;
  }
  return out + '}';
}

/** Printable ASCII other than '"' and '\\': the strings JSON.stringify returns quoted but unchanged. */
const NEEDS_NO_ESCAPE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify of a string, without calling into it for the usual plain identifiers and codes. */
function quote(text: string): string {
  return NEEDS_NO_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * '"key":' for an object key. Records reuse the same few dozen field names, so their encoded
 * form is kept (a bounded memo: it changes the cost, never the output).
 */
const keyPrefixes = new Map<string, string>();
const KEY_PREFIX_LIMIT = 4096;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `${quote(key)}:`;
    if (keyPrefixes.size < KEY_PREFIX_LIMIT) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/** canonicalJson as UTF-8 bytes (what putState, setEvent and the transaction result carry). */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Parses JSON from a transaction argument, naming the argument when it is not JSON. */
export function parseJsonArgument(text: string, argumentName: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidArgument(`${argumentName} is not valid JSON`);
  }
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is not a finite number`);
      // JSON.stringify gives the shortest round-tripping form (ECMAScript Number::toString), and -0 as 0.
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} has unsupported type ${typeof value}`);
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new TypeError(`canonicalJson: ${path} is binary; encode it as hex or base64 first`);
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, index) => {
      if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${index}] is undefined`);
      return encode(item, `${path}[${index}]`);
    });
    return `[${items.join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${encode(item, `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
}

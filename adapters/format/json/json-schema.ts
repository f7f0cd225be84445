/**
 * A strict validator for the JSON form of gnc.v1 messages, derived from the .proto files
 * themselves (protobufjs reflection) so it cannot drift from the schema. protobufjs's fromObject
 * coerces instead of refusing (a number where a string belongs, an unknown enum name dropped), so
 * foreign JSON is checked here first, and normalised to what fromObject reads exactly.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { IConversionOptions } from 'protobufjs';
import { FormatInvalidError } from '../../../node/src/canonical';
import { ConfigError, asError } from '../../../node/src/errors';

type Scalar = 'string' | 'bool' | 'bytes' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double' | 'float';

interface FieldRule {
  readonly name: string;
  readonly repeated: boolean;
  readonly oneof?: string;
  readonly kind: Scalar | 'enum' | 'message';
  readonly enumValues?: ReadonlySet<string>;
  /** Name of the enum's 0 value (its proto3 default). */
  readonly enumZero?: string;
  /**
   * The enum as the generated code builds it (names to numbers, over numbers to names), so that
   * `enumLookup[value]` reads as the generated toObject reads the enum.
   */
  readonly enumLookup?: Readonly<Record<string | number, string | number>>;
  /** Resolved after all messages are known (the schema is not recursive, but order is arbitrary). */
  message?: MessageRule;
}

/** How one message's JSON object is checked. */
export interface MessageRule {
  readonly fullName: string;
  /** By JSON name (lowerCamelCase) and by proto field name; both spellings are accepted. */
  readonly fields: ReadonlyMap<string, FieldRule>;
  /** Every field once, by field number: the order in which the generated toObject writes them. */
  readonly fieldsById: readonly FieldRule[];
}

const SCALARS: Readonly<Record<string, Scalar>> = {
  string: 'string',
  bool: 'bool',
  bytes: 'bytes',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  double: 'double',
  float: 'float',
};

/** Finds proto/ by walking up from this file (works from the sources and from dist/). */
export function findProtoDir(start = __dirname): string {
  for (let dir = start, i = 0; i < 8; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'proto', 'gnc', 'v1', 'envelope.proto'))) return path.join(dir, 'proto');
  }
  throw new ConfigError(
    `json format: cannot find proto/gnc/v1/envelope.proto above ${start}; set the 'protoDir' option`,
  );
}

const cache = new Map<string, MessageRule>();

/** The rule tree for `typeName` (e.g. 'gnc.v1.Envelope'), loaded once per proto directory. */
export function loadMessageRule(protoDir: string, typeName: string): MessageRule {
  const key = `${protoDir}\0${typeName}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let root: protobuf.Root;
  try {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(protoDir, target);
    root.loadSync(['gnc/v1/envelope.proto'], { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw new ConfigError(`json format: cannot load the schema from ${protoDir}: ${asError(err).message}`, [], {
      cause: err,
    });
  }
  const rules = new Map<string, MessageRule>();
  const pending: Array<[FieldRule, string]> = [];
  const ruleOf = (type: protobuf.Type): MessageRule => {
    const fullName = type.fullName.replace(/^\./, '');
    let rule = rules.get(fullName);
    if (rule) return rule;
    const fields = new Map<string, FieldRule>();
    const fieldsById: FieldRule[] = [];
    rule = { fullName, fields, fieldsById };
    rules.set(fullName, rule);
    for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
      if (field.map) throw new ConfigError(`json format: map field ${fullName}.${field.name} is not supported`);
      const jsonName = protobuf.util.camelCase(field.name);
      const resolved = field.resolvedType;
      let fr: FieldRule;
      if (resolved instanceof protobuf.Enum) {
        fr = {
          name: jsonName,
          repeated: field.repeated,
          oneof: field.partOf?.name,
          kind: 'enum',
          enumValues: new Set(Object.keys(resolved.values)),
          enumZero: resolved.valuesById[0],
          enumLookup: generatedEnum(resolved),
        };
      } else if (resolved instanceof protobuf.Type) {
        fr = { name: jsonName, repeated: field.repeated, oneof: field.partOf?.name, kind: 'message' };
        pending.push([fr, resolved.fullName]);
        ruleOf(resolved);
      } else {
        const kind = SCALARS[field.type];
        if (!kind)
          throw new ConfigError(`json format: field type ${field.type} of ${fullName}.${field.name} is not supported`);
        fr = { name: jsonName, repeated: field.repeated, oneof: field.partOf?.name, kind };
      }
      fields.set(jsonName, fr);
      if (field.name !== jsonName) fields.set(field.name, fr);
      fieldsById.push(fr);
    }
    return rule;
  };
  const top = ruleOf(root.lookupType(typeName));
  for (const [fr, name] of pending) fr.message = rules.get(name.replace(/^\./, ''));
  cache.set(key, top);
  return top;
}

/** An enum object as protobufjs's generated code makes it: names to numbers, over numbers to names. */
function generatedEnum(type: protobuf.Enum): Record<string | number, string | number> {
  const byNumber: Record<number, string> = {};
  const enumObject = Object.create(byNumber) as Record<string | number, string | number>;
  for (const [name, n] of Object.entries(type.values)) enumObject[(byNumber[n] = name)] = n;
  return enumObject;
}

const INT64_TEXT = /^-?(0|[1-9][0-9]{0,19})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Where a value stands (a field name or an array index under its parent), for error messages. */
interface JsonPlace {
  readonly up: JsonPlace | undefined;
  readonly key: string | number;
}

/** The JSON path of `place` below `root`, e.g. `$.declaration.goodsShipment.goodsItems[2]`. */
function pathOf(root: string, place: JsonPlace | undefined): string {
  let path = '';
  for (let p = place; p; p = p.up) path = (typeof p.key === 'number' ? `[${p.key}]` : `.${p.key}`) + path;
  return root + path;
}

function placeOf(parent: JsonPlace | undefined, key: string, index: number | undefined): JsonPlace {
  return index === undefined ? { up: parent, key } : { up: { up: parent, key }, key: index };
}

function failAt(typeName: string, root: string, place: JsonPlace | undefined, problem: string): never {
  throw new FormatInvalidError(typeName, `${pathOf(root, place)}: ${problem}`);
}

/**
 * Checks `value` against `rule` and returns a copy that protobufjs's fromObject reads exactly:
 * JSON names, enum names, int64 as numbers when they are safe integers and as decimal strings
 * otherwise, bytes as Buffers. Throws FormatInvalidError
 * naming the JSON path of the first problem (the path is built only then).
 */
export function validateJson(value: unknown, rule: MessageRule, typeName: string, at = '$'): Record<string, unknown> {
  return validateObject(value, rule, typeName, at, undefined);
}

function validateObject(
  value: unknown,
  rule: MessageRule,
  typeName: string,
  root: string,
  place: JsonPlace | undefined,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    failAt(typeName, root, place, 'expected a JSON object');
  }
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let oneofSet: Map<string, string> | undefined;
  for (const key of Object.keys(object)) {
    const v = object[key];
    const field = rule.fields.get(key);
    if (!field) return failAt(typeName, root, { up: place, key }, `unknown field of ${rule.fullName}`);
    if (Object.prototype.hasOwnProperty.call(out, field.name)) {
      failAt(typeName, root, { up: place, key }, `field '${field.name}' given twice (JSON and proto names)`);
    }
    // proto3 JSON: null means "the default value", i.e. absent.
    if (v === null) continue;
    if (field.oneof) {
      oneofSet ??= new Map();
      const other = oneofSet.get(field.oneof);
      if (other) {
        failAt(
          typeName,
          root,
          { up: place, key },
          `only one of oneof '${field.oneof}' may be set, '${other}' is set too`,
        );
      }
      oneofSet.set(field.oneof, field.name);
    }
    if (field.repeated) {
      if (!Array.isArray(v)) failAt(typeName, root, { up: place, key }, 'expected an array');
      const items = v as unknown[];
      const list = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) list[i] = validateValue(items[i], field, typeName, root, place, key, i);
      out[field.name] = list;
    } else {
      out[field.name] = validateValue(v, field, typeName, root, place, key, undefined);
    }
  }
  return out;
}

function validateValue(
  v: unknown,
  field: FieldRule,
  typeName: string,
  root: string,
  parent: JsonPlace | undefined,
  key: string,
  index: number | undefined,
): unknown {
  // No path per value: the place is made only for a message inside or for a failure.
  const fail = (problem: string): never => failAt(typeName, root, placeOf(parent, key, index), problem);
  switch (field.kind) {
    case 'string':
      return typeof v === 'string' ? v : fail(`expected a string, got ${describe(v)}`);
    case 'bool':
      return typeof v === 'boolean' ? v : fail(`expected true or false, got ${describe(v)}`);
    case 'int32':
    case 'uint32': {
      const min = field.kind === 'int32' ? -(2 ** 31) : 0;
      const max = field.kind === 'int32' ? 2 ** 31 - 1 : 2 ** 32 - 1;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        return fail(`expected an integer from ${min} to ${max}, got ${describe(v)}`);
      }
      return v;
    }
    case 'int64':
    case 'uint64': {
      // In the safe-integer range (every instant of this schema) the value goes on as a number:
      // fromObject makes the same Long of it as of its decimal text, and neither the BigInt range
      // check nor Long's decimal parsing is needed. Anything else takes the exact path below.
      const safe = typeof v === 'string' && v.length <= 16 && INT64_TEXT.test(v) ? Number(v) : v;
      if (typeof safe === 'number' && Number.isSafeInteger(safe) && (field.kind === 'int64' || safe >= 0)) {
        return safe;
      }
      let text: string;
      if (typeof v === 'number' && Number.isSafeInteger(v)) text = String(v);
      else if (typeof v === 'string' && INT64_TEXT.test(v)) text = v;
      else return fail(`expected a 64-bit integer as a decimal string, got ${describe(v)}`);
      const n = BigInt(text);
      const [min, max] = field.kind === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      if (n < min || n > max) return fail(`${text} is outside the ${field.kind} range`);
      return text;
    }
    case 'double':
    case 'float':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
      return fail(`expected a number, got ${describe(v)}`);
    case 'bytes':
      if (typeof v !== 'string' || (!BASE64.test(v) && !BASE64URL.test(v))) {
        return fail(`expected base64 bytes, got ${describe(v)}`);
      }
      return Buffer.from(v, 'base64');
    case 'enum':
      if (typeof v !== 'string' || !field.enumValues?.has(v)) {
        return fail(`expected one of ${[...(field.enumValues ?? [])].join(', ')}, got ${describe(v)}`);
      }
      return v;
    case 'message':
      return validateObject(v, field.message!, typeName, root, placeOf(parent, key, index));
  }
}

/**
 * Removes proto3 default values (empty strings and bytes, zero numbers, false, the enum's 0 name)
 * from a toObject() result, in place, except on oneof members, whose presence is the value.
 * 64-bit integers left as they are by toObject (a Long or a number: see INT64_AS_IS) become their
 * decimal text on the way, as toObject's `longs: String` writes them.
 */
export function pruneDefaults(object: Record<string, unknown>, rule: MessageRule): Record<string, unknown> {
  for (const key of Object.keys(object)) {
    let value = object[key];
    const field = rule.fields.get(key);
    if (!field || field.repeated) {
      if (field?.kind === 'message' && Array.isArray(value)) {
        for (const item of value) pruneDefaults(item as Record<string, unknown>, field.message!);
      } else if ((field?.kind === 'int64' || field?.kind === 'uint64') && Array.isArray(value)) {
        object[key] = value.map(int64Text);
      }
      continue;
    }
    if (field.kind === 'int64' || field.kind === 'uint64') value = object[key] = int64Text(value);
    if (field.kind === 'message') {
      pruneDefaults(value as Record<string, unknown>, field.message!);
      continue;
    }
    if (field.oneof) continue;
    if (isPrunedDefault(value, field)) delete object[key];
  }
  return object;
}

type PrunedConverter = (message: object) => Record<string, unknown>;

/** toPrunedObject's function for each message, made on first use. */
const prunedConverters = new WeakMap<MessageRule, PrunedConverter>();

/**
 * What `pruneDefaults(Type.toObject(message, INT64_AS_IS), rule)` returns, built in one pass over
 * the message instead of a copy that is then walked again to drop its defaults (the two passes
 * measured about a quarter of a WCO encode). Field for field as the generated toObject reads the
 * message (fields by number, set ones only, enums by name, bytes as base64, non-finite doubles as
 * text, empty lists left out) and as pruneDefaults then drops and rewrites values.
 */
export function toPrunedObject(message: object, rule: MessageRule): Record<string, unknown> {
  return prunedConverterOf(rule)(message);
}

/**
 * The converter of one message, generated from its fields as protobufjs generates toObject: each
 * field read and written by its name, so that every property access sees one kind of object (a
 * loop over the fields reading `message[name]` made every access megamorphic, and measured twice
 * the time of toObject and pruneDefaults together). The names come from the schema, written as
 * string literals (JSON.stringify); values go through prunedItem() and isPrunedDefault().
 */
function prunedConverterOf(rule: MessageRule): PrunedConverter {
  const known = prunedConverters.get(rule);
  if (known) return known;
  const fields = rule.fieldsById;
  const lines: string[] = ['const o = {};', 'let v;'];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const name = JSON.stringify(field.name);
    // A nested message's converter, found once and kept in `c`.
    const item =
      field.kind === 'message'
        ? `(c[${i}] ??= of(f[${i}].message))(x)`
        : field.kind === 'string' || field.kind === 'bool' || field.kind === 'int32' || field.kind === 'uint32'
          ? 'x'
          : `item(x, f[${i}])`;
    lines.push(`v = m[${name}];`);
    if (field.repeated) {
      lines.push(
        `if (v && v.length) { const a = []; for (let j = 0; j < v.length; j++) { const x = v[j]; a[j] = ${item}; } o[${name}] = a; }`,
      );
    } else {
      // Messages and oneof members are kept whatever their value (pruneDefaults keeps them too).
      const keep = field.oneof || field.kind === 'message' ? '' : `if (!isDefault(y, f[${i}])) `;
      lines.push(
        `if (v != null && Object.prototype.hasOwnProperty.call(m, ${name})) { const x = v; const y = ${item}; ${keep}o[${name}] = y; }`,
      );
    }
  }
  lines.push('return o;');
  // Schema-derived code, as protobufjs makes its own converters (see above).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('f', 'c', 'of', 'item', 'isDefault', `return function (m) {\n${lines.join('\n')}\n};`) as (
    ...args: unknown[]
  ) => PrunedConverter;
  const converter = make(fields, [], prunedConverterOf, prunedItem, isPrunedDefault);
  prunedConverters.set(rule, converter);
  return converter;
}

/** One value (or list item) of `field` as toObject with INT64_AS_IS and then pruneDefaults write it. */
function prunedItem(value: unknown, field: FieldRule): unknown {
  switch (field.kind) {
    case 'message':
      return toPrunedObject(value as object, field.message!);
    case 'enum': {
      const named = field.enumLookup![value as string | number];
      return named === undefined ? value : named;
    }
    case 'int64':
    case 'uint64':
      return int64Text(value);
    case 'double':
    case 'float':
      return !isFinite(value as number) ? String(value) : value;
    case 'bytes': {
      const bytes = value as Uint8Array;
      return protobuf.util.base64.encode(bytes, 0, bytes.length);
    }
    default:
      return value;
  }
}

/** Whether pruneDefaults (and toPrunedObject) drop this value, of a field outside any oneof: a proto3 default. */
function isPrunedDefault(value: unknown, field: FieldRule): boolean {
  return (
    value === '' ||
    value === false ||
    value === 0 ||
    (value === '0' && (field.kind === 'int64' || field.kind === 'uint64')) ||
    (field.kind === 'enum' && value === field.enumZero)
  );
}

/**
 * toObject conversion options for a JSON writer that finishes 64-bit integers itself (in
 * pruneDefaults): `longs` set to neither String nor Number leaves a Long as it is. Long's own
 * decimal conversion divides in 32-bit halves; a value in the safe-integer range is printed
 * directly, with the same digits.
 */
export const INT64_AS_IS: Readonly<IConversionOptions> = Object.freeze({
  longs: Object,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
  json: true,
});

/** A 64-bit integer as toObject's `longs: String` writes it (a Long, a number, or text already). */
function int64Text(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return value;
  const long = value as { low: number; high: number; unsigned?: boolean };
  const n = long.unsigned ? (long.high >>> 0) * 2 ** 32 + (long.low >>> 0) : long.high * 2 ** 32 + (long.low >>> 0);
  // Exact when safe: high * 2^32 is exact and the sum is then within 2^53.
  if (Number.isSafeInteger(n)) return String(n);
  // fromBits: verify() lets a plain { low, high } object through, which Long's methods cannot read.
  const Long = protobuf.util.Long as unknown as {
    fromBits(low: number, high: number, unsigned?: boolean): { toString(): string };
  };
  return Long.fromBits(long.low, long.high, long.unsigned).toString();
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

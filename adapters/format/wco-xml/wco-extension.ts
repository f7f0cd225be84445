/**
 * The `gnc:Extension` block: canonical fields that the WCO document has no element for (the
 * message header, status and lane of a goods declaration, party id schemes, electronic seals, an
 * instant with milliseconds, ...), as `<gnc:Field path="declaration.lane">LANE_GREEN</gnc:Field>`.
 * Paths use the proto3 JSON names; values are the proto3 JSON scalars as text. With it, every
 * canonical field survives encode -> decode, whatever the WCO document can express.
 */
import { FormatInvalidError } from '../../../node/src/canonical';
import type { MessageRule } from '../json/json-schema';

type Json = Record<string, unknown>;
type FieldRule = MessageRule['fields'] extends ReadonlyMap<string, infer F> ? F : never;

const ENVELOPE = 'gnc.v1.Envelope';
const SEGMENT = /^([a-zA-Z][a-zA-Z0-9]*)(?:\[(0|[1-9][0-9]{0,5})\])?$/;
/** Far above any real envelope; bounds the work a hostile extension block can cause. */
export const MAX_EXTENSION_FIELDS = 10_000;

/**
 * The canonical fields the WCO elements carry, marked in the pruned proto3 JSON copy the encoder
 * works on (made for that one encoding): a field written as an element is set to undefined once
 * read, and unwrittenLeaves() passes over it. Nothing is kept per field: a Map of the holders
 * and their written keys measured about a fifth of a WCO encode.
 */
export class WrittenFields {
  mark(holder: object, key: string): void {
    (holder as Json)[key] = undefined;
  }
}

/** Every leaf of a pruned proto3 JSON object that was not marked written, as [path, text]. */
export function unwrittenLeaves(object: Json): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // The steps down to the current value (a field name, or an item index); a path is spelled only
  // for a leaf reported, not for each message and item walked into (most of them, once written).
  const steps: Array<string | number> = [];
  const path = (): string => {
    let text = '';
    for (const step of steps) text += typeof step === 'number' ? `[${step}]` : text === '' ? step : `.${step}`;
    return text;
  };
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        steps.push(i);
        walk(value[i]);
        steps.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      const object = value as Json;
      // for...in rather than Object.keys(): the engine reads object[key] in it from the object's
      // own list of keys, instead of a lookup by name on objects of many shapes (a plain object
      // made by toPrunedObject has no enumerable inherited keys, so both give the same keys).
      let empty = true;
      for (const key in object) {
        empty = false;
        const v = object[key];
        if (v === undefined) continue;
        steps.push(key);
        walk(v);
        steps.pop();
      }
      // A message present with every field at its default still differs from an absent one.
      if (empty && steps.length > 0) out.push([path(), '']);
    } else {
      out.push([path(), String(value)]);
    }
  };
  walk(object);
  return out;
}

/** One step of an extension path: the field, and the item index for a repeated field (else -1). */
interface PathStep {
  readonly field: FieldRule;
  readonly index: number;
  /** The message holding the field (for its other oneof members). */
  readonly holder: MessageRule;
}

/** A parsed path, and the path parsed after it last time (see parsePath()). */
interface ParsedPath {
  readonly path: string;
  readonly steps: readonly PathStep[];
  next: ParsedPath | undefined;
}

/** Parsed paths by schema: the same few paths come in every message. Bounded against hostile input. */
const parsedPaths = new WeakMap<MessageRule, Map<string, ParsedPath>>();
const MAX_PARSED_PATHS = 4096;
let lastRule: MessageRule | undefined;
let lastCache: Map<string, ParsedPath> | undefined;
/** The path parsePath() was last asked for under lastRule. */
let lastParsed: ParsedPath | undefined;

/** The steps of `path` below `rule`, checked against the schema; `where` names the XML element of an error. */
function parsePath(rule: MessageRule, path: string, where: () => string): readonly PathStep[] {
  // Every document of a format instance uses the same rule: its cache is kept at hand, without
  // a WeakMap lookup per field (that lookup measured most of the cost of a cached path).
  let cache: Map<string, ParsedPath> | undefined;
  if (rule === lastRule) {
    cache = lastCache;
  } else {
    cache = parsedPaths.get(rule);
    lastParsed = undefined;
  }
  if (cache) {
    lastRule = rule;
    lastCache = cache;
  }
  // The paths of one sender's documents come in the same order each time: the path that followed
  // the previous one last time is compared first. The path is a fresh string of each document, and
  // the Map lookup hashes all of it (measured 70 ns a field, two fifths of applying one), where a
  // comparison with the expected path costs half of that.
  const expected = lastParsed?.next;
  if (expected !== undefined && expected.path === path) {
    lastParsed = expected;
    return expected.steps;
  }
  let parsed = cache?.get(path);
  if (!parsed) {
    const steps = parseSteps(rule, path, where);
    // Kept as a string of its own: the path read from a document is a slice of the document's
    // text, which the engine keeps whole as long as the slice lives, and the cache outlives it.
    const kept = Buffer.from(path, 'utf8').toString('utf8');
    parsed = { path: kept, steps, next: undefined };
    if (!cache) parsedPaths.set(rule, (cache = new Map<string, ParsedPath>()));
    if (cache.size >= MAX_PARSED_PATHS) cache.clear();
    cache.set(kept, parsed);
    lastRule = rule;
    lastCache = cache;
  }
  if (lastParsed) lastParsed.next = parsed;
  lastParsed = parsed;
  return parsed.steps;
}

function parseSteps(rule: MessageRule, path: string, where: () => string): PathStep[] {
  const segments = path.split('.');
  const steps: PathStep[] = [];
  let current: MessageRule = rule;
  for (let i = 0; i < segments.length; i++) {
    const m = SEGMENT.exec(segments[i]!);
    if (!m) return refuse(where, `path '${path}' is malformed`);
    const name = m[1]!;
    const field: FieldRule | undefined = current.fields.get(name);
    if (!field || field.name !== name)
      return refuse(where, `path '${path}': ${current.fullName} has no field '${name}'`);
    if (field.repeated !== (m[2] !== undefined)) {
      return refuse(where, `path '${path}': '${name}' ${field.repeated ? 'needs' : 'takes no'} an index`);
    }
    steps.push({ field, index: field.repeated ? Number(m[2]) : -1, holder: current });
    if (i < segments.length - 1) {
      if (field.kind !== 'message') return refuse(where, `path '${path}': '${name}' is not a message`);
      current = field.message!;
    }
  }
  return steps;
}

function refuse(where: () => string, problem: string): never {
  throw new FormatInvalidError(ENVELOPE, `${where()}: ${problem}`);
}

/**
 * The fields the gnc:Extension block of one document has set so far, each as the object holding
 * it and its key there: within a document a path always leads to the same holder and key, and
 * two paths never to the same ones (a field has one accepted name, an index no leading zero). Kept
 * by holder rather than by path: the path is a fresh string of each document, which a Set of
 * paths hashes whole for every field; field names are the schema's strings, hashed once.
 */
export class ExtensionFields {
  private readonly keysByHolder = new Map<object, Set<string | number>>();

  has(holder: object, key: string | number): boolean {
    return this.keysByHolder.get(holder)?.has(key) === true;
  }

  add(holder: object, key: string | number): void {
    const keys = this.keysByHolder.get(holder);
    if (keys) keys.add(key);
    else this.keysByHolder.set(holder, new Set([key]));
  }
}

/**
 * Sets `path` to `text` in `object` (proto3 JSON form), converting the text by the field's type.
 * `object` holds what the WCO elements set: the extension may only add fields, or give an instant
 * the milliseconds its WCO date-time lacks. `fromExtension` collects the fields the extension set
 * (a later field with the same path replaces the earlier one). `where` names the XML element.
 */
export function applyExtensionField(
  object: Json,
  rule: MessageRule,
  path: string,
  text: string,
  fromExtension: ExtensionFields,
  where: () => string,
): void {
  const steps = parsePath(rule, path, where);
  let target: Json = object;
  for (let i = 0; i < steps.length; i++) {
    const { field, index, holder: holderRule } = steps[i]!;
    const name = field.name;
    if (field.oneof && target[name] === undefined) {
      // One member of a oneof at most (the WCO elements set the declaration body).
      for (const key of Object.keys(target)) {
        const other = holderRule.fields.get(key);
        if (other && other.oneof === field.oneof && other.name !== name) {
          return refuse(
            where,
            `path '${path}': only one of oneof '${field.oneof}' may be set, '${other.name}' is set too`,
          );
        }
      }
    }
    const last = i === steps.length - 1;
    // A message path with no text marks a message present with every field at its default.
    if (last && field.kind === 'message' && text !== '') return refuse(where, `path '${path}': '${name}' is a message`);
    let holder: Json | unknown[] = target;
    let key: string | number = name;
    if (field.repeated) {
      const list = (target[name] ??= []) as unknown[];
      // Items are created in order only: no sparse arrays, no huge index from a hostile document.
      if (index > list.length) {
        return refuse(where, `path '${path}': index ${index} skips items (${list.length} so far)`);
      }
      holder = list;
      key = index;
    }
    if (last && field.kind === 'message') {
      (holder as Record<string | number, unknown>)[key] ??= {};
      return;
    }
    if (last) {
      const value = convert(text, field, where);
      // A scalar field holds a scalar: a string, a number or a boolean.
      const existing = (holder as Record<string | number, unknown>)[key] as string | number | boolean | undefined;
      if (existing !== undefined && !fromExtension.has(holder, key)) {
        const sameSecond =
          (field.kind === 'int64' || field.kind === 'uint64') &&
          Math.floor(Number(existing) / 1000) === Math.floor(Number(text) / 1000);
        if (!sameSecond) return refuse(where, `path '${path}' is set by a WCO element too, to '${existing}'`);
      }
      fromExtension.add(holder, key);
      (holder as Record<string | number, unknown>)[key] = value;
      return;
    }
    target = ((holder as Record<string | number, unknown>)[key] ??= {}) as Json;
  }
}

const INT64_TEXT = /^-?(0|[1-9][0-9]{0,19})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const INTEGER_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1] } as const;
const INT64_RANGE = { int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n] } as const;

/**
 * The field's value from its text, held to the field's type and range: what the extension sets is
 * the only part of a decoded document not typed by the mapping code itself, so it is checked here,
 * as the json format's validateJson checks foreign JSON, before protobufjs's fromObject (which
 * coerces rather than refuses) reads it.
 */
function convert(text: string, field: FieldRule, where: () => string): unknown {
  switch (field.kind) {
    case 'string':
      return text;
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : refuse(where, `'${text}' is not true or false`);
    case 'int32':
    case 'uint32': {
      const [min, max] = INTEGER_RANGE[field.kind];
      const n = /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
      return Number.isInteger(n) && n >= min && n <= max
        ? n
        : refuse(where, `'${text}' is not an integer from ${min} to ${max}`);
    }
    case 'double':
    case 'float':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : refuse(where, `'${text}' is not a number`);
    case 'int64':
    case 'uint64': {
      const [min, max] = INT64_RANGE[field.kind];
      if (!INT64_TEXT.test(text)) return refuse(where, `'${text}' is not a 64-bit integer`);
      // Up to 15 digits is inside both ranges (but for a negative uint64): no BigInt for an instant.
      if (text.length <= 15 && (field.kind === 'int64' || text.charCodeAt(0) !== 0x2d)) return text;
      const n = BigInt(text);
      return n >= min && n <= max ? text : refuse(where, `${text} is outside the ${field.kind} range`);
    }
    case 'bytes':
      return BASE64.test(text) || BASE64URL.test(text)
        ? Buffer.from(text, 'base64')
        : refuse(where, `'${text}' is not base64`);
    case 'enum':
      return field.enumValues?.has(text)
        ? text
        : refuse(where, `'${text}' is not one of ${[...(field.enumValues ?? [])].join(', ')}`);
    case 'message':
      return refuse(where, `'${field.name}' is a message`);
  }
}

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
 * The canonical fields the WCO elements carry, by the object holding them and the field's name.
 * Marking by identity costs no path string per written field: paths are built only for the few
 * fields that end up in the extension block.
 */
export class WrittenFields {
  // A message has a handful of fields: a short array per holder is cheaper to make than a Set.
  private readonly byHolder = new Map<object, string[]>();

  mark(holder: object, key: string): void {
    const keys = this.byHolder.get(holder);
    if (keys) keys.push(key);
    else this.byHolder.set(holder, [key]);
  }

  keysOf(holder: object): readonly string[] | undefined {
    return this.byHolder.get(holder);
  }
}

/** Every leaf of a pruned proto3 JSON object that `written` does not hold, as [path, text]. */
export function unwrittenLeaves(object: Json, written: WrittenFields): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // Paths are built for the messages walked into and the leaves reported, never for written leaves.
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], `${path}[${i}]`);
    } else if (value !== null && typeof value === 'object') {
      const object = value as Json;
      const keys = Object.keys(object);
      // A message present with every field at its default still differs from an absent one.
      if (keys.length === 0 && path !== '') out.push([path, '']);
      const marked = written.keysOf(object);
      for (const key of keys) {
        const v = object[key];
        const leaf = v === null || typeof v !== 'object';
        if (!leaf || !marked?.includes(key)) walk(v, path ? `${path}.${key}` : key);
      }
    } else {
      out.push([path, String(value)]);
    }
  };
  walk(object, '');
  return out;
}

/** One step of an extension path: the field, and the item index for a repeated field (else -1). */
interface PathStep {
  readonly field: FieldRule;
  readonly index: number;
}

/** Parsed paths by schema: the same few paths come in every message. Bounded against hostile input. */
const parsedPaths = new WeakMap<MessageRule, Map<string, readonly PathStep[]>>();
const MAX_PARSED_PATHS = 4096;
let lastRule: MessageRule | undefined;
let lastCache: Map<string, readonly PathStep[]> | undefined;

/** The steps of `path` below `rule`, checked against the schema; `fail` names the problem. */
function parsePath(rule: MessageRule, path: string, fail: (problem: string) => never): readonly PathStep[] {
  // Every document of a format instance uses the same rule: its cache is kept at hand, without
  // a WeakMap lookup per field (that lookup measured most of the cost of a cached path).
  let cache = rule === lastRule ? lastCache : parsedPaths.get(rule);
  if (cache) {
    lastRule = rule;
    lastCache = cache;
  }
  const cached = cache?.get(path);
  if (cached) return cached;
  const segments = path.split('.');
  const steps: PathStep[] = [];
  let current: MessageRule = rule;
  for (let i = 0; i < segments.length; i++) {
    const m = SEGMENT.exec(segments[i]!);
    if (!m) return fail(`path '${path}' is malformed`);
    const name = m[1]!;
    const field: FieldRule | undefined = current.fields.get(name);
    if (!field || field.name !== name) return fail(`path '${path}': ${current.fullName} has no field '${name}'`);
    if (field.repeated !== (m[2] !== undefined)) {
      return fail(`path '${path}': '${name}' ${field.repeated ? 'needs' : 'takes no'} an index`);
    }
    if (i < segments.length - 1) {
      if (field.kind !== 'message') return fail(`path '${path}': '${name}' is not a message`);
      current = field.message!;
    }
    steps.push({ field, index: field.repeated ? Number(m[2]) : -1 });
  }
  if (!cache) parsedPaths.set(rule, (cache = new Map<string, readonly PathStep[]>()));
  if (cache.size >= MAX_PARSED_PATHS) cache.clear();
  cache.set(path, steps);
  return steps;
}

/**
 * Sets `path` to `text` in `object` (proto3 JSON form), converting the text by the field's type.
 * `object` holds what the WCO elements set: the extension may only add fields, or give an instant
 * the milliseconds its WCO date-time lacks. `fromExtension` collects the paths the extension set
 * (a later field with the same path replaces the earlier one). `where` names the XML element.
 */
export function applyExtensionField(
  object: Json,
  rule: MessageRule,
  path: string,
  text: string,
  fromExtension: Set<string>,
  where: () => string,
): void {
  const fail = (problem: string): never => {
    throw new FormatInvalidError(ENVELOPE, `${where()}: ${problem}`);
  };
  const steps = parsePath(rule, path, fail);
  let target: Json = object;
  for (let i = 0; i < steps.length; i++) {
    const { field, index } = steps[i]!;
    const name = field.name;
    const last = i === steps.length - 1;
    // A message path with no text marks a message present with every field at its default.
    if (last && field.kind === 'message' && text !== '') return fail(`path '${path}': '${name}' is a message`);
    let holder: Json | unknown[] = target;
    let key: string | number = name;
    if (field.repeated) {
      const list = (target[name] ??= []) as unknown[];
      // Items are created in order only: no sparse arrays, no huge index from a hostile document.
      if (index > list.length) return fail(`path '${path}': index ${index} skips items (${list.length} so far)`);
      holder = list;
      key = index;
    }
    if (last && field.kind === 'message') {
      (holder as Record<string | number, unknown>)[key] ??= {};
      return;
    }
    if (last) {
      const value = convert(text, field, fail);
      // A scalar field holds a scalar: a string, a number or a boolean.
      const existing = (holder as Record<string | number, unknown>)[key] as string | number | boolean | undefined;
      if (existing !== undefined && !fromExtension.has(path)) {
        const sameSecond =
          (field.kind === 'int64' || field.kind === 'uint64') &&
          Math.floor(Number(existing) / 1000) === Math.floor(Number(text) / 1000);
        if (!sameSecond) return fail(`path '${path}' is set by a WCO element too, to '${existing}'`);
      }
      fromExtension.add(path);
      (holder as Record<string | number, unknown>)[key] = value;
      return;
    }
    target = ((holder as Record<string | number, unknown>)[key] ??= {}) as Json;
  }
}

function convert(text: string, field: FieldRule, fail: (problem: string) => never): unknown {
  switch (field.kind) {
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : fail(`'${text}' is not true or false`);
    case 'int32':
    case 'uint32':
    case 'double':
    case 'float':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : fail(`'${text}' is not a number`);
    default:
      // Strings, enum names, 64-bit integers as decimal strings, bytes as base64: validateJson checks them.
      return text;
  }
}

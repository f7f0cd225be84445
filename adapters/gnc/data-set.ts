import { gnc } from '../../node/src/gen/gnc';
import type { EnvelopeBodyKind, UtilityBlock } from './utility-block';

/**
 * Data minimisation: the field paths of a body (proto JSON names, dotted; array elements share
 * their array's path) that a Utility Block's data set does not allow, and the body with them
 * removed. A path is allowed when a data-set entry equals it or is one of its ancestors.
 *
 * ExchangeNode applies the data set to every message it sends and receives. Converting the body to
 * JSON first (toObject: every int64 to a decimal string, every enum to its name, a new object per
 * message) cost more than the check itself; the functions below walk the gnc.v1 message objects
 * as protobufjs builds them (decode, fromObject). test/unit/adapters/gnc/data-set-reference.ts
 * states the rule on the body's JSON form, and data-set.test.ts compares the two.
 */

/** The data set as a tree of field names, built once per block. */
interface DataSetNode {
  /** An entry names this path: it and everything under it is allowed. */
  allowAll: boolean;
  readonly children: Map<string, DataSetNode>;
}

const compiled = new WeakMap<UtilityBlock, DataSetNode>();

function dataSetTree(block: UtilityBlock): DataSetNode {
  let root = compiled.get(block);
  if (!root) {
    root = { allowAll: false, children: new Map() };
    for (const entry of block.dataSet) {
      let node = root;
      for (const name of entry.split('.')) {
        let child = node.children.get(name);
        if (!child) node.children.set(name, (child = { allowAll: false, children: new Map() }));
        node = child;
      }
      node.allowAll = true;
    }
    compiled.set(block, root);
  }
  return root;
}

/**
 * A nested message, as opposed to a scalar: int64 fields hold a Long (or a number), bytes a
 * Uint8Array, enums a number. gnc.v1 has no map fields, whose plain objects would look the same.
 */
function isMessage(value: object): boolean {
  // `__isLong__` is how long.js (protobufjs's int64 type) recognises its own instances (Long.isLong).
  return !Array.isArray(value) && !ArrayBuffer.isView(value) && (value as { __isLong__?: unknown }).__isLong__ !== true;
}

/**
 * Whether a field is set, as toObject({ defaults: false }) decides: an own property that is not
 * null, and for a repeated field one with elements. Defaults live on the prototype.
 */
function present(message: object, key: string, value: unknown): boolean {
  if (value === null || value === undefined || !Object.hasOwn(message, key)) return false;
  return !Array.isArray(value) || value.length > 0;
}

/**
 * The part of `value` (a message, one element of a repeated field, or a scalar) at `path` that
 * `node` allows: the value itself when nothing under it is removed (no copy), a shallow copy of
 * the message without the removed fields otherwise, undefined when nothing of it is allowed.
 * Each removed path goes into `outside`.
 */
function keep(value: unknown, node: DataSetNode, path: string, outside: Set<string>): unknown {
  if (node.allowAll) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const kept = keep(item, node, path, outside);
      if (kept !== item && !copy) copy = value.slice(0, i) as unknown[];
      if (copy && kept !== undefined) copy.push(kept);
    }
    if (!copy) return value;
    return copy.length > 0 ? copy : undefined;
  }
  if (node.children.size === 0 || typeof value !== 'object' || value === null || !isMessage(value)) {
    outside.add(path);
    return undefined;
  }
  const message = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  let keptFields = 0;
  const keys = Object.keys(message);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const inner = message[key];
    if (!present(message, key, inner)) continue;
    const child = node.children.get(key);
    let kept: unknown;
    if (child) kept = keep(inner, child, path ? `${path}.${key}` : key, outside);
    else outside.add(path ? `${path}.${key}` : key);
    if (kept !== inner && !copy) {
      // Same prototype: the copy is still a gnc.v1 message of its type (defaults, encode, fromObject).
      copy = Object.create(Object.getPrototypeOf(message) as object) as Record<string, unknown>;
      for (let j = 0; j < i; j++) {
        const earlier = keys[j]!;
        if (present(message, earlier, message[earlier])) copy[earlier] = message[earlier];
      }
    }
    if (kept !== undefined) {
      keptFields++;
      if (copy) copy[key] = kept;
    }
  }
  if (path !== '' && keptFields === 0) return undefined;
  return copy ?? message;
}

/** The body record of a minimised message, as gnc.v1.Envelope holds it. */
export type EnvelopeBody = NonNullable<gnc.v1.Envelope[EnvelopeBodyKind]>;

/**
 * Data minimisation on the way out: the `block.bodyKind` record of `body` (other records are not
 * sent) with every field outside the block's data set removed, and the removed paths, sorted.
 * `kept` is a gnc.v1 message of the body's type, to put in the Envelope as it is; it may share
 * the sub-messages nothing was removed from with `body`. The same result as the rule on the body's
 * JSON object (data-set-reference.ts in the tests), without converting to JSON and back.
 */
export function minimiseBody(
  block: UtilityBlock,
  body: Omit<gnc.v1.IEnvelope, 'header'>,
): { kept: EnvelopeBody; outside: string[] } {
  // fromObject gives the runtime form (enum numbers, Long) of whatever the caller built, and
  // returns a message object of the right type as it is.
  const record = gnc.v1.Envelope.fromObject({ [block.bodyKind]: body[block.bodyKind] ?? {} })[block.bodyKind]!;
  const outside = new Set<string>();
  const kept = keep(record, dataSetTree(block), '', outside) as EnvelopeBody;
  return { kept, outside: [...outside].sort() };
}

/**
 * The data-set check on the way in: the paths of `envelope`'s `block.bodyKind` record that the
 * block's data set does not allow, sorted; empty when the message keeps to it. Reads the decoded
 * message as it is (no copy, no JSON).
 */
export function checkDataSet(block: UtilityBlock, envelope: gnc.v1.IEnvelope): string[] {
  const record = envelope[block.bodyKind];
  if (!record) return [];
  const outside = new Set<string>();
  keep(record, dataSetTree(block), '', outside);
  return [...outside].sort();
}

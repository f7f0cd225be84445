import type { Context } from 'fabric-contract-api';
import { invalidArgument, notFound } from './contract-error';
import { canonicalJson } from './serializer';

/**
 * The state key scheme. Every record lives under a composite key `<kind>` + [id]; secondary
 * indexes are composite keys whose value is a single 0x00 byte (an empty value would be a delete).
 */
export const RECORD_KINDS = ['declaration', 'inspection', 'seal', 'aeo', 'anchor'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const INDEX = {
  declarationByStatus: 'declaration~status', // [status, declarationId]
  declarationByTrader: 'declaration~trader', // [traderIdentifier, declarationId]
  inspectionByDeclaration: 'inspection~declaration', // [declarationId, inspectionId]
} as const;

const INDEX_VALUE = Buffer.from([0]);

export function recordKey(ctx: Context, kind: RecordKind, id: string): string {
  return ctx.stub.createCompositeKey(kind, [id]);
}

/**
 * Turns the printable form '<kind>/<id>' (used by the CLI and the History transaction) into the
 * composite key; a composite key itself (starting with U+0000) is accepted as is.
 */
export function parseRecordKey(ctx: Context, printable: string): string {
  if (printable.startsWith('\u0000')) return printable;
  const slash = printable.indexOf('/');
  const kind = slash > 0 ? printable.slice(0, slash) : '';
  const id = slash > 0 ? printable.slice(slash + 1) : '';
  if (!(RECORD_KINDS as readonly string[]).includes(kind) || id === '') {
    throw invalidArgument(`key must be '<kind>/<id>' with kind one of ${RECORD_KINDS.join(', ')} (got '${printable}')`);
  }
  return recordKey(ctx, kind as RecordKind, id);
}

/** '<kind>/<id>' for a record key. */
export function printableKey(ctx: Context, key: string): string {
  const { objectType, attributes } = ctx.stub.splitCompositeKey(key);
  return `${objectType}/${attributes.join('/')}`;
}

export async function readJson(ctx: Context, key: string): Promise<unknown> {
  const bytes = await ctx.stub.getState(key);
  if (!bytes || bytes.length === 0) return undefined;
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
}

export async function readRecord<T>(
  ctx: Context,
  kind: RecordKind,
  id: string,
  factory: (json: unknown) => T,
  label: string = kind,
): Promise<T> {
  const json = await readJson(ctx, recordKey(ctx, kind, id));
  if (json === undefined) throw notFound(`${label} ${id} does not exist`);
  return factory(json);
}

/**
 * Stores a record; resolves to the canonical JSON stored, which is also what the transaction
 * emits and returns (emitJson), so a record is serialized once, not once per use.
 */
export async function writeRecord(ctx: Context, kind: RecordKind, id: string, record: unknown): Promise<string> {
  const json = canonicalJson(record);
  await ctx.stub.putState(recordKey(ctx, kind, id), Buffer.from(json, 'utf8'));
  return json;
}

export async function putIndex(ctx: Context, index: string, attributes: string[]): Promise<void> {
  await ctx.stub.putState(ctx.stub.createCompositeKey(index, attributes), INDEX_VALUE);
}

export async function deleteIndex(ctx: Context, index: string, attributes: string[]): Promise<void> {
  await ctx.stub.deleteState(ctx.stub.createCompositeKey(index, attributes));
}

/** The last attribute of every index entry under [index, ...prefix], in key order. */
export async function indexedIds(ctx: Context, index: string, prefix: string[]): Promise<string[]> {
  const ids: string[] = [];
  const iterator = await ctx.stub.getStateByPartialCompositeKey(index, prefix);
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const { attributes } = ctx.stub.splitCompositeKey(next.value.key);
      const id = attributes[attributes.length - 1];
      if (id !== undefined) ids.push(id);
    }
  } finally {
    await iterator.close();
  }
  return ids;
}

/** Every key (and value) of one record kind, in key order. */
export async function recordsOfKind(ctx: Context, kind: RecordKind): Promise<Array<{ key: string; value: unknown }>> {
  const out: Array<{ key: string; value: unknown }> = [];
  const iterator = await ctx.stub.getStateByPartialCompositeKey(kind, []);
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      out.push({
        key: next.value.key,
        value: JSON.parse(Buffer.from(next.value.value).toString('utf8')) as unknown,
      });
    }
  } finally {
    await iterator.close();
  }
  return out;
}

/** One version of a record, as the History transaction returns it. */
export interface HistoryEntry {
  txId: string;
  timestamp: string;
  isDelete: boolean;
  value: unknown;
}

/**
 * Every version of a key, OLDEST FIRST. Fabric (v2+) returns GetHistoryForKey newest first
 * (by block and transaction number), so the list is reversed here.
 */
export async function historyOf(ctx: Context, key: string): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  const iterator = await ctx.stub.getHistoryForKey(key);
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const modification = next.value;
      const bytes = Buffer.from(modification.value ?? new Uint8Array());
      entries.push({
        txId: modification.txId,
        timestamp: timestampToIso(modification.timestamp),
        isDelete: modification.isDelete,
        value: modification.isDelete || bytes.length === 0 ? null : (JSON.parse(bytes.toString('utf8')) as unknown),
      });
    }
  } finally {
    await iterator.close();
  }
  return entries.reverse();
}

interface TimestampLike {
  seconds: unknown;
  nanos?: unknown;
}

/**
 * A protobuf Timestamp (seconds as Long, number or string) as ISO 8601 with nine fractional
 * digits, e.g. 2025-03-01T10:00:00.123456789Z: fixed width, so it also sorts as text.
 */
export function timestampToIso(timestamp: TimestampLike | undefined | null): string {
  if (!timestamp) return '1970-01-01T00:00:00.000000000Z';
  const seconds = Number(String(timestamp.seconds));
  const nanos = Number(timestamp.nanos ?? 0);
  const base = new Date(seconds * 1000).toISOString(); // yyyy-mm-ddThh:mm:ss.000Z
  return `${base.slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

/** The transaction's time (from the proposal header: the same on every endorser). */
export function txTime(ctx: Context): string {
  return timestampToIso(ctx.stub.getTxTimestamp());
}

/**
 * Emits the transaction's one chaincode event (Fabric keeps only the last one per transaction);
 * the payload is canonical JSON, as writeRecord returns it.
 */
export function emitJson(ctx: Context, name: string, json: string): void {
  ctx.stub.setEvent(name, Buffer.from(json, 'utf8'));
}

import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import type { LedgerChaincodeEvent, LedgerClient, SubmittedTransaction } from '../../node/src/ledger/ledger-client';
import { LedgerEndorsementError } from '../../node/src/ledger/ledger-errors';

/** A unique id per test run, so the suite can run again and again against one long-lived network. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A unique party identifier shaped like an EORI number (country + digits). */
export function uniqueTrader(country = 'NL'): string {
  return `${country}${BigInt(`0x${randomBytes(6).toString('hex')}`)
    .toString()
    .padStart(15, '0')
    .slice(0, 15)}`;
}

/** 32 random bytes as hex: a disclosure salt. */
export function newSalt(): string {
  return randomBytes(32).toString('hex');
}

/** The public commitment of a confidential field, computed independently of the chaincode. */
export function commitment(salt: string, canonicalValueJson: string): string {
  return createHash('sha256').update(`${salt}\u0000${canonicalValueJson}`, 'utf8').digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const decoder = new TextDecoder();

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

export interface Submitted<T> {
  tx: SubmittedTransaction;
  value: T;
}

/** Submits `contract:name` with string arguments (objects are sent as JSON) and parses the JSON result. */
export async function submitJson<T>(
  client: LedgerClient,
  contract: string,
  name: string,
  args: ReadonlyArray<string | object>,
  transient?: Record<string, unknown>,
): Promise<Submitted<T>> {
  const tx = await client.submit({
    contract,
    name,
    args: args.map(toArg),
    transient: transient === undefined ? undefined : encodeTransient(transient),
  });
  assert.ok(tx.txId.length > 0, 'a submitted transaction has a txId');
  return { tx, value: decodeJson<T>(tx.result) };
}

/** Evaluates `contract:name` and parses the JSON result. */
export async function evaluateJson<T>(
  client: LedgerClient,
  contract: string,
  name: string,
  args: ReadonlyArray<string | object>,
): Promise<T> {
  return decodeJson<T>(await client.evaluate({ contract, name, args: args.map(toArg) }));
}

function toArg(arg: string | object): string {
  return typeof arg === 'string' ? arg : JSON.stringify(arg);
}

function encodeTransient(transient: Record<string, unknown>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(transient)) {
    out[key] = new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/**
 * Asserts that the call was refused by the contract with `code`, and that the contract's message
 * contains every one of `mentions`. Returns the error for further checks.
 */
export async function expectRefused(
  call: Promise<unknown>,
  code: string,
  ...mentions: string[]
): Promise<LedgerEndorsementError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected the contract to refuse with ${code}, but the call succeeded`);
  assert.ok(
    caught instanceof LedgerEndorsementError,
    `expected a LedgerEndorsementError (${code}), got ${inspect(caught)}`,
  );
  assert.equal(caught.contractCode, code, `contract code (message: ${caught.contractMessage})`);
  for (const mention of mentions) {
    assert.ok(
      caught.contractMessage.includes(mention),
      `the contract message should mention '${mention}': ${caught.contractMessage}`,
    );
  }
  return caught;
}

/**
 * Reads chaincode events from an already opened stream until every txId in `txIds` has been
 * seen (or the deadline passes). Events of other transactions are kept too, keyed by txId.
 */
export async function collectEvents(
  events: AsyncIterable<LedgerChaincodeEvent>,
  txIds: readonly string[],
  timeoutMs = 30_000,
): Promise<Map<string, LedgerChaincodeEvent[]>> {
  const wanted = new Set(txIds);
  const seen = new Map<string, LedgerChaincodeEvent[]>();
  const iterator = events[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while ([...wanted].some((txId) => !seen.has(txId))) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), remaining);
      }),
    ]);
    clearTimeout(timer);
    if (next === 'timeout' || next.done) break;
    const list = seen.get(next.value.txId) ?? [];
    list.push(next.value);
    seen.set(next.value.txId, list);
  }
  const missing = txIds.filter((txId) => !seen.has(txId));
  assert.deepEqual(missing, [], 'events of these transactions did not arrive');
  return seen;
}

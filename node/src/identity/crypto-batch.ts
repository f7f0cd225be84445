/**
 * How the crypto pool's batches cross between threads. Structured cloning an array of jobs costs
 * an object and an ArrayBuffer per message (and a message in a pooled Buffer drags its whole
 * 8 KiB slab along), which made posting a batch cost the main thread more than a tenth of a
 * signature per job. A batch therefore travels as fixed-size int32 records over one byte area,
 * both transferred (moved, not copied); the answers come back the same way.
 */

import type { EndorserTransactionParts } from '../fabric/endorser-transaction';

/** An endorser transaction's parts other than the endorsement signature, which the worker makes. */
export type EndorsementParts = Omit<EndorserTransactionParts, 'endorsementSignature'>;

export type CryptoJob =
  | { kind: 'sign'; id: number; keyId: number; message: Uint8Array }
  | { kind: 'verify'; id: number; keyId: number; message: Uint8Array; signature: Uint8Array }
  /**
   * The endorsement (key `keyId` over proposal response payload || endorser) and then the
   * transaction envelope's signature (key `creatorKeyId` over the payload that carries the
   * endorsement): two signatures a client would otherwise wait for one after the other.
   */
  | { kind: 'endorse'; id: number; keyId: number; creatorKeyId: number; parts: EndorsementParts };

export type CryptoControl = { kind: 'key'; keyId: number; pem: string; type: 'private' | 'public' };

export interface CryptoResult {
  id: number;
  signature?: Uint8Array;
  /** Of an endorse job: the creator's signature over the envelope payload. */
  transactionSignature?: Uint8Array;
  ok?: boolean;
  error?: string;
}

export interface PackedJobs {
  /** Keys to register before the jobs run (a job never names a key registered in a later batch). */
  keys: CryptoControl[];
  /**
   * JOB_FIELDS int32s per job: kind, id, key id, second key id, then the offset and length of each
   * of its byte fields (up to MAX_BYTE_FIELDS, in the order of BYTE_FIELDS).
   */
  records: Int32Array;
  bytes: Uint8Array;
}

export interface PackedResults {
  /** RESULT_FIELDS int32s per result: id, outcome, signature offset and length, transaction signature offset and length. */
  records: Int32Array;
  bytes: Uint8Array;
  /** Error messages by job id (outcome ERROR). */
  errors: Record<number, string>;
}

const SIGN = 0;
const VERIFY = 1;
const ENDORSE = 2;
const ENDORSE_FIELDS = [
  'proposalResponsePayload',
  'endorser',
  'channelHeader',
  'signatureHeader',
  'proposalPayloadForBlock',
] as const satisfies ReadonlyArray<keyof EndorsementParts>;
const MAX_BYTE_FIELDS = ENDORSE_FIELDS.length;
const JOB_FIELDS = 4 + 2 * MAX_BYTE_FIELDS;

const RESULT_FIELDS = 6;
const SIGNED = 0;
const VERIFIED = 1;
const NOT_VERIFIED = 2;
const ERROR = 3;

/** Lays out a batch of jobs; post `packed` with `transfer` as the transfer list. */
export function packJobs(
  keys: CryptoControl[],
  jobs: readonly CryptoJob[],
): { packed: PackedJobs; transfer: ArrayBuffer[] } {
  let size = 0;
  for (const job of jobs) for (const field of byteFields(job)) size += field.length;
  const records = new Int32Array(jobs.length * JOB_FIELDS);
  const bytes = new Uint8Array(size);
  let offset = 0;
  const place = (data: Uint8Array): number => {
    bytes.set(data, offset);
    offset += data.length;
    return offset - data.length;
  };
  jobs.forEach((job, i) => {
    const at = i * JOB_FIELDS;
    records[at] = job.kind === 'sign' ? SIGN : job.kind === 'verify' ? VERIFY : ENDORSE;
    records[at + 1] = job.id;
    records[at + 2] = job.keyId;
    records[at + 3] = job.kind === 'endorse' ? job.creatorKeyId : 0;
    byteFields(job).forEach((field, n) => {
      records[at + 4 + 2 * n] = place(field);
      records[at + 5 + 2 * n] = field.length;
    });
  });
  return { packed: { keys, records, bytes }, transfer: [records.buffer, bytes.buffer] };
}

function byteFields(job: CryptoJob): Uint8Array[] {
  if (job.kind === 'sign') return [job.message];
  if (job.kind === 'verify') return [job.message, job.signature];
  const { parts } = job;
  return ENDORSE_FIELDS.map((name) => parts[name]);
}

/** The jobs of a packed batch; their byte fields are views into the batch's byte area. */
export function unpackJobs(packed: PackedJobs): CryptoJob[] {
  const { records, bytes } = packed;
  const jobs: CryptoJob[] = [];
  for (let at = 0; at + JOB_FIELDS <= records.length; at += JOB_FIELDS) {
    const field = (n: number) => records[at + n] ?? 0;
    const id = field(1);
    const keyId = field(2);
    const data = (n: number) => bytes.subarray(field(4 + 2 * n), field(4 + 2 * n) + field(5 + 2 * n));
    const kind = field(0);
    if (kind === SIGN) jobs.push({ kind: 'sign', id, keyId, message: data(0) });
    else if (kind === VERIFY) jobs.push({ kind: 'verify', id, keyId, message: data(0), signature: data(1) });
    else {
      const parts = Object.fromEntries(ENDORSE_FIELDS.map((name, n) => [name, data(n)])) as EndorsementParts;
      jobs.push({ kind: 'endorse', id, keyId, creatorKeyId: field(3), parts });
    }
  }
  return jobs;
}

export function packResults(results: readonly CryptoResult[]): { packed: PackedResults; transfer: ArrayBuffer[] } {
  let size = 0;
  for (const result of results) size += (result.signature?.length ?? 0) + (result.transactionSignature?.length ?? 0);
  const records = new Int32Array(results.length * RESULT_FIELDS);
  const bytes = new Uint8Array(size);
  const errors: Record<number, string> = {};
  let offset = 0;
  results.forEach((result, i) => {
    const at = i * RESULT_FIELDS;
    records[at] = result.id;
    if (result.error !== undefined) {
      records[at + 1] = ERROR;
      errors[result.id] = result.error;
    } else if (result.signature) {
      records[at + 1] = SIGNED;
      records[at + 2] = offset;
      records[at + 3] = result.signature.length;
      bytes.set(result.signature, offset);
      offset += result.signature.length;
      if (result.transactionSignature) {
        records[at + 4] = offset;
        records[at + 5] = result.transactionSignature.length;
        bytes.set(result.transactionSignature, offset);
        offset += result.transactionSignature.length;
      }
    } else {
      records[at + 1] = result.ok === true ? VERIFIED : NOT_VERIFIED;
    }
  });
  return { packed: { records, bytes, errors }, transfer: [records.buffer, bytes.buffer] };
}

/** The results of a packed answer; signatures are views into its byte area. */
export function unpackResults(packed: PackedResults): CryptoResult[] {
  const { records, bytes, errors } = packed;
  const results: CryptoResult[] = [];
  for (let at = 0; at + RESULT_FIELDS <= records.length; at += RESULT_FIELDS) {
    const id = records[at] ?? 0;
    const outcome = records[at + 1];
    if (outcome === ERROR) results.push({ id, error: errors[id] ?? 'unknown error' });
    else if (outcome === SIGNED) {
      const offset = records[at + 2] ?? 0;
      const result: CryptoResult = { id, signature: bytes.subarray(offset, offset + (records[at + 3] ?? 0)) };
      const second = records[at + 4] ?? 0;
      const secondLength = records[at + 5] ?? 0;
      if (secondLength > 0) result.transactionSignature = bytes.subarray(second, second + secondLength);
      results.push(result);
    } else results.push({ id, ok: outcome === VERIFIED });
  }
  return results;
}

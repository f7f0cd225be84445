/**
 * RSA signatures (PKCS#1 v1.5, SHA-256) for CMS, made on one worker thread in batches.
 *
 * An RSA-2048 signature costs ~250 us. Made in line it would hold the event loop that long per
 * message; made with node:crypto's callback form it goes to libuv's thread pool, where each call
 * pays a job set-up and a callback on the main thread (~20 us there) and shares the pool's four
 * threads with LevelDB's writes, which then wait behind hundreds of queued signatures. Here the
 * signatures asked for in one turn of the event loop travel to one thread in one message and
 * come back in one message; the thread signs them one after another, so RSA takes at most one
 * core and the store's I/O keeps the pool. The signature is node:crypto's, byte for byte.
 *
 * The thread is unref'd while nothing is pending: it never keeps a process alive. If it cannot
 * start or dies, the signatures it held (and later ones, while it cannot start) are made on
 * libuv's pool as before. GNC_CRYPTO_WORKER=0 (the node's switch for its own crypto thread) keeps
 * them there from the start.
 */
import { sign, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Main thread -> worker: keys new since the last batch, then the jobs. The bytes to sign travel
 * back to back in one transferred buffer: a Buffer cut from Node's 8 KiB pool would otherwise be
 * cloned with its whole slab, per job.
 */
export interface SignBatch {
  readonly keys: readonly { keyId: number; key: KeyObject }[];
  /** The id of the first job; the others follow in order. */
  readonly first: number;
  readonly keyIds: Int32Array;
  /** Where each job's bytes end in `bytes` (each starts where the one before ends). */
  readonly ends: Int32Array;
  readonly bytes: Uint8Array;
}

/** Worker -> main thread, the same way: the signatures back to back, and the errors by job index. */
export interface SignedBatch {
  readonly first: number;
  /** Where each signature ends in `bytes`; a failed job has an empty one and its entry in `errors`. */
  readonly ends: Int32Array;
  readonly bytes: Uint8Array;
  readonly errors: Readonly<Record<number, string>>;
}

interface Waiter {
  readonly key: KeyObject;
  readonly data: Uint8Array;
  readonly resolve: (signature: Buffer) => void;
  readonly reject: (error: Error) => void;
}

/** node:crypto's sign on libuv's pool: the fallback, and the path with GNC_CRYPTO_WORKER=0. */
export function signOnPool(data: Uint8Array, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

class RsaSigningThread {
  private worker: Worker | undefined;
  /** Set once the worker could not start: signatures go to the pool from then on. */
  private unavailable = false;
  private nextId = 1;
  private nextKeyId = 1;
  /** The keys the current thread was given (a new thread starts without any). */
  private keyIds = new WeakMap<KeyObject, number>();
  private queued: Waiter[] = [];
  private readonly pending = new Map<number, Waiter>();
  private scheduled = false;
  private readonly terminating = new WeakSet<Worker>();

  sign(data: Uint8Array, key: KeyObject): Promise<Buffer> {
    if (this.unavailable) return signOnPool(data, key);
    return new Promise((resolve, reject) => {
      this.queued.push({ key, data, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Everything asked for in this turn of the event loop travels in one message.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const jobs = this.queued;
    this.queued = [];
    if (jobs.length === 0) return;
    const first = this.nextId;
    this.nextId += jobs.length;
    try {
      const worker = this.ensureWorker();
      const keys: { keyId: number; key: KeyObject }[] = [];
      const keyIds = new Int32Array(jobs.length);
      const ends = new Int32Array(jobs.length);
      let total = 0;
      jobs.forEach((job, i) => {
        let keyId = this.keyIds.get(job.key);
        if (keyId === undefined) {
          keyId = this.nextKeyId++;
          this.keyIds.set(job.key, keyId);
          keys.push({ keyId, key: job.key });
        }
        keyIds[i] = keyId;
        total += job.data.byteLength;
        ends[i] = total;
      });
      const bytes = new Uint8Array(total);
      jobs.forEach((job, i) => bytes.set(job.data, i === 0 ? 0 : ends[i - 1]));
      const batch: SignBatch = { keys, first, keyIds, ends, bytes };
      worker.postMessage(batch, [keyIds.buffer, ends.buffer, bytes.buffer]);
      if (this.pending.size === 0) worker.ref();
      jobs.forEach((job, i) => this.pending.set(first + i, job));
    } catch {
      // No thread (it cannot start here): these and later signatures are made on the pool.
      this.unavailable = true;
      for (const job of jobs) this.onPool(job);
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'rsa-sign-worker.js'));
    let answered = false;
    worker.on('message', (answer: SignedBatch) => {
      answered = true;
      const { first, ends, bytes, errors } = answer;
      for (let i = 0; i < ends.length; i++) {
        const waiter = this.pending.get(first + i);
        this.pending.delete(first + i);
        if (!waiter) continue;
        const error = errors[i];
        if (error !== undefined) waiter.reject(new Error(`RSA signature failed: ${error}`));
        else {
          const start = i === 0 ? 0 : ends[i - 1]!;
          waiter.resolve(Buffer.from(bytes.buffer, bytes.byteOffset + start, ends[i]! - start));
        }
      }
      if (this.pending.size === 0) worker.unref();
    });
    const fail = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.keyIds = new WeakMap();
      // A thread that dies before its first answer cannot run here (no worker file, no threads):
      // not tried again for every batch.
      if (!answered && !this.terminating.has(worker)) this.unavailable = true;
      // Otherwise a new thread is started for the next batch; what this one held is signed on the pool.
      const held = [...this.pending.values()];
      this.pending.clear();
      for (const waiter of held) this.onPool(waiter);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    // Unref'd only after the listeners are attached (attaching one refs it again), and ref'd
    // while signatures are pending, so waiting for one keeps the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onPool(waiter: Waiter): void {
    signOnPool(waiter.data, waiter.key).then(waiter.resolve, waiter.reject);
  }

  /** Ends the thread (tests: to show the pending signatures still come, from the pool). */
  async terminate(): Promise<void> {
    if (!this.worker) return;
    this.terminating.add(this.worker);
    await this.worker.terminate();
  }
}

let thread: RsaSigningThread | undefined;

/** The RSA signature of `data` (SHA-256, PKCS#1 v1.5) with `key`, made off the main thread. */
export function signRsa(data: Uint8Array, key: KeyObject): Promise<Buffer> {
  if (process.env.GNC_CRYPTO_WORKER === '0') return signOnPool(data, key);
  thread ??= new RsaSigningThread();
  return thread.sign(data, key);
}

/** Ends the signing thread if one runs; the next signature starts another. For tests. */
export async function terminateRsaSigningThread(): Promise<void> {
  await thread?.terminate();
}

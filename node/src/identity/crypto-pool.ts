import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  packJobs,
  unpackResults,
  type CryptoControl,
  type CryptoJob,
  type CryptoResult,
  type PackedResults,
} from './crypto-batch';

/** A job as callers ask for it; the pool gives it its id. */
type WithoutId<Job> = Job extends unknown ? Omit<Job, 'id'> : never;
type CryptoJobRequest = WithoutId<CryptoJob>;

/**
 * ECDSA on a second thread. A busy node signs three times and verifies once per transaction;
 * done on the main thread (even through crypto's thread-pool callbacks, whose per-call set-up
 * costs most of a P-256 signature) that is a fifth of its time. Here the operations of one
 * event-loop turn go to a worker thread in one message and come back in one message, so the
 * main thread pays a copy per operation and the arithmetic runs on the other core.
 *
 * The worker is unref'd: it never keeps a process alive. If it cannot start or dies, callers get
 * the error and fall back to signing on the main thread (see signer.ts).
 */
class CryptoPool {
  private worker: Worker | undefined;
  private nextId = 1;
  private nextKeyId = 1;
  private readonly pending = new Map<number, { resolve: (r: CryptoResult) => void; reject: (e: Error) => void }>();
  private queue: CryptoJob[] = [];
  private keyQueue: CryptoControl[] = [];
  private scheduled = false;
  private readonly keyIds = new Map<string, number>();

  private ensureWorker(): Worker {
    if (!this.worker) {
      const worker = new Worker(path.join(__dirname, 'crypto-worker.js'));
      worker.on('message', (answer: PackedResults) => {
        for (const result of unpackResults(answer)) {
          const waiter = this.pending.get(result.id);
          this.pending.delete(result.id);
          waiter?.resolve(result);
        }
        if (this.pending.size === 0) worker.unref();
      });
      const fail = (error: Error) => {
        this.worker = undefined;
        this.keyIds.clear();
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`crypto worker exited with code ${code}`)));
      // Unref'd only after the listeners are attached (attaching one refs the worker again), and
      // ref'd while operations are outstanding, so waiting for a signature keeps the process alive.
      worker.unref();
      this.worker = worker;
    }
    return this.worker;
  }

  /** Registers a key (once per PEM) and returns its id in the worker. */
  key(pem: string, type: 'private' | 'public'): number {
    this.ensureWorker();
    let keyId = this.keyIds.get(pem);
    if (keyId === undefined) {
      keyId = this.nextKeyId++;
      this.keyIds.set(pem, keyId);
      this.keyQueue.push({ kind: 'key', keyId, pem, type });
    }
    return keyId;
  }

  run(job: CryptoJobRequest): Promise<CryptoResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.ensureWorker().ref();
      this.pending.set(id, { resolve, reject });
      this.enqueue({ ...job, id });
    });
  }

  private enqueue(job: CryptoJob): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      // Everything asked for in this turn of the event loop travels in one message.
      setImmediate(() => {
        this.scheduled = false;
        const jobs = this.queue;
        const keys = this.keyQueue;
        this.queue = [];
        this.keyQueue = [];
        try {
          const { packed, transfer } = packJobs(keys, jobs);
          this.ensureWorker().postMessage(packed, transfer);
        } catch (error) {
          for (const job of jobs) {
            const waiter = this.pending.get(job.id);
            this.pending.delete(job.id);
            waiter?.reject(error instanceof Error ? error : new Error(String(error)));
          }
        }
      });
    }
  }
}

let pool: CryptoPool | undefined;

/**
 * The process-wide pool (one worker thread: this machine class has two cores), or undefined when
 * GNC_CRYPTO_WORKER=0 asks for everything on the main thread (a one-core host, or to compare).
 */
export function cryptoPool(): CryptoPool | undefined {
  if (process.env.GNC_CRYPTO_WORKER === '0') return undefined;
  pool ??= new CryptoPool();
  return pool;
}

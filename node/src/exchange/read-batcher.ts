import type { ClassicLevel } from 'classic-level';

/**
 * Point reads gathered over one turn of the event loop and made as one getMany. Each LevelDB read
 * from JavaScript takes a snapshot under the database's lock and queues its own thread-pool job;
 * on the receiving hot path (the dedupe lookup of every message, nearly always a miss) that was
 * a tenth of the main thread. Messages arriving together (one TLS read, one batch of receipt
 * signatures) are looked up together, from one snapshot.
 */
export class ReadBatcher {
  private queued: Array<{ key: string; resolve: (value: Buffer | undefined) => void; reject: (error: Error) => void }> =
    [];

  constructor(private readonly db: ClassicLevel<string, Buffer>) {}

  get(key: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.queued.push({ key, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const reads = this.queued;
    this.queued = [];
    try {
      const values = await this.db.getMany(reads.map((read) => read.key));
      reads.forEach((read, index) => read.resolve(values[index] ?? undefined));
    } catch (error) {
      for (const read of reads) read.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

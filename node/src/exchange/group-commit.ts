import type { ClassicLevel } from 'classic-level';

export type StoreOp = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

/**
 * Durable writes at throughput: every caller's batch is written with sync, but batches that
 * arrive while a synced write is in flight are merged into the next one, so one fsync serves
 * many messages. A caller's promise resolves only when its own operations are on disk, and a
 * caller's operations are never split across two writes (each batch stays atomic).
 */
export class GroupCommitter {
  private pending: Array<{ ops: StoreOp[]; resolve: () => void; reject: (error: Error) => void }> = [];
  private writing = false;

  /**
   * `trailer` adds operations to every write, computed when the write starts (e.g. a counter's
   * current high-water mark, which must never be written lower than a key already on disk).
   */
  constructor(
    private readonly db: ClassicLevel<string, Buffer>,
    private readonly trailer: () => StoreOp[] = () => [],
  ) {}

  write(ops: StoreOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  /** Resolves when everything queued so far is written. */
  async drain(): Promise<void> {
    while (this.writing || this.pending.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          await this.db.batch(this.joined(group), { sync: true });
          for (const g of group) g.resolve();
        } catch (error) {
          for (const g of group) g.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * The group's operations and the trailer's in one array, sized once and filled by index (no
   * per-caller copies, no regrowth, no iterators while the code is not yet optimized).
   */
  private joined(group: ReadonlyArray<{ ops: StoreOp[] }>): StoreOp[] {
    const trailer = this.trailer();
    let count = trailer.length;
    for (let g = 0; g < group.length; g++) count += group[g]!.ops.length;
    const ops = new Array<StoreOp>(count);
    let at = 0;
    for (let g = 0; g < group.length; g++) {
      const groupOps = group[g]!.ops;
      for (let i = 0; i < groupOps.length; i++) ops[at++] = groupOps[i]!;
    }
    for (let i = 0; i < trailer.length; i++) ops[at++] = trailer[i]!;
    return ops;
  }
}

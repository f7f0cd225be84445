import { strict as assert } from 'node:assert';
import type { OutboxEntry } from '../../../node/src/exchange/message-store';
import { OutboxCache } from '../../../node/src/exchange/outbox-cache';

describe('OutboxCache', () => {
  const entry = (seq: number, partnerId = 'CustomsB', size = 10): OutboxEntry => ({
    seq,
    messageId: `m${seq}`,
    partnerId,
    utilityBlock: 'inspection-result-sharing',
    bytes: Buffer.alloc(size),
    attempts: 0,
    nextAttemptAt: 0,
  });
  const seqs = (entries: OutboxEntry[] | undefined) => entries?.map((e) => e.seq);

  describe('read', () => {
    it('returns a partner’s entries after a sequence number, oldest first, up to the limit', () => {
      const cache = new OutboxCache(0);
      for (const seq of [1, 2, 4]) cache.added(entry(seq));
      cache.added(entry(3, 'CustomsC'));
      assert.deepEqual(seqs(cache.read('CustomsB', 10, 0)), [1, 2, 4]);
      assert.deepEqual(seqs(cache.read('CustomsB', 1, 1)), [2]);
      assert.deepEqual(seqs(cache.read('CustomsC', 10, 0)), [3]);
      assert.deepEqual(seqs(cache.read('CustomsD', 10, 0)), []);
    });

    it('sends reads of what was written before it began (at or below its start) to disk', () => {
      const cache = new OutboxCache(100);
      cache.added(entry(101));
      assert.equal(cache.read('CustomsB', 10, 99), undefined);
      assert.deepEqual(seqs(cache.read('CustomsB', 10, 100)), [101]);
    });

    it('follows updates and removals', () => {
      const cache = new OutboxCache(0);
      for (const seq of [1, 2, 3]) cache.added(entry(seq));
      cache.updated({ ...entry(2), attempts: 1 });
      cache.removed('CustomsB', 1);
      assert.deepEqual(
        cache.read('CustomsB', 10, 0)?.map((e) => [e.seq, e.attempts]),
        [
          [2, 1],
          [3, 0],
        ],
      );
    });
  });

  describe('added', () => {
    it('drops its oldest entries past its bounds, and sends reads of them to disk', () => {
      const cache = new OutboxCache(0, { entries: 2, bytes: 1000 });
      for (const seq of [1, 2, 3]) cache.added(entry(seq));
      assert.equal(cache.read('CustomsB', 10, 0), undefined);
      assert.deepEqual(seqs(cache.read('CustomsB', 10, 1)), [2, 3]);
      // Bytes bound too: a large entry pushes the older ones out.
      cache.added(entry(4, 'CustomsB', 995));
      assert.equal(cache.read('CustomsB', 10, 2), undefined);
      assert.deepEqual(seqs(cache.read('CustomsB', 10, 3)), [4]);
    });

    it('keeps sequence order when an entry becomes durable after a later one', () => {
      const cache = new OutboxCache(0);
      cache.added(entry(2));
      cache.added(entry(1));
      assert.deepEqual(seqs(cache.read('CustomsB', 10, 0)), [1, 2]);
    });
  });
});

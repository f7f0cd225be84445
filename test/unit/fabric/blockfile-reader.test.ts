import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeBlockfileRecord } from '../../../node/src/fabric/blockfile';
import { type BlockfileItem, listBlockfiles, readBlockfiles } from '../../../node/src/fabric/blockfile-reader';
import { makeChain } from './helpers';

async function collect(source: AsyncIterable<BlockfileItem>): Promise<BlockfileItem[]> {
  const items: BlockfileItem[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe('blockfile-reader', () => {
  let dir: string;
  const blocks = makeChain(12, 3);
  const records = blocks.map((b) => encodeBlockfileRecord(b));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gnc-blockfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('listBlockfiles', () => {
    it('orders blockfile_N by number and skips other names', async () => {
      for (const name of ['blockfile_000010', 'blockfile_000002', 'blockfile_000000', 'index', 'blockfile_x']) {
        await writeFile(path.join(dir, name), '');
      }
      const names = (await listBlockfiles(dir)).map((f) => path.basename(f));
      assert.deepEqual(names, ['blockfile_000000', 'blockfile_000002', 'blockfile_000010']);
    });
  });

  describe('readBlockfiles', () => {
    it('reads a folder of blockfiles in order, in chunks smaller than a block', async () => {
      await writeFile(path.join(dir, 'blockfile_000000'), Buffer.concat(records.slice(0, 5)));
      await writeFile(path.join(dir, 'blockfile_000001'), Buffer.concat(records.slice(5)));
      const items = await collect(readBlockfiles(dir, { chunkSize: 64 }));
      assert.deepEqual(
        items.map((i) => (i.kind === 'block' ? i.block.getHeader()?.getNumber() : i.kind)),
        [...blocks.keys()],
      );
      const seventh = items[6];
      assert.ok(seventh?.kind === 'block');
      assert.equal(path.basename(seventh.file), 'blockfile_000001');
      assert.equal(seventh.offset, records[5]!.length);
      assert.deepEqual(seventh.block.toObject(), blocks[6]!.toObject());
    });

    it('gives the same blocks whatever the chunk size', async () => {
      const file = path.join(dir, 'blockfile_000000');
      await writeFile(file, Buffer.concat(records));
      for (const chunkSize of [16, 100, 1000, 1 << 20]) {
        const items = await collect(readBlockfiles(file, { chunkSize }));
        assert.equal(items.length, blocks.length);
        items.forEach((item, i) => assert.ok(item.kind === 'block' && item.block.getHeader()?.getNumber() === i));
      }
    });

    it('ends with a torn item naming the file and offset of a cut record, and stops there', async () => {
      const whole = Buffer.concat(records.slice(0, 4));
      await writeFile(path.join(dir, 'blockfile_000000'), whole.subarray(0, whole.length - 5));
      await writeFile(path.join(dir, 'blockfile_000001'), Buffer.concat(records.slice(4)));
      const items = await collect(readBlockfiles(dir, { chunkSize: 32 }));
      assert.equal(items.length, 4);
      const torn = items[3];
      assert.ok(torn?.kind === 'torn');
      assert.equal(path.basename(torn.file), 'blockfile_000000');
      assert.equal(torn.offset, whole.length - records[3]!.length);
      assert.equal(torn.truncated, true);
    });

    it('does not allocate for a garbage length beyond the end of the file', async () => {
      const file = path.join(dir, 'blockfile_000000');
      await writeFile(file, Buffer.concat([records[0]!, Buffer.from('ffffffffff0f', 'hex')]));
      const items = await collect(readBlockfiles(file, { chunkSize: 16 }));
      assert.deepEqual(
        items.map((i) => i.kind),
        ['block', 'torn'],
      );
    });

    it('stops when aborted', async () => {
      const file = path.join(dir, 'blockfile_000000');
      await writeFile(file, Buffer.concat(records));
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await assert.rejects(collect(readBlockfiles(file, { chunkSize: 16, signal: controller.signal })), /stop/);
    });
  });
});

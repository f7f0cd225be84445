/**
 * Conformance with Hyperledger Fabric's own test data (see each `.src.txt` beside the files): the
 * blockfiles of `internal/ledgerutil` with the reports `ledgerutil verify` must produce, and two
 * genesis blocks from the orderer tests.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { formatFabricBlocksJson, verifyBlockfile, verifyBlocks } from '../../node/src/audit/verify-chain';
import { blockDataHash, blockHeaderHash } from '../../node/src/fabric/block-hash';
import { encodeBlockfileRecord, scanBlockfile } from '../../node/src/fabric/blockfile';
import { readBlockfiles } from '../../node/src/fabric/blockfile-reader';
import { conformanceDir } from '../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const FABRIC = path.join(CONFORMANCE_DIR, 'fabric');
const PROD = path.join(FABRIC, 'sample_prod.blockfile_000000');
const BAD = path.join(FABRIC, 'sample_bad_ledger.blockfile_000000');

describe('Fabric blockfile conformance', () => {
  let prod: Buffer;
  let tmp: string;

  before(async () => {
    prod = await readFile(PROD);
    tmp = await mkdtemp(path.join(tmpdir(), 'gnc-fabric-conf-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('verifyBlockfile', () => {
    it('reports sample_prod as Fabric does (correct_blocks.json)', async () => {
      const expected = await readFile(path.join(FABRIC, 'sample_prod.expected_correct_blocks.json'), 'utf8');
      const report = await verifyBlockfile(PROD);
      assert.deepEqual(report.faults, JSON.parse(expected));
      assert.equal(formatFabricBlocksJson(report), expected);
      assert.equal(report.intact, true);
      assert.equal(report.blocksChecked, 8);
      assert.equal(report.firstBlock, 0n);
      assert.equal(report.lastBlock, 7n);
    });

    it('reports sample_bad_ledger as Fabric does (hash_error_blocks.json)', async () => {
      const expected = await readFile(path.join(FABRIC, 'sample_bad_ledger.expected_hash_error_blocks.json'), 'utf8');
      const report = await verifyBlockfile(BAD);
      assert.deepEqual(report.faults, JSON.parse(expected));
      assert.equal(formatFabricBlocksJson(report), expected);
      assert.equal(report.intact, false);
      assert.equal(report.blocksChecked, 10);
    });

    it('gives the same verdicts with Fabric v2.5 rules (no well-formedness check)', async () => {
      for (const [file, expectedFile] of [
        [PROD, 'sample_prod.expected_correct_blocks.json'],
        [BAD, 'sample_bad_ledger.expected_hash_error_blocks.json'],
      ] as const) {
        const expected: unknown = JSON.parse(await readFile(path.join(FABRIC, expectedFile), 'utf8'));
        assert.deepEqual((await verifyBlockfile(file, { checkTransactionsWellFormed: false })).faults, expected);
      }
    });

    it('reads a channel folder the same as its single blockfile, in small chunks', async () => {
      const channel = path.join(tmp, 'mychannel');
      await rm(channel, { recursive: true, force: true });
      await mkdirp(channel);
      await writeFile(path.join(channel, 'blockfile_000000'), prod);
      const report = await verifyBlockfile(channel, { chunkSize: 1000 });
      assert.equal(report.intact, true);
      assert.equal(report.blocksChecked, 8);
    });

    it('finds the torn last record at every byte where the file can be cut', () => {
      const { blocks } = scanBlockfile(prod);
      const last = blocks[blocks.length - 1]!;
      for (let cut = last.offset + 1; cut < prod.length; cut++) {
        const scan = scanBlockfile(prod.subarray(0, cut));
        assert.equal(scan.blocks.length, 7, `cut at ${cut}`);
        assert.equal(scan.torn?.offset, last.offset, `cut at ${cut}`);
        assert.equal(scan.torn?.truncated, true, `cut at ${cut}`);
      }
    });

    it('names the offset of a torn last record in its report, at sampled cuts', async () => {
      const { blocks } = scanBlockfile(prod);
      const last = blocks[blocks.length - 1]!;
      const file = path.join(tmp, 'torn');
      const cuts = [last.offset + 1, last.offset + 2, last.offset + 40, last.offset + 1000, prod.length - 1];
      for (const cut of cuts) {
        await writeFile(file, prod.subarray(0, cut));
        const report = await verifyBlockfile(file, { chunkSize: 4096 });
        assert.equal(report.blocksChecked, 7, `cut at ${cut}`);
        assert.equal(report.intact, false);
        assert.deepEqual(report.tail && { offset: report.tail.offset, truncated: report.tail.truncated }, {
          offset: last.offset,
          truncated: true,
        });
        assert.equal(report.faults.length, 1);
        assert.equal(report.faults[0]?.blockNum, 7);
        assert.match(report.faults[0]?.errors[0] ?? '', new RegExp(`offset ${last.offset} of `));
      }
    });

    it('reports a flipped envelope byte in any block as a DataHash mismatch naming that block', async () => {
      for (let n = 0; n < 8; n++) {
        const copy = Buffer.from(prod);
        const { blocks } = scanBlockfile(copy);
        const envelope = blocks[n]!.block.getData()!.getDataList_asU8()[0]!;
        envelope[envelope.length - 1]! ^= 0x80; // a view into `copy`, so this edits the file bytes
        const report = await verifyBlocks(scanBlockfile(copy).blocks.map((b) => b.block));
        assert.deepEqual(report.faults, [{ blockNum: n, valid: false, errors: ['DataHash mismatch'] }], `block ${n}`);
      }
    });

    it('reports a flipped byte inside an envelope on disk as a DataHash mismatch of that block', async () => {
      const { blocks } = scanBlockfile(prod);
      const target = blocks[4]!;
      const envelope = target.block.getData()!.getDataList_asU8()[0]!;
      // The envelope is a view into `prod`: its offset there is where to flip.
      const at = envelope.byteOffset - prod.byteOffset + Math.floor(envelope.length / 2);
      const flipped = Buffer.from(prod);
      flipped[at]! ^= 0x01;
      const file = path.join(tmp, 'flipped');
      await writeFile(file, flipped);
      const report = await verifyBlockfile(file);
      assert.deepEqual(report.faults, [{ blockNum: 4, valid: false, errors: ['DataHash mismatch'] }]);
    });
  });

  describe('encodeBlockfileRecord', () => {
    it('re-encodes every block of sample_prod to the exact bytes Fabric wrote', () => {
      const { blocks, torn } = scanBlockfile(prod);
      assert.equal(torn, undefined);
      assert.equal(blocks.length, 8);
      for (const { block, offset, end } of blocks) {
        assert.ok(encodeBlockfileRecord(block).equals(prod.subarray(offset, end)), `block at offset ${offset}`);
      }
    });

    it('re-encodes every block of sample_bad_ledger to the exact bytes too', async () => {
      const bad = await readFile(BAD);
      const { blocks, torn } = scanBlockfile(bad);
      assert.equal(torn, undefined);
      assert.ok(Buffer.concat(blocks.map((b) => encodeBlockfileRecord(b.block))).equals(bad));
    });
  });

  describe('readBlockfiles', () => {
    it('streams the blocks scanBlockfile finds, with the same offsets', async () => {
      const scanned = scanBlockfile(prod).blocks;
      let i = 0;
      for await (const item of readBlockfiles(PROD, { chunkSize: 512 })) {
        assert.ok(item.kind === 'block');
        assert.equal(item.offset, scanned[i]!.offset);
        assert.equal(item.end, scanned[i]!.end);
        i++;
      }
      assert.equal(i, scanned.length);
    });
  });

  describe('genesis blocks (raw common.Block protobuf)', () => {
    for (const name of ['etcdraft_genesis.block', 'orderer_mychannel_genesis.block']) {
      it(`${name} has a correct data hash and verifies as a chain of one`, async () => {
        const block = common.Block.deserializeBinary(await readFile(path.join(FABRIC, name)));
        const header = block.getHeader()!;
        assert.ok(blockDataHash(block.getData()!.getDataList_asU8()).equals(header.getDataHash_asU8()));
        assert.equal(blockHeaderHash(header).length, 32);
        assert.equal((await verifyBlocks([block])).intact, true);
      });
    }
  });
});

async function mkdirp(dir: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
}

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { blockDataHash } from '../../../node/src/fabric/block-hash';
import {
  BLOCK_METADATA_SLOTS,
  decodeBlockfileBlock,
  encodeBlockfileRecord,
  newBlock,
  scanBlockfile,
} from '../../../node/src/fabric/blockfile';
import { BlockfileFormatError } from '../../../node/src/fabric/fabric-errors';
import { encodeVarint } from '../../../node/src/fabric/varint';
import { envelope, makeChain } from './helpers';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('blockfile', () => {
  describe('newBlock', () => {
    it('sets the data hash of the envelopes and 5 empty metadata entries by default', () => {
      const envelopes = [envelope('a'), envelope('b')];
      const block = newBlock(7n, Buffer.from('prev'), envelopes);
      const header = block.getHeader() as common.BlockHeader;
      assert.equal(header.getNumber(), 7);
      assert.equal(hex(header.getPreviousHash_asU8()), hex(Buffer.from('prev')));
      assert.equal(hex(header.getDataHash_asU8()), hex(blockDataHash(envelopes)));
      assert.equal(block.getMetadata()?.getMetadataList_asU8().length, BLOCK_METADATA_SLOTS);
    });

    it('refuses a number common.BlockHeader cannot hold', () => {
      assert.throws(() => newBlock(1n << 53n, new Uint8Array(0), []), RangeError);
    });
  });

  describe('encodeBlockfileRecord', () => {
    it("writes Fabric's layout: number, data hash, previous hash, envelopes, metadata", () => {
      const block = newBlock(300n, Buffer.from('PP'), [Buffer.from('E1'), Buffer.from('')], [Buffer.from('M')]);
      const dataHash = (block.getHeader() as common.BlockHeader).getDataHash_asU8();
      const inner = Buffer.concat([
        Buffer.from('ac02', 'hex'), // 300
        Buffer.from([32]),
        dataHash, // data hash first
        Buffer.from([2]),
        Buffer.from('PP'),
        Buffer.from([2, 2]),
        Buffer.from('E1'),
        Buffer.from([0]),
        Buffer.from([1, 1]),
        Buffer.from('M'),
      ]);
      assert.equal(hex(encodeBlockfileRecord(block)), hex(Buffer.concat([encodeVarint(inner.length), inner])));
    });

    it('uses a multi-byte length prefix for records of 128 bytes and more', () => {
      const record = encodeBlockfileRecord(newBlock(0n, new Uint8Array(0), [Buffer.alloc(200)]));
      assert.equal(record[0]! & 0x80, 0x80);
      assert.equal(scanBlockfile(record).blocks.length, 1);
    });

    it('refuses a block without a header', () => {
      assert.throws(() => encodeBlockfileRecord(new common.Block()), BlockfileFormatError);
    });
  });

  describe('decodeBlockfileBlock', () => {
    it('round-trips header, envelopes and metadata', () => {
      const [block] = makeChain(1, 3);
      const record = encodeBlockfileRecord(block!);
      const decoded = decodeBlockfileBlock(record.subarray(record[0]! < 0x80 ? 1 : 2));
      assert.deepEqual(decoded.toObject(), block!.toObject());
    });

    it('names the part that is missing, in Fabric words', () => {
      assert.throws(() => decodeBlockfileBlock(new Uint8Array(0)), /error decoding the block number/);
      assert.throws(() => decodeBlockfileBlock(Buffer.from([1, 5, 1])), /error decoding the data hash/);
      assert.throws(() => decodeBlockfileBlock(Buffer.from([1, 0, 0, 1])), /error decoding the transaction envelope/);
      assert.throws(() => decodeBlockfileBlock(Buffer.from([1, 0, 0, 0])), /the length of block metadata/);
    });

    it('refuses a huge item count without allocating for it', () => {
      const bytes = Buffer.concat([Buffer.from([1, 0, 0]), encodeVarint(2 ** 40), Buffer.from([1, 7])]);
      assert.throws(() => decodeBlockfileBlock(bytes), /error decoding the transaction envelope/);
    });

    it('ignores bytes after the last metadata entry, as Fabric does', () => {
      assert.equal(
        decodeBlockfileBlock(Buffer.from([4, 0, 0, 0, 0, 9, 9]))
          .getHeader()
          ?.getNumber(),
        4,
      );
    });
  });

  describe('scanBlockfile', () => {
    const blocks = makeChain(4);
    const records = blocks.map((b) => encodeBlockfileRecord(b));
    const file = Buffer.concat(records);

    it('returns every block with its record offsets', () => {
      const scan = scanBlockfile(file);
      assert.equal(scan.torn, undefined);
      let offset = 0;
      scan.blocks.forEach((s, i) => {
        assert.equal(s.offset, offset);
        assert.equal(s.end, offset + records[i]!.length);
        assert.equal(s.block.getHeader()?.getNumber(), i);
        offset = s.end;
      });
    });

    it('reports an empty file as no blocks and nothing torn', () => {
      assert.deepEqual(scanBlockfile(new Uint8Array(0)), { blocks: [] });
    });

    it('reports a file cut inside the last record at that record, at every cut', () => {
      const lastStart = file.length - records[3]!.length;
      for (let cut = lastStart + 1; cut < file.length; cut++) {
        const scan = scanBlockfile(file.subarray(0, cut));
        assert.equal(scan.blocks.length, 3, `cut at ${cut}`);
        assert.equal(scan.torn?.offset, lastStart);
        assert.equal(scan.torn?.truncated, true);
      }
    });

    it('reports a complete record that does not parse as not truncated', () => {
      const bad = Buffer.concat([records[0]!, Buffer.from([3, 1, 9, 9])]);
      const scan = scanBlockfile(bad);
      assert.equal(scan.blocks.length, 1);
      assert.deepEqual(
        { ...scan.torn, reason: undefined },
        { offset: records[0]!.length, truncated: false, reason: undefined },
      );
    });

    it('never throws on garbage', () => {
      for (let i = 0; i < 2000; i++) {
        const garbage = randomBytes(1 + (i % 64));
        const scan = scanBlockfile(garbage);
        if (scan.torn) assert.ok(scan.torn.offset >= 0 && scan.torn.offset < garbage.length);
      }
      const overlong = Buffer.from('ffffffffffffffffffff01', 'hex');
      assert.equal(scanBlockfile(overlong).torn?.truncated, false);
    });
  });
});

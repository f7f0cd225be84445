import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, headerFields } from '../../../node/src/fabric/block-hash';
import { GO_ASN1_HEADER_VECTORS } from './go-asn1-header-vectors';

const BYTES_0_31 = Uint8Array.from({ length: 32 }, (_, i) => i);
const BYTES_255_56 = Uint8Array.from({ length: 200 }, (_, i) => 255 - i);
const HASHES: Record<string, readonly [Uint8Array, Uint8Array]> = {
  nil: [new Uint8Array(0), new Uint8Array(0)],
  '32/16': [BYTES_0_31, BYTES_0_31.subarray(0, 16)],
  '200/32': [BYTES_255_56, BYTES_0_31],
};

describe('block-hash', () => {
  describe('blockHeaderBytes', () => {
    for (const [number, hashes, derHex] of GO_ASN1_HEADER_VECTORS) {
      it(`matches Go's asn1 for number ${number}, hashes ${hashes}`, () => {
        const [prev, data] = HASHES[hashes] as readonly [Uint8Array, Uint8Array];
        assert.equal(blockHeaderBytes(BigInt(number), prev, data).toString('hex'), derHex);
      });
    }

    it('encodes 0 as the single content octet 00', () => {
      assert.equal(blockHeaderBytes(0n, new Uint8Array(0), new Uint8Array(0)).toString('hex'), '300702010004000400');
    });

    it('adds a 00 octet when the top bit is set (127 vs 128, 2^63)', () => {
      const none = new Uint8Array(0);
      assert.equal(blockHeaderBytes(127n, none, none).subarray(2, 5).toString('hex'), '02017f');
      assert.equal(blockHeaderBytes(128n, none, none).subarray(2, 6).toString('hex'), '02020080');
      assert.equal(
        blockHeaderBytes(1n << 32n, none, none)
          .subarray(2, 9)
          .toString('hex'),
        '02050100000000',
      );
      assert.equal(
        blockHeaderBytes(1n << 63n, none, none)
          .subarray(2, 13)
          .toString('hex'),
        '0209008000000000000000',
      );
    });

    it('refuses numbers outside uint64', () => {
      const none = new Uint8Array(0);
      assert.throws(() => blockHeaderBytes(-1n, none, none), RangeError);
      assert.throws(() => blockHeaderBytes(1n << 64n, none, none), RangeError);
    });
  });

  describe('blockHeaderHash', () => {
    for (const [number, hashes, , hashHex] of GO_ASN1_HEADER_VECTORS) {
      it(`matches SHA-256 of Go's bytes for number ${number}, hashes ${hashes}`, () => {
        const [previousHash, dataHash] = HASHES[hashes] as readonly [Uint8Array, Uint8Array];
        assert.equal(blockHeaderHash({ number: BigInt(number), previousHash, dataHash }).toString('hex'), hashHex);
      });
    }

    it('accepts a protobuf BlockHeader', () => {
      const header = new common.BlockHeader();
      header.setNumber(128);
      header.setPreviousHash(BYTES_0_31);
      header.setDataHash(BYTES_0_31.subarray(0, 16));
      const expected = GO_ASN1_HEADER_VECTORS.find(([n, h]) => n === '128' && h === '32/16')?.[3];
      assert.equal(blockHeaderHash(header).toString('hex'), expected);
    });
  });

  describe('headerFields', () => {
    it('refuses a number a JS number cannot hold exactly', () => {
      const header = new common.BlockHeader();
      header.setNumber(2 ** 60);
      assert.throws(() => headerFields(header), RangeError);
    });
  });

  describe('blockDataHash', () => {
    it('is SHA-256 of the envelopes concatenated', () => {
      const envelopes = [Buffer.from('ab'), Buffer.from(''), Buffer.from('cde')];
      assert.deepEqual(blockDataHash(envelopes), createHash('sha256').update('abcde').digest());
    });

    it('of no envelopes is SHA-256 of nothing', () => {
      assert.equal(
        blockDataHash([]).toString('hex'),
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
    });
  });
});

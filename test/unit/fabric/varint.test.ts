import { strict as assert } from 'node:assert';
import {
  decodeVarint,
  decodeVarint64,
  encodeVarint,
  encodedVarintLength,
  writeVarint,
} from '../../../node/src/fabric/varint';
import { VarintError } from '../../../node/src/fabric/fabric-errors';

// Minimal encodings, as Go's protowire.AppendVarint / encoding/binary.AppendUvarint write them.
const VECTORS: ReadonlyArray<readonly [bigint, string]> = [
  [0n, '00'],
  [1n, '01'],
  [127n, '7f'],
  [128n, '8001'],
  [300n, 'ac02'],
  [16383n, 'ff7f'],
  [16384n, '808001'],
  [(1n << 28n) - 1n, 'ffffff7f'],
  [1n << 28n, '8080808001'],
  [1n << 32n, '8080808010'],
  [BigInt(Number.MAX_SAFE_INTEGER), 'ffffffffffffff0f'],
  [1n << 63n, '80808080808080808001'],
  [(1n << 64n) - 1n, 'ffffffffffffffffff01'],
];

function varintError(problem: string): (err: unknown) => boolean {
  return (err) => err instanceof VarintError && err.problem === problem && err.code === 'GNC_VARINT_INVALID';
}

describe('varint', () => {
  describe('encodeVarint', () => {
    for (const [value, hex] of VECTORS) {
      it(`encodes ${value} as ${hex}`, () => {
        assert.equal(encodeVarint(value).toString('hex'), hex);
        assert.equal(encodedVarintLength(value), hex.length / 2);
        if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
          assert.equal(encodeVarint(Number(value)).toString('hex'), hex);
          assert.equal(encodedVarintLength(Number(value)), hex.length / 2);
        }
      });
    }

    it('refuses negative, fractional, unsafe and above-uint64 values', () => {
      assert.throws(() => encodeVarint(-1), RangeError);
      assert.throws(() => encodeVarint(1.5), RangeError);
      assert.throws(() => encodeVarint(2 ** 60), RangeError);
      assert.throws(() => encodeVarint(-1n), RangeError);
      assert.throws(() => encodeVarint(1n << 64n), RangeError);
    });
  });

  describe('writeVarint', () => {
    it('writes at an offset and returns the offset after it', () => {
      const out = Buffer.alloc(6, 0xee);
      assert.equal(writeVarint(out, 2, 300), 4);
      assert.equal(out.toString('hex'), 'eeeeac02eeee');
    });
  });

  describe('decodeVarint64', () => {
    for (const [value, hex] of VECTORS) {
      it(`decodes ${hex} as ${value}`, () => {
        assert.deepEqual(decodeVarint64(Buffer.from(hex, 'hex')), { value, length: hex.length / 2 });
      });
    }

    it('accepts non-minimal encodings, as protowire does', () => {
      assert.deepEqual(decodeVarint64(Buffer.from('8000', 'hex')), { value: 0n, length: 2 });
    });

    it('reads at an offset and ignores what follows', () => {
      assert.deepEqual(decodeVarint64(Buffer.from('ffac02ff', 'hex'), 1), { value: 300n, length: 2 });
    });

    it('reports a varint cut short as truncated', () => {
      assert.throws(() => decodeVarint64(Buffer.from('8080', 'hex')), varintError('truncated'));
      assert.throws(() => decodeVarint64(new Uint8Array(0)), varintError('truncated'));
    });

    it('reports more than 64 bits as overflow', () => {
      assert.throws(() => decodeVarint64(Buffer.from('ffffffffffffffffff02', 'hex')), varintError('overflow'));
      assert.throws(() => decodeVarint64(Buffer.from('8080808080808080808001', 'hex')), varintError('overflow'));
    });
  });

  describe('decodeVarint', () => {
    for (const [value, hex] of VECTORS.filter(([v]) => v <= BigInt(Number.MAX_SAFE_INTEGER))) {
      it(`decodes ${hex} as the number ${value}`, () => {
        assert.deepEqual(decodeVarint(Buffer.from(hex, 'hex')), { value: Number(value), length: hex.length / 2 });
      });
    }

    it('refuses a valid uint64 above 2^53 - 1 rather than lose precision', () => {
      assert.throws(() => decodeVarint(Buffer.from('80808080808080808001', 'hex')), varintError('unsafe-integer'));
    });

    it('reports truncation on both the fast and the wide path', () => {
      assert.throws(() => decodeVarint(Buffer.from('80', 'hex')), varintError('truncated'));
      assert.throws(() => decodeVarint(Buffer.from('8080808080', 'hex')), varintError('truncated'));
    });
  });
});

import assert from 'node:assert/strict';
import { canonicalJson } from '../../../chaincode/src/serializer';

describe('chaincode serializer', function () {
  describe('canonicalJson', function () {
    it('sorts object keys recursively, whatever the insertion order', function () {
      const a = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } });
      const b = canonicalJson({ a: { c: 'x', d: [{ y: 2, z: 1 }] }, b: 1 });
      assert.equal(a, '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}');
      assert.equal(a, b);
    });

    it('leaves out undefined properties but keeps null', function () {
      assert.equal(canonicalJson({ a: undefined, b: null, c: 0 }), '{"b":null,"c":0}');
    });

    it('refuses values JSON would silently change', function () {
      assert.throws(() => canonicalJson({ n: Number.NaN }), /finite/);
      assert.throws(() => canonicalJson({ n: Infinity }), /finite/);
      assert.throws(() => canonicalJson([1, undefined]), /undefined/);
      assert.throws(() => canonicalJson({ b: Buffer.from('x') }), /binary/);
      assert.throws(() => canonicalJson({ n: 1n }), /unsupported/);
    });

    it('serializes class instances by their own enumerable fields', function () {
      class Point {
        y = 2;
        x = 1;
      }
      assert.equal(canonicalJson(new Point()), '{"x":1,"y":2}');
    });

    it('escapes strings as JSON does', function () {
      assert.equal(canonicalJson({ 'k\u0000': 'a"b\n' }), '{"k\\u0000":"a\\"b\\n"}');
    });

    it('quotes every kind of string exactly as JSON.stringify does, in keys and in values', function () {
      const samples = [
        '',
        'plain-ASCII 123',
        'back\\slash',
        'tab\t',
        '\u007f',
        'é ü 中文',
        '😀',
        '\ud800 lone',
        'a\u2028b',
      ];
      for (const text of samples) {
        assert.equal(canonicalJson(text), JSON.stringify(text));
        assert.equal(canonicalJson({ [text]: text }), `{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
      }
    });
  });
});

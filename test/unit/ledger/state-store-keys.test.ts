import { strict as assert } from 'node:assert';
import { encodeVersion, encodeVersioned, StateStore } from '../../../node/src/ledger/embedded/state-store';

/**
 * The LevelDB key and value layout of the embedded ledger (see state-store.ts) must not change:
 * existing ledgers are read with it. The references build each key the plain way, piece by piece.
 */
describe('StateStore key and value layout', () => {
  const utf8 = (text: string) => Buffer.from(text, 'utf8');
  const version = (block: number, tx: number) => {
    const out = Buffer.alloc(12);
    out.writeBigUInt64BE(BigInt(block), 0);
    out.writeUInt32BE(tx, 8);
    return out;
  };
  const names = ['gnc', '', 'cc-é'];
  const keys = ['DEC-1', '', '\u0000declaration\u0000DEC-1\u0000', 'Zoll-Ä-東京', 'lone \ud800 surrogate'];
  const versions = [
    { block: 0, tx: 0 },
    { block: 17, tx: 499 },
    { block: 2 ** 40 + 5, tx: 2 ** 32 - 1 },
  ];

  it('public and private state keys: prefix byte, name, 0x00, key', () => {
    for (const name of names) {
      for (const key of keys) {
        assert.deepEqual(StateStore.stateKey(name, key), Buffer.concat([utf8('s' + name), Buffer.of(0), utf8(key)]));
        assert.deepEqual(StateStore.privateKey(name, key), Buffer.concat([utf8('p' + name), Buffer.of(0), utf8(key)]));
      }
    }
  });

  it('history keys: y, namespace, 0x00, key length (4 bytes), key, block (8 bytes), tx (4 bytes)', () => {
    for (const name of names) {
      for (const key of keys) {
        for (const v of versions) {
          const length = Buffer.alloc(4);
          length.writeUInt32BE(utf8(key).length);
          const expected = Buffer.concat([utf8('y' + name), Buffer.of(0), length, utf8(key), version(v.block, v.tx)]);
          assert.deepEqual(StateStore.historyKey(name, key, v), expected, `${name} ${key} ${v.block}`);
          assert.deepEqual(StateStore.historyPrefix(name, key), expected.subarray(0, expected.length - 12));
        }
      }
    }
  });

  it('versions and versioned values: block (8 bytes), tx (4 bytes), then the value', () => {
    for (const v of versions) {
      assert.deepEqual(encodeVersion(v), version(v.block, v.tx));
      for (const value of [Buffer.alloc(0), utf8('{"a":1}'), Buffer.alloc(70_000, 7)]) {
        assert.deepEqual(encodeVersioned(v, value), Buffer.concat([version(v.block, v.tx), value]));
      }
    }
  });
});

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  inclusionProof,
  leafHash,
  merkleRoot,
  merkleRootInSlices,
  verifyInclusion,
} from '../../../node/src/exchange/merkle';

const digest = (i: number) => createHash('sha256').update(`message ${i}`).digest();

describe('merkle', () => {
  describe('merkleRoot', () => {
    it('hashes a single leaf with the 0x00 prefix and pairs with 0x01', () => {
      assert.deepEqual(merkleRoot([digest(0)]), leafHash(digest(0)));
      const expected = createHash('sha256')
        .update(Buffer.from([1]))
        .update(leafHash(digest(0)))
        .update(leafHash(digest(1)))
        .digest();
      assert.deepEqual(merkleRoot([digest(0), digest(1)]), expected);
    });

    it('changes when any digest or their order changes', () => {
      const digests = Array.from({ length: 7 }, (_, i) => digest(i));
      const root = merkleRoot(digests);
      assert.notDeepEqual(merkleRoot([...digests].reverse()), root);
      assert.notDeepEqual(merkleRoot([...digests.slice(0, 6), digest(99)]), root);
      // An odd last leaf is promoted, not duplicated: appending a copy of it changes the root.
      assert.notDeepEqual(merkleRoot([...digests, digest(6)]), root);
    });

    it('hashes a digest of another length with the same prefix', () => {
      const short = Buffer.from('abc');
      assert.deepEqual(
        merkleRoot([short]),
        createHash('sha256')
          .update(Buffer.from([0]))
          .update(short)
          .digest(),
      );
    });
  });

  describe('merkleRootInSlices', () => {
    it('gives merkleRoot, for the empty tree and trees smaller and larger than a slice', async () => {
      for (const size of [0, 1, 2, 7, 511, 512, 513, 1500]) {
        const digests = Array.from({ length: size }, (_, i) => digest(i));
        assert.deepEqual(await merkleRootInSlices(digests), merkleRoot(digests), `size ${size}`);
      }
    });
  });

  describe('inclusionProof / verifyInclusion', () => {
    it('proves every leaf of trees of every size up to 33', () => {
      for (let size = 1; size <= 33; size++) {
        const digests = Array.from({ length: size }, (_, i) => digest(i));
        const root = merkleRoot(digests);
        for (let i = 0; i < size; i++) {
          const proof = inclusionProof(digests, i);
          assert.ok(verifyInclusion(digests[i]!, proof, root), `size ${size} leaf ${i}`);
        }
      }
    });

    it('rejects a proof for another digest, a wrong index, a changed or extra sibling', () => {
      const digests = Array.from({ length: 10 }, (_, i) => digest(i));
      const root = merkleRoot(digests);
      const proof = inclusionProof(digests, 3);
      assert.equal(verifyInclusion(digest(4), proof, root), false);
      assert.equal(verifyInclusion(digests[3]!, { ...proof, leafIndex: 2 }, root), false);
      const changed = [...proof.path];
      changed[0] = changed[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      assert.equal(verifyInclusion(digests[3]!, { ...proof, path: changed }, root), false);
      assert.equal(verifyInclusion(digests[3]!, { ...proof, path: [...proof.path, proof.path[0]!] }, root), false);
      assert.equal(verifyInclusion(digests[3]!, { ...proof, leafIndex: 10 }, root), false);
    });
  });
});

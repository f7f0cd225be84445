import { createHash } from 'node:crypto';

/**
 * The Merkle tree over message digests that AnchorBatch records: RFC 6962 (Certificate
 * Transparency) hashing, so leaves and inner nodes can never be confused (0x00 / 0x01
 * prefixes) and an odd node is promoted, not duplicated (no second-preimage trick with a
 * repeated last leaf). An inclusion proof is the list of sibling hashes from the leaf up.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(digest: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(digest).digest();
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The level above: pairs hashed together, an odd last node promoted as it is. */
function parentLevel(level: readonly Buffer[]): Buffer[] {
  const next: Buffer[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Buffer;
    const right = level[i + 1];
    next.push(right ? nodeHash(left, right) : left);
  }
  return next;
}

/** Root of the tree over `digests` (in order); the empty tree's root is SHA-256 of nothing. */
export function merkleRoot(digests: readonly Uint8Array[]): Buffer {
  if (digests.length === 0) return createHash('sha256').digest();
  let level = digests.map(leafHash);
  while (level.length > 1) level = parentLevel(level);
  return level[0] as Buffer;
}

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  /** Sibling hashes from the leaf's level upwards (hex). */
  path: string[];
}

/** The audit path of leaf `index` in the tree over `digests`. */
export function inclusionProof(digests: readonly Uint8Array[], index: number): InclusionProof {
  if (index < 0 || index >= digests.length)
    throw new RangeError(`leaf ${index} is outside a tree of ${digests.length}`);
  const path: string[] = [];
  let level = digests.map(leafHash);
  let position = index;
  while (level.length > 1) {
    const sibling = position % 2 === 0 ? level[position + 1] : level[position - 1];
    if (sibling) path.push(sibling.toString('hex'));
    level = parentLevel(level);
    position = Math.floor(position / 2);
  }
  return { leafIndex: index, treeSize: digests.length, path };
}

/** Recomputes the root from a digest and its proof; true when it equals `root`. */
export function verifyInclusion(digest: Uint8Array, proof: InclusionProof, root: Uint8Array): boolean {
  if (proof.leafIndex < 0 || proof.leafIndex >= proof.treeSize) return false;
  let hash = leafHash(digest);
  let position = proof.leafIndex;
  let size = proof.treeSize;
  let step = 0;
  while (size > 1) {
    const isRight = position % 2 === 1;
    const hasSibling = isRight || position + 1 < size;
    if (hasSibling) {
      const siblingHex = proof.path[step++];
      if (siblingHex === undefined || !/^[0-9a-f]{64}$/.test(siblingHex)) return false;
      const sibling = Buffer.from(siblingHex, 'hex');
      hash = isRight ? nodeHash(sibling, hash) : nodeHash(hash, sibling);
    }
    position = Math.floor(position / 2);
    size = Math.ceil(size / 2);
  }
  return step === proof.path.length && hash.equals(Buffer.from(root));
}

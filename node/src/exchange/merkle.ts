import { createHash, hash } from 'node:crypto';

/**
 * The Merkle tree over message digests that AnchorBatch records: RFC 6962 (Certificate
 * Transparency) hashing, so leaves and inner nodes can never be confused (0x00 / 0x01
 * prefixes) and an odd node is promoted, not duplicated (no second-preimage trick with a
 * repeated last leaf). An inclusion proof is the list of sibling hashes from the leaf up.
 */

const LEAF = 0;
const NODE = 1;

/**
 * The input of one hash: prefix byte then up to two 32-byte hashes, written in place and hashed
 * in one call (crypto.hash), where a Hash object with an update per part costs twice as much: a
 * node anchors a thousand digests a second, in a burst on its event loop.
 */
const input = Buffer.alloc(65);

export function leafHash(digest: Uint8Array): Buffer {
  if (digest.length !== 32) return createHash('sha256').update(Buffer.of(LEAF)).update(digest).digest();
  input[0] = LEAF;
  input.set(digest, 1);
  return hash('sha256', input.subarray(0, 33), 'buffer');
}

/** Inner nodes are always hashes of 32 bytes (leaf hashes, node hashes, proof paths checked as such). */
function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  input[0] = NODE;
  input.set(left, 1);
  input.set(right, 33);
  return hash('sha256', input, 'buffer');
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
  const steps = rootSteps(digests);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * merkleRoot, computed a slice of hashes at a time with the event loop let through between
 * slices: the anchorer roots a second's digests at once, which held the loop (and every message
 * waiting on it) for milliseconds.
 */
export async function merkleRootInSlices(digests: readonly Uint8Array[]): Promise<Buffer> {
  const steps = rootSteps(digests);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Hashes per slice of merkleRootInSlices: ~0.5 ms of work. */
const HASHES_PER_SLICE = 512;

/** The root's computation, pausing (yield) after every HASHES_PER_SLICE hashes. */
function* rootSteps(digests: readonly Uint8Array[]): Generator<void, Buffer> {
  if (digests.length === 0) return createHash('sha256').digest();
  let level: Buffer[] = [];
  for (let i = 0; i < digests.length; i += HASHES_PER_SLICE) {
    for (const digest of digests.slice(i, i + HASHES_PER_SLICE)) level.push(leafHash(digest));
    yield;
  }
  while (level.length > 1) {
    const next: Buffer[] = [];
    // Slices start at even positions, so no pair is split between two.
    for (let i = 0; i < level.length; i += 2 * HASHES_PER_SLICE) {
      next.push(...parentLevel(level.slice(i, i + 2 * HASHES_PER_SLICE)));
      yield;
    }
    level = next;
  }
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

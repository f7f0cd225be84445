/**
 * A Bloom filter over strings: `mightHave` is false only for a key never added, true for every
 * key added (and, rarely, for one that was not). The message store keeps one over the keys of
 * its dedupe index, so the lookup every inbound message needs (nearly always a miss) is made on
 * disk only when the filter says the id may be there: the index on disk stays the authority.
 * Its size is fixed when it is made; past the number of keys it was sized for, it answers "maybe"
 * more and more often, which costs reads, never correctness.
 */
export class KeyFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** Sized for about `expectedKeys` keys at a false-positive rate near 1% (10 bits a key, 7 probes). */
  constructor(expectedKeys: number) {
    const wanted = Math.max(1 << 20, expectedKeys * 10);
    // A power of two, so a probe is a mask, not a division; capped at 16 MiB of bits.
    const size = Math.min(2 ** 27, 2 ** Math.ceil(Math.log2(wanted)));
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < PROBES; i += 1) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  mightHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < PROBES; i += 1) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

const PROBES = 7;

/** Two independent 32-bit FNV-1a hashes of the key's UTF-16 code units (double hashing derives the probes). */
function hashes(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i += 1) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  // An odd step, so the probes of one key never collapse onto one bit.
  return [h1 >>> 0, (h2 | 1) >>> 0];
}

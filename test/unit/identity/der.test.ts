import { strict as assert } from 'node:assert';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import {
  P256_HALF_N,
  P256_N,
  derToLowSDer,
  encodeLowSSignature,
  p1363ToLowSDer,
  p1363ToLowSDerViaBigInt,
  parseEcdsaSignature,
} from '../../../node/src/identity/der';

const scalarBytes = (value: bigint) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
const raw = (r: bigint, s: bigint) => Buffer.concat([scalarBytes(r), scalarBytes(s)]);

/** A uniformly random scalar in [1, n), with its leading bytes zeroed `zeros` times. */
function randomScalar(zeros = 0): bigint {
  for (;;) {
    const bytes = randomBytes(32);
    bytes.fill(0, 0, zeros);
    const value = BigInt('0x' + bytes.toString('hex'));
    if (value > 0n && value < P256_N) return value;
  }
}

describe('p1363ToLowSDer', () => {
  it('gives the bytes of the BigInt conversion for 20,000 random signatures, high and low S, short and long scalars', () => {
    let flipped = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = raw(randomScalar(i % 5 === 0 ? (i % 3) + 1 : 0), randomScalar(i % 7 === 0 ? (i % 2) + 1 : 0));
      const expected = Buffer.from(p1363ToLowSDerViaBigInt(input));
      assert.deepEqual(Buffer.from(p1363ToLowSDer(input)), expected, input.toString('hex'));
      if (BigInt('0x' + input.subarray(32).toString('hex')) > P256_HALF_N) flipped += 1;
    }
    assert.ok(flipped > 5_000, 'about half the random S values are high');
  });

  it('gives the bytes of the BigInt conversion at the edges: S = n/2, n/2 + 1, n - 1, 1 and R = 1, 2^255', () => {
    const edges: Array<[bigint, bigint]> = [
      [1n, P256_HALF_N],
      [1n, P256_HALF_N + 1n],
      [P256_N - 1n, P256_N - 1n],
      [1n << 255n, 1n],
      [0x80n, 0x7fn],
      [(1n << 248n) - 1n, 0xffn << 200n],
    ];
    for (const [r, s] of edges) {
      const input = raw(r, s);
      assert.deepEqual(
        Buffer.from(p1363ToLowSDer(input)),
        Buffer.from(p1363ToLowSDerViaBigInt(input)),
        `r=${r} s=${s}`,
      );
    }
    const low = parseEcdsaSignature(p1363ToLowSDer(raw(1n, P256_HALF_N + 1n)));
    assert.equal(low?.s, P256_N - (P256_HALF_N + 1n));
  });

  it('turns real P-256 signatures into strict low-S DER that still verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 500; i++) {
      const message = randomBytes(64);
      const der = p1363ToLowSDer(sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      const parsed = parseEcdsaSignature(der);
      assert.ok(parsed && parsed.s <= P256_HALF_N);
      assert.ok(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der));
    }
  });

  it('refuses input that is not 64 bytes', () => {
    assert.throws(() => p1363ToLowSDer(new Uint8Array(63)), /64-byte/);
    assert.throws(() => p1363ToLowSDer(new Uint8Array(65)), /64-byte/);
  });
});

describe('derToLowSDer', () => {
  /** DER (r, s) as node:crypto writes it: minimal INTEGERs, S as it came (high or low). */
  const derOf = (r: bigint, s: bigint) => {
    const integer = (value: bigint) => {
      let hex = value.toString(16);
      if (hex.length % 2) hex = `0${hex}`;
      const bytes = Buffer.from(hex, 'hex');
      const content = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
      return Buffer.concat([Buffer.of(0x02, content.length), content]);
    };
    const body = Buffer.concat([integer(r), integer(s)]);
    return Buffer.concat([Buffer.of(0x30, body.length), body]);
  };

  it('gives the bytes of the BigInt conversion for 5,000 random signatures, high and low S, short and long scalars', () => {
    for (let i = 0; i < 5000; i++) {
      const r = randomScalar(i % 3);
      const s = randomScalar(i % 5 === 0 ? 1 : 0);
      assert.deepEqual(Buffer.from(derToLowSDer(derOf(r, s))), Buffer.from(encodeLowSSignature(r, s)));
    }
  });

  it('turns what node:crypto signs with a bare key into strict low-S DER that still verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let highS = 0;
    for (let i = 0; i < 500; i++) {
      const message = randomBytes(64);
      const signed = sign('sha256', message, privateKey);
      if ((parseEcdsaSignature(signed)?.s ?? 0n) > P256_HALF_N) highS++;
      const der = derToLowSDer(signed);
      const parsed = parseEcdsaSignature(der);
      assert.ok(parsed && parsed.s <= P256_HALF_N);
      assert.ok(verify('sha256', message, publicKey, der));
    }
    // Half of node:crypto's signatures have a high S: the conversion was exercised, not skipped.
    assert.ok(highS > 100, `only ${highS} of 500 signatures had a high S`);
  });

  it('refuses what is not a DER P-256 signature', () => {
    const good = derOf(randomScalar(), randomScalar());
    assert.throws(() => derToLowSDer(Buffer.concat([good, Buffer.of(0)])), /SEQUENCE/);
    assert.throws(() => derToLowSDer(Buffer.of(0x30, 0x03, 0x04, 0x01, 0x00)), /INTEGER/);
    assert.throws(() => derToLowSDer(derOf(1n << 300n, 1n)), /too long/);
    const withTrailer = Buffer.concat([good.subarray(2), Buffer.of(0x05, 0x00)]);
    assert.throws(() => derToLowSDer(Buffer.concat([Buffer.of(0x30, withTrailer.length), withTrailer])), /trailing/);
  });
});

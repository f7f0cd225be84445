import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { derToP1363, p1363ToDer, signP1363, verifyP1363 } from '../../../../adapters/security/ecdsa-signature';

describe('ECDSA r || s signatures (ecdsa-signature.ts)', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const data = Buffer.from('the signed bytes');

  it("signP1363 makes 64-byte P-256 signatures that node:crypto's ieee-p1363 form verifies", () => {
    for (let i = 0; i < 50; i++) {
      const signature = signP1363('sha256', data, p256.privateKey, 32);
      assert.equal(signature.length, 64);
      assert.ok(verify('sha256', data, { key: p256.publicKey, dsaEncoding: 'ieee-p1363' }, signature));
    }
  });

  it("verifyP1363 accepts node:crypto's ieee-p1363 signatures and refuses altered ones and other data", () => {
    for (let i = 0; i < 50; i++) {
      const signature = sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
      assert.ok(verifyP1363('sha256', data, p256.publicKey, signature));
      assert.equal(verifyP1363('sha256', Buffer.from('other bytes'), p256.publicKey, signature), false);
      const altered = Buffer.from(signature);
      altered[i % 64] = altered[i % 64]! ^ 0x01;
      assert.equal(verifyP1363('sha256', data, p256.publicKey, altered), false);
    }
  });

  it('handles the wider P-521 components (66 bytes, DER SEQUENCE in the long length form)', () => {
    for (let i = 0; i < 10; i++) {
      const signature = signP1363('sha512', data, p521.privateKey, 66);
      assert.equal(signature.length, 132);
      assert.ok(verify('sha512', data, { key: p521.publicKey, dsaEncoding: 'ieee-p1363' }, signature));
      assert.ok(verifyP1363('sha512', data, p521.publicKey, signature));
    }
  });

  it('converts components with a high bit, leading zeros and zero both ways, DER minimal', () => {
    const r = Buffer.alloc(32, 0);
    r[31] = 0x01; // 31 leading zero bytes
    const s = Buffer.alloc(32, 0xff); // high bit: needs a 00 sign byte in DER
    const der = p1363ToDer(Buffer.concat([r, s]));
    assert.equal(der.toString('hex'), `3026020101022100${'ff'.repeat(32)}`);
    assert.deepEqual(derToP1363(der, 32), Buffer.concat([r, s]));
    const zeros = p1363ToDer(Buffer.alloc(64));
    assert.equal(zeros.toString('hex'), '3006020100020100');
    assert.deepEqual(derToP1363(zeros, 32), Buffer.alloc(64));
  });

  it('refuses signatures of no, odd or oversize length as not verifying, without throwing', () => {
    const signature = signP1363('sha256', data, p256.privateKey, 32);
    assert.equal(verifyP1363('sha256', data, p256.publicKey, new Uint8Array(0)), false);
    assert.equal(verifyP1363('sha256', data, p256.publicKey, signature.subarray(0, 63)), false);
    assert.equal(verifyP1363('sha256', data, p256.publicKey, Buffer.alloc(134, 1)), false);
    // An all-zero r || s is well-formed DER (r = s = 0) that no key verifies.
    assert.equal(verifyP1363('sha256', data, p256.publicKey, Buffer.alloc(64)), false);
  });

  it('derToP1363 throws on what is not a DER ECDSA-Sig-Value', () => {
    assert.throws(() => derToP1363(Buffer.from('3103020100', 'hex'), 32), /not a DER SEQUENCE/);
    assert.throws(() => derToP1363(Buffer.from('300602010002', 'hex'), 32), /length/);
    assert.throws(() => derToP1363(Buffer.from('3006030100020100', 'hex'), 32), /not a DER INTEGER/);
    assert.throws(() => derToP1363(Buffer.from(`3026022101${'11'.repeat(32)}020100`, 'hex'), 32), /too long/);
  });
});

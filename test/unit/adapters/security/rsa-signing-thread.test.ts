import { strict as assert } from 'node:assert';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { signRsa, terminateRsaSigningThread } from '../../../../adapters/security/cms/rsa-signing-thread';

describe('RSA signing thread (CMS RSA signatures off the main thread)', function () {
  this.timeout(60_000);
  const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it("makes node:crypto's PKCS#1 v1.5 SHA-256 signature, byte for byte, for many requests and two keys at once", async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => ({
      data: randomBytes(20 + i * 7),
      key: i % 3 === 0 ? second : first,
    }));
    const signatures = await Promise.all(jobs.map((job) => signRsa(job.data, job.key.privateKey)));
    jobs.forEach((job, i) => {
      // PKCS#1 v1.5 is deterministic: the same key and bytes give the same signature.
      assert.deepEqual(signatures[i], sign('sha256', job.data, job.key.privateKey));
      assert.ok(verify('sha256', job.data, job.key.publicKey, signatures[i]));
    });
  });

  it('signs bytes that are a view into a larger buffer as exactly those bytes', async () => {
    const slab = randomBytes(8192);
    const view = slab.subarray(1000, 1100);
    assert.deepEqual(await signRsa(view, first.privateKey), sign('sha256', view, first.privateKey));
  });

  it('still answers every pending request when the thread ends under it, and starts another after', async () => {
    const data = Array.from({ length: 30 }, () => randomBytes(64));
    const pending = data.map((d) => signRsa(d, first.privateKey));
    // The batch leaves on the next turn; end the thread while it signs.
    await new Promise((resolve) => setImmediate(resolve));
    await terminateRsaSigningThread();
    const signatures = await Promise.all(pending);
    data.forEach((d, i) => assert.deepEqual(signatures[i], sign('sha256', d, first.privateKey)));
    const again = randomBytes(64);
    assert.deepEqual(await signRsa(again, second.privateKey), sign('sha256', again, second.privateKey));
  });

  it('rejects a key node:crypto cannot sign SHA-256 with, and goes on signing for the others', async () => {
    const ed25519 = generateKeyPairSync('ed25519');
    const data = randomBytes(32);
    const [bad, good] = await Promise.allSettled([signRsa(data, ed25519.privateKey), signRsa(data, first.privateKey)]);
    assert.equal(bad.status, 'rejected');
    assert.match(String(bad.reason), /RSA signature failed/);
    assert.equal(good.status, 'fulfilled');
    assert.deepEqual(good.value, sign('sha256', data, first.privateKey));
  });
});

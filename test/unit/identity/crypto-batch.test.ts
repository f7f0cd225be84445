import assert from 'node:assert/strict';
import {
  packJobs,
  packResults,
  unpackJobs,
  unpackResults,
  type CryptoControl,
  type CryptoJob,
  type CryptoResult,
} from '../../../node/src/identity/crypto-batch';

describe('crypto-batch', function () {
  describe('packJobs / unpackJobs', function () {
    it('carries sign, verify and endorse jobs and keys through one transferable byte area', function () {
      const keys: CryptoControl[] = [{ kind: 'key', keyId: 3, pem: '-----BEGIN PUBLIC KEY-----', type: 'public' }];
      // A message that is a view into a larger (pooled) buffer must arrive as just its bytes.
      const pooled = Buffer.from('xxxxhello proposalyyyy');
      const jobs: CryptoJob[] = [
        { kind: 'sign', id: 1, keyId: 2, message: pooled.subarray(4, 18) },
        { kind: 'verify', id: 2, keyId: 3, message: new Uint8Array([1, 2, 3]), signature: new Uint8Array([9, 8]) },
        { kind: 'sign', id: 3, keyId: 2, message: new Uint8Array(0) },
        {
          kind: 'endorse',
          id: 4,
          keyId: 5,
          creatorKeyId: 2,
          parts: {
            proposalResponsePayload: new Uint8Array([1]),
            endorser: new Uint8Array([2, 2]),
            channelHeader: pooled.subarray(0, 4),
            signatureHeader: new Uint8Array([4]),
            proposalPayloadForBlock: new Uint8Array(0),
          },
        },
      ];
      const { packed, transfer } = packJobs(keys, jobs);
      assert.deepEqual(
        transfer.map((b) => b.byteLength),
        [packed.records.buffer.byteLength, 14 + 3 + 2 + 1 + 2 + 4 + 1],
      );
      const back = structuredClone(packed, { transfer });
      assert.equal(packed.bytes.byteLength, 0, 'the byte area was moved, not copied');
      assert.deepEqual(back.keys, keys);
      assert.deepEqual(
        unpackJobs(back).map((job) =>
          job.kind === 'endorse'
            ? {
                ...job,
                parts: Object.fromEntries(
                  Object.entries(job.parts).map(([name, bytes]) => [name, Buffer.from(bytes).toString('hex')]),
                ),
              }
            : {
                ...job,
                message: Buffer.from(job.message).toString('hex'),
                ...(job.kind === 'verify' ? { signature: Buffer.from(job.signature).toString('hex') } : {}),
              },
        ),
        [
          { kind: 'sign', id: 1, keyId: 2, message: Buffer.from('hello proposal').toString('hex') },
          { kind: 'verify', id: 2, keyId: 3, message: '010203', signature: '0908' },
          { kind: 'sign', id: 3, keyId: 2, message: '' },
          {
            kind: 'endorse',
            id: 4,
            keyId: 5,
            creatorKeyId: 2,
            parts: {
              proposalResponsePayload: '01',
              endorser: '0202',
              channelHeader: Buffer.from('xxxx').toString('hex'),
              signatureHeader: '04',
              proposalPayloadForBlock: '',
            },
          },
        ],
      );
    });
  });

  describe('packResults / unpackResults', function () {
    it('carries signatures, signature pairs, verification outcomes and errors', function () {
      const results: CryptoResult[] = [
        { id: 7, signature: new Uint8Array([0x30, 0x44, 1]) },
        { id: 8, ok: true },
        { id: 9, ok: false },
        { id: 10, error: 'unknown key 4' },
        { id: 11, signature: new Uint8Array([0x30, 0x45]) },
        { id: 12, signature: new Uint8Array([0x30, 0x46]), transactionSignature: new Uint8Array([0x30, 0x47, 2]) },
      ];
      const { packed, transfer } = packResults(results);
      const back = unpackResults(structuredClone(packed, { transfer }));
      assert.deepEqual(
        back.map((r) =>
          r.signature
            ? {
                ...r,
                signature: [...r.signature],
                ...(r.transactionSignature ? { transactionSignature: [...r.transactionSignature] } : {}),
              }
            : r,
        ),
        [
          { id: 7, signature: [0x30, 0x44, 1] },
          { id: 8, ok: true },
          { id: 9, ok: false },
          { id: 10, error: 'unknown key 4' },
          { id: 11, signature: [0x30, 0x45] },
          { id: 12, signature: [0x30, 0x46], transactionSignature: [0x30, 0x47, 2] },
        ],
      );
    });
  });
});

/**
 * The thread of the crypto pool (crypto-pool.ts): signs and verifies ECDSA batches with keys it
 * was given once, so the main thread spends a message copy per operation instead of the
 * signature arithmetic. Loaded only as a worker_threads Worker.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { packResults, unpackJobs, type CryptoResult, type PackedJobs } from './crypto-batch';
import { p1363ToLowSDer } from './der';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (batch: PackedJobs) => {
  for (const item of batch.keys) {
    keys.set(item.keyId, item.type === 'private' ? createPrivateKey(item.pem) : createPublicKey(item.pem));
  }
  const results: CryptoResult[] = [];
  for (const item of unpackJobs(batch)) {
    const key = keys.get(item.keyId);
    if (!key) {
      results.push({ id: item.id, error: `unknown key ${item.keyId}` });
      continue;
    }
    try {
      if (item.kind === 'sign') {
        results.push({
          id: item.id,
          signature: p1363ToLowSDer(sign('sha256', item.message, { key, dsaEncoding: 'ieee-p1363' })),
        });
      } else {
        results.push({ id: item.id, ok: verify('sha256', item.message, { key, dsaEncoding: 'der' }, item.signature) });
      }
    } catch (error) {
      results.push({ id: item.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const { packed, transfer } = packResults(results);
  parentPort?.postMessage(packed, transfer);
});

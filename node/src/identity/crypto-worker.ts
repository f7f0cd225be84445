/**
 * The thread of the crypto pool (crypto-pool.ts): signs and verifies ECDSA batches with keys it
 * was given once, so the main thread spends a message copy per operation instead of the
 * signature arithmetic. Loaded only as a worker_threads Worker.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { p1363ToLowSDer } from './der';

export type CryptoJob =
  | { kind: 'sign'; id: number; keyId: number; message: Uint8Array }
  | { kind: 'verify'; id: number; keyId: number; message: Uint8Array; signature: Uint8Array };

export type CryptoControl = { kind: 'key'; keyId: number; pem: string; type: 'private' | 'public' };

export interface CryptoResult {
  id: number;
  signature?: Uint8Array;
  ok?: boolean;
  error?: string;
}

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (batch: Array<CryptoJob | CryptoControl>) => {
  const results: CryptoResult[] = [];
  for (const item of batch) {
    if (item.kind === 'key') {
      keys.set(item.keyId, item.type === 'private' ? createPrivateKey(item.pem) : createPublicKey(item.pem));
      continue;
    }
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
  parentPort?.postMessage(results);
});

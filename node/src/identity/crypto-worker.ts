/**
 * The thread of the crypto pool (crypto-pool.ts): signs and verifies ECDSA batches with keys it
 * was given once, so the main thread spends a message copy per operation instead of the
 * signature arithmetic. An endorse job signs twice in a row (the endorsement, then the Fabric
 * transaction payload that carries it), sparing its caller a second round trip. Loaded only as a
 * worker_threads Worker.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { writeEndorserTransactionPayload } from '../fabric/endorser-transaction';
import { ProtoWriter } from '../fabric/proto-writer';
import { packResults, unpackJobs, type CryptoResult, type PackedJobs } from './crypto-batch';
import { derToLowSDer } from './der';

const keys = new Map<number, KeyObject>();

/**
 * Where the messages of endorse jobs are put together before they are signed: one buffer for
 * the life of the worker rather than two of a few KiB per job, which the worker (allocating
 * little else) would only collect once their external memory ran into V8's limit.
 */
const scratch = new ProtoWriter(16 * 1024);

/** Low-S DER; the key goes to node:crypto bare (derToLowSDer in der.ts says why). */
function signLowS(key: KeyObject, message: Uint8Array): Uint8Array {
  return derToLowSDer(sign('sha256', message, key));
}

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
        results.push({ id: item.id, signature: signLowS(key, item.message) });
      } else if (item.kind === 'endorse') {
        const creatorKey = keys.get(item.creatorKeyId);
        if (!creatorKey) {
          results.push({ id: item.id, error: `unknown key ${item.creatorKeyId}` });
          continue;
        }
        const { parts } = item;
        const endorsed = scratch.reset().raw(parts.proposalResponsePayload).raw(parts.endorser).view();
        const endorsementSignature = signLowS(key, endorsed);
        const payload = writeEndorserTransactionPayload(scratch.reset(), { ...parts, endorsementSignature }).view();
        results.push({
          id: item.id,
          signature: endorsementSignature,
          transactionSignature: signLowS(creatorKey, payload),
        });
      } else {
        results.push({ id: item.id, ok: verify('sha256', item.message, key, item.signature) });
      }
    } catch (error) {
      results.push({ id: item.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const { packed, transfer } = packResults(results);
  parentPort?.postMessage(packed, transfer);
});

/**
 * The thread of rsa-signing-thread.ts: signs the batches it is given, one after another, with the
 * private keys it was given once. Loaded only as a worker_threads Worker.
 */
import { sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { SignBatch, SignedBatch } from './rsa-signing-thread';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (batch: SignBatch) => {
  for (const { keyId, key } of batch.keys) keys.set(keyId, key);
  const { keyIds, ends, bytes } = batch;
  const signatures: Uint8Array[] = [];
  const errors: Record<number, string> = {};
  let total = 0;
  for (let i = 0; i < keyIds.length; i++) {
    const start = i === 0 ? 0 : ends[i - 1]!;
    try {
      const key = keys.get(keyIds[i]!);
      if (!key) throw new Error(`unknown key ${keyIds[i]}`);
      signatures.push(sign('sha256', bytes.subarray(start, ends[i]), key));
    } catch (error) {
      signatures.push(new Uint8Array(0));
      errors[i] = error instanceof Error ? error.message : String(error);
    }
    total += signatures[i]!.byteLength;
  }
  const out = new Uint8Array(total);
  const outEnds = new Int32Array(signatures.length);
  let pos = 0;
  signatures.forEach((signature, i) => {
    out.set(signature, pos);
    pos += signature.byteLength;
    outEnds[i] = pos;
  });
  const answer: SignedBatch = { first: batch.first, ends: outEnds, bytes: out, errors };
  parentPort?.postMessage(answer, [out.buffer, outEnds.buffer]);
});

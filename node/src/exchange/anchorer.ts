import { randomUUID } from 'node:crypto';
import { asError } from '../errors';
import type { LedgerClient } from '../ledger/ledger-client';
import { inclusionProof, merkleRootInSlices, verifyInclusion, type InclusionProof } from './merkle';
import type { AnchorBatchRecord, MessageStore, PendingDigest } from './message-store';
import { digestOf } from './receipts';

/**
 * Anchoring: the digest of every message sent (once receipted) and received goes into a batch
 * per partner; the batch's Merkle root is recorded on the ledger with Anchor:AnchorBatch, so a
 * single message can later be proven part of the exchange (`gnc prove-message <id>`) without
 * writing every message to the ledger. The message store writes an exchanged message's digest
 * as pending in the same batch as the message itself (the exchange node then only tells the
 * anchorer, with `recorded`, that one more waits); a batch is durable before it is submitted, and
 * AnchorBatch is idempotent on the batch id, so a batch whose submission was cut short is simply
 * submitted again.
 */

export interface MessageProof {
  messageId: string;
  direction: 'in' | 'out';
  partnerId: string;
  digest: string;
  batchId: string;
  merkleRoot: string;
  proof: InclusionProof;
  anchor?: { txId: string; blockNumber: number };
}

export interface AnchorerOptions {
  store: MessageStore;
  /** A client acting as an officer of this administration. */
  ledger: LedgerClient;
  /** Submit a batch when this many digests wait for one partner... */
  maxBatch?: number;
  /** ...or this often. */
  intervalMs?: number;
  log?: (event: Record<string, unknown>) => void;
}

export class Anchorer {
  /** Digests handed to `add`, not yet written to the store. */
  private buffer: PendingDigest[] = [];
  /** Digests pending since the last flush began (added here or recorded by the store). */
  private waiting = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Batches whose submission failed in this run, submitted again at each flush. */
  private readonly retry = new Map<string, AnchorBatchRecord>();

  constructor(private readonly options: AnchorerOptions) {}

  async start(): Promise<void> {
    // What a previous run saved but did not see anchored goes first.
    for (const batch of await this.options.store.unanchoredBatches()) await this.submit(batch);
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Anchors what is pending and stops. A flush already under way took only the digests of its
   * start, so one more runs for what came during it; digests a failing store cannot take stay
   * buffered, and are reported, rather than looping here.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    await this.flush();
    if (this.buffer.length > 0) {
      this.options.log?.({ event: 'anchor-stop-unsaved', digests: this.buffer.length });
    }
  }

  /** Records a message digest for anchoring (the digest is of the bytes as sent or received). */
  add(event: { direction: 'in' | 'out'; partnerId: string; messageId: string; bytes: Uint8Array; at: number }): void {
    this.buffer.push({
      direction: event.direction,
      partnerId: event.partnerId,
      messageId: event.messageId,
      digest: digestOf(event.bytes).toString('hex'),
      at: event.at,
    });
    this.recorded();
  }

  /** One more digest is pending in the store (written there with its message): batch when enough wait. */
  recorded(): void {
    this.waiting += 1;
    if (this.waiting >= (this.options.maxBatch ?? 5000)) void this.flush();
  }

  /** Makes buffered digests durable, then batches and anchors everything pending. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      try {
        this.waiting = 0;
        for (const batch of [...this.retry.values()]) await this.submit(batch);
        const items = this.buffer;
        this.buffer = [];
        try {
          await this.options.store.addPendingDigests(items);
        } catch (error) {
          // Not durable: keep them for the next flush instead of dropping them.
          this.buffer = items.concat(this.buffer);
          throw error;
        }
        const pending = await this.options.store.pendingDigests();
        const byPartner = new Map<string, typeof pending>();
        for (const item of pending) {
          const items = byPartner.get(item.partnerId);
          if (items) items.push(item);
          else byPartner.set(item.partnerId, [item]);
        }
        for (const [partnerId, items] of byPartner) {
          const root = await merkleRootInSlices(items.map((i) => Buffer.from(i.digest, 'hex')));
          const batch: AnchorBatchRecord = {
            batchId: `batch-${randomUUID()}`,
            partnerId,
            merkleRoot: root.toString('hex'),
            leaves: items.map((i) => ({ direction: i.direction, messageId: i.messageId, digest: i.digest })),
            firstMessageAt: items.reduce((first, i) => Math.min(first, i.at), Infinity),
            lastMessageAt: items.reduce((last, i) => Math.max(last, i.at), -Infinity),
          };
          await this.options.store.saveAnchorBatch(batch, items);
          await this.submit(batch);
        }
      } catch (error) {
        this.options.log?.({ event: 'anchor-failed', message: asError(error).message });
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private async submit(batch: AnchorBatchRecord): Promise<void> {
    try {
      const submitted = await this.options.ledger.submit({
        contract: 'Anchor',
        name: 'AnchorBatch',
        args: [
          JSON.stringify({
            batchId: batch.batchId,
            merkleRoot: batch.merkleRoot,
            messageCount: batch.leaves.length,
            partnerId: batch.partnerId,
            firstMessageAt: new Date(batch.firstMessageAt).toISOString(),
            lastMessageAt: new Date(batch.lastMessageAt).toISOString(),
          }),
        ],
      });
      await this.options.store.markBatchAnchored(batch.batchId, {
        txId: submitted.txId,
        blockNumber: Number(submitted.blockNumber),
      });
      this.retry.delete(batch.batchId);
    } catch (error) {
      // Saved, not anchored: the next flush (or the next start) submits it again.
      this.retry.set(batch.batchId, batch);
      this.options.log?.({ event: 'anchor-submit-failed', batchId: batch.batchId, message: asError(error).message });
    }
  }

  /** The inclusion proof of one message's digest in its anchored batch. */
  prove(direction: 'in' | 'out', messageId: string): Promise<MessageProof | undefined> {
    return proveMessage(this.options.store, direction, messageId);
  }
}

/** The inclusion proof of one message's digest in its batch, from the store alone (no ledger needed). */
export async function proveMessage(
  store: MessageStore,
  direction: 'in' | 'out',
  messageId: string,
): Promise<MessageProof | undefined> {
  const found = await store.anchorOf(direction, messageId);
  if (!found) return undefined;
  const { batch, index } = found;
  const digests = batch.leaves.map((l) => Buffer.from(l.digest, 'hex'));
  const proof = inclusionProof(digests, index);
  const leaf = batch.leaves[index];
  if (!leaf || !verifyInclusion(Buffer.from(leaf.digest, 'hex'), proof, Buffer.from(batch.merkleRoot, 'hex'))) {
    throw new Error(`stored batch ${batch.batchId} does not reproduce its own root`);
  }
  return {
    messageId,
    direction,
    partnerId: batch.partnerId,
    digest: leaf.digest,
    batchId: batch.batchId,
    merkleRoot: batch.merkleRoot,
    proof,
    ...(batch.anchor ? { anchor: batch.anchor } : {}),
  };
}

import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES } from '../access';
import { conflict } from '../contract-error';
import { emitJson, readJson, readRecord, recordKey, txTime, writeRecord } from '../ledger-state';
import { AnchorInput, MessageAnchor } from '../models/anchor';
import { canonicalJson, parseJsonArgument } from '../serializer';
import { checkId } from '../validation';

/** Anchors of exchanged message batches (a Merkle root over message digests); idempotent on batch id. */
@Info({ title: 'Anchor', description: 'Merkle-root anchors of exchanged message batches' })
export class AnchorContract extends Contract {
  constructor() {
    super('Anchor');
  }

  @Transaction()
  @Returns('string')
  async AnchorBatch(ctx: Context, batch: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'anchor a message batch');
    const input = AnchorInput.from(parseJsonArgument(batch, 'batch'));
    const existingJson = await readJson(ctx, recordKey(ctx, 'anchor', input.batchId));
    if (existingJson !== undefined) {
      const existing = MessageAnchor.from(existingJson);
      const existingInput = AnchorInput.from({
        batchId: existing.batchId,
        merkleRoot: existing.merkleRoot,
        messageCount: existing.messageCount,
        partnerId: existing.partnerId,
        firstMessageAt: existing.firstMessageAt,
        lastMessageAt: existing.lastMessageAt,
      });
      if (canonicalJson(existingInput) !== canonicalJson(input)) {
        throw conflict(`batch ${input.batchId} is already anchored with different content`);
      }
      return canonicalJson(existing);
    }
    const record: MessageAnchor = Object.assign(new MessageAnchor(), input, {
      docType: 'anchor' as const,
      anchoredByMsp: caller.mspId,
      anchoredAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    });
    const json = await writeRecord(ctx, 'anchor', record.batchId, record);
    emitJson(ctx, 'BatchAnchored', json);
    return json;
  }

  @Transaction(false)
  @Returns('string')
  async GetAnchor(ctx: Context, batchId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read anchors');
    checkId(batchId, 'batchId');
    return canonicalJson(await readRecord(ctx, 'anchor', batchId, (json) => MessageAnchor.from(json), 'batch'));
  }
}

import { createHash } from 'node:crypto';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES, requireOwner, type Caller } from '../access';
import {
  commitmentsOf,
  fieldCommitment,
  readConfidentialInput,
  type ConfidentialInput,
  type PrivateDeclarationRecord,
} from '../confidential';
import { conflict, invalidArgument, notFound, preconditionFailed } from '../contract-error';
import {
  deleteIndex,
  emitJson,
  INDEX,
  indexedIds,
  putIndex,
  readJson,
  recordKey,
  txTime,
  writeRecord,
} from '../ledger-state';
import {
  DECLARATION_STATUSES,
  Declaration,
  DeclarationContent,
  LANES,
  Payment,
  type DeclarationStatus,
} from '../models/declaration';
import { canonicalBytes, canonicalJson, parseJsonArgument } from '../serializer';
import { requireState } from '../transitions';
import { amountToMilli, checkId, checkString, milliToAmount } from '../validation';

/** Where each action may happen (see chaincode/README.md for the diagram). */
export const DECLARATION_TRANSITIONS = {
  Amend: ['LODGED', 'LANE_ASSIGNED'],
  AssignLane: ['LODGED', 'LANE_ASSIGNED'],
  Release: ['LANE_ASSIGNED'],
  AssessDuty: ['RELEASED'],
  RecordPayment: ['DUTY_ASSESSED'],
  Close: ['RELEASED', 'DUTY_ASSESSED', 'PAID'],
  Reject: ['LODGED', 'LANE_ASSIGNED'],
  Cancel: ['LODGED', 'LANE_ASSIGNED'],
} as const satisfies Record<string, readonly DeclarationStatus[]>;

type DeclarationAction = keyof typeof DECLARATION_TRANSITIONS;

/** Flags whose presence blocks Release until a CONFORMING inspection clears them. */
export const SEAL_BROKEN_FLAG = 'SEAL_BROKEN:';

/**
 * Customs declarations: one-off declaration, phased disposal. A single window lodges for a
 * trader; officers of the same administration (MSP) assign the risk lane, release the goods
 * (the legality decision), assess duty and close; payments are recorded by the single window.
 */
@Info({ title: 'Declaration', description: 'Customs declarations and their lifecycle' })
export class DeclarationContract extends Contract {
  constructor() {
    super('Declaration');
  }

  /**
   * Lodges a declaration (idempotent on its id). Confidential fields come in transient
   * 'confidential'; only their salted hashes reach public state.
   */
  @Transaction()
  @Returns('string')
  async Lodge(ctx: Context, declaration: string): Promise<string> {
    const caller = authorize(ctx, ['single-window'], 'lodge a declaration');
    const content = DeclarationContent.from(parseJsonArgument(declaration, 'declaration'));
    const confidential = readConfidentialInput(ctx, content.goodsItems.length);
    const contentHash = hashOf(content);
    const hashes = confidential ? commitmentsOf(confidential.fields) : undefined;

    const existingJson = await readJson(ctx, recordKey(ctx, 'declaration', content.id));
    if (existingJson !== undefined) {
      const existing = Declaration.from(existingJson);
      const same =
        existing.contentHash === contentHash &&
        canonicalJson(existing.confidentialFieldHashes ?? null) === canonicalJson(hashes ?? null) &&
        (existing.collection ?? null) === (confidential?.collection ?? null);
      if (!same) {
        throw conflict(`declaration ${content.id} already exists with different content`);
      }
      return canonicalJson(existing);
    }

    const now = txTime(ctx);
    const record: Declaration = Object.assign(new Declaration(), content, {
      docType: 'declaration' as const,
      status: 'LODGED' as const,
      amendment: 0,
      contentHash,
      flags: [],
      payments: [],
      ownerMsp: caller.mspId,
      lodgedAt: now,
      updatedAt: now,
      lastTxId: ctx.stub.getTxID(),
    });
    await this.writeConfidential(ctx, record, confidential);
    const json = await saveDeclaration(ctx, undefined, record);
    emitJson(ctx, 'DeclarationLodged', json);
    return json;
  }

  /**
   * Replaces the content before release. The declaration goes back to LODGED and its lane is
   * cleared: risk must be assessed again on the new content. Confidential fields are replaced
   * when transient 'confidential' is sent, kept otherwise.
   */
  @Transaction()
  @Returns('string')
  async Amend(ctx: Context, declarationId: string, declaration: string): Promise<string> {
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['single-window'], 'Amend');
    const content = DeclarationContent.from(parseJsonArgument(declaration, 'declaration'));
    if (content.id !== record.id) {
      throw invalidArgument(`declaration.id '${content.id}' does not match declarationId '${record.id}'`);
    }
    const confidential = readConfidentialInput(ctx, content.goodsItems.length);
    if (!confidential) {
      for (const path of Object.keys(record.confidentialFieldHashes ?? {})) {
        const index = /^goodsItems\[(\d+)\]/.exec(path)?.[1];
        if (index !== undefined && Number(index) >= content.goodsItems.length) {
          throw invalidArgument(
            `confidential field ${path} names a goods item the amendment removes; send transient 'confidential' again`,
          );
        }
      }
    }
    // every content field is an own property of `content` (undefined when absent), so this
    // also drops optional content the amendment no longer has
    const next: Declaration = Object.assign(record, content, {
      status: 'LODGED' as const,
      lane: undefined,
      amendment: record.amendment + 1,
      contentHash: hashOf(content),
    });
    if (confidential) await this.writeConfidential(ctx, next, confidential);
    return this.commit(ctx, before, next, 'DeclarationAmended');
  }

  /** Assigns (or re-assigns, before release) the risk lane: GREEN, YELLOW or RED. */
  @Transaction()
  @Returns('string')
  async AssignLane(ctx: Context, declarationId: string, lane: string): Promise<string> {
    const checkedLane = checkString(lane, 'lane', { allowed: LANES }) as (typeof LANES)[number];
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['officer'], 'AssignLane');
    record.lane = checkedLane;
    record.status = 'LANE_ASSIGNED';
    return this.commit(ctx, before, record, 'DeclarationLaneAssigned');
  }

  /**
   * Releases the goods (the legality decision; duty may still be open). Refused while a flag is
   * active (e.g. a broken seal), when the latest inspection is not CONFORMING, and on the red
   * lane without any inspection.
   */
  @Transaction()
  @Returns('string')
  async Release(ctx: Context, declarationId: string): Promise<string> {
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['officer'], 'Release');
    if (record.flags.length > 0) {
      throw preconditionFailed(
        `declaration ${record.id} is flagged (${record.flags.join(', ')}); a CONFORMING inspection must clear it before release`,
      );
    }
    const last = record.lastInspection;
    if (record.lane === 'RED' && !last) {
      throw preconditionFailed(`declaration ${record.id} is on the RED lane; it needs a CONFORMING inspection first`);
    }
    if (last && last.verdict !== 'CONFORMING') {
      throw preconditionFailed(
        `declaration ${record.id}: the latest inspection ${last.inspectionId} is ${last.verdict}; release needs a CONFORMING one`,
      );
    }
    record.status = 'RELEASED';
    return this.commit(ctx, before, record, 'DeclarationReleased');
  }

  /** Assesses the duty after release; an amount of 0 means nothing is due (Close may follow). */
  @Transaction()
  @Returns('string')
  async AssessDuty(ctx: Context, declarationId: string, amount: string, currency: string): Promise<string> {
    checkString(amount, 'amount', { format: 'amount' });
    checkString(currency, 'currency', { format: 'currency' });
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['officer'], 'AssessDuty');
    record.duty = { amount: milliToAmount(amountToMilli(amount)), currency, assessedAt: txTime(ctx) };
    record.status = 'DUTY_ASSESSED';
    return this.commit(ctx, before, record, 'DutyAssessed');
  }

  /** Records a payment of assessed duty; the declaration becomes PAID once nothing is outstanding. */
  @Transaction()
  @Returns('string')
  async RecordPayment(
    ctx: Context,
    declarationId: string,
    amount: string,
    currency: string,
    reference: string,
  ): Promise<string> {
    const payment = Payment.from({ amount, currency, reference, paidAt: '1970-01-01T00:00:00Z' }, 'payment');
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['single-window'], 'RecordPayment');
    const duty = record.duty;
    if (!duty) throw preconditionFailed(`declaration ${record.id} has no duty assessment`);
    if (payment.currency !== duty.currency) {
      throw invalidArgument(`currency ${payment.currency} differs from the assessed duty currency ${duty.currency}`);
    }
    const paid = amountToMilli(payment.amount);
    if (paid <= 0n) throw invalidArgument('amount must be greater than 0');
    if (record.payments.some((p) => p.reference === payment.reference)) {
      throw conflict(`payment ${payment.reference} is already recorded on declaration ${record.id}`);
    }
    const outstanding = outstandingOf(record);
    if (paid > outstanding) {
      throw preconditionFailed(
        `payment of ${payment.amount} ${payment.currency} exceeds the outstanding ${milliToAmount(outstanding)} ${duty.currency}`,
      );
    }
    record.payments = [...record.payments, { ...payment, paidAt: txTime(ctx) }];
    if (outstandingOf(record) === 0n) record.status = 'PAID';
    return this.commit(ctx, before, record, 'PaymentRecorded');
  }

  /** Closes a released declaration once no duty is outstanding (none assessed, zero, or paid). */
  @Transaction()
  @Returns('string')
  async Close(ctx: Context, declarationId: string): Promise<string> {
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['officer'], 'Close');
    if (record.status === 'DUTY_ASSESSED' && outstandingOf(record) > 0n) {
      throw preconditionFailed(
        `declaration ${record.id} has ${milliToAmount(outstandingOf(record))} ${record.duty?.currency ?? ''} duty outstanding`,
      );
    }
    record.status = 'CLOSED';
    return this.commit(ctx, before, record, 'DeclarationClosed');
  }

  /** Rejects a declaration before release (terminal). */
  @Transaction()
  @Returns('string')
  async Reject(ctx: Context, declarationId: string, reason: string): Promise<string> {
    checkString(reason, 'reason', { maxLength: 1024 });
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['officer'], 'Reject');
    record.status = 'REJECTED';
    record.reason = reason;
    return this.commit(ctx, before, record, 'DeclarationRejected');
  }

  /** Cancels a declaration at the trader's request before release (terminal). */
  @Transaction()
  @Returns('string')
  async Cancel(ctx: Context, declarationId: string, reason: string): Promise<string> {
    checkString(reason, 'reason', { maxLength: 1024 });
    const { record, before } = await this.forChangeWithBefore(ctx, declarationId, ['single-window'], 'Cancel');
    record.status = 'CANCELLED';
    record.reason = reason;
    return this.commit(ctx, before, record, 'DeclarationCancelled');
  }

  /** The public record. */
  @Transaction(false)
  @Returns('string')
  async GetDeclaration(ctx: Context, declarationId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read declarations');
    return canonicalJson(await loadDeclaration(ctx, declarationId));
  }

  /** Declarations in one status, by id. */
  @Transaction(false)
  @Returns('string')
  async ListDeclarationsByStatus(ctx: Context, status: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read declarations');
    checkString(status, 'status', { allowed: DECLARATION_STATUSES });
    const ids = await indexedIds(ctx, INDEX.declarationByStatus, [status]);
    return canonicalJson(await Promise.all(ids.map((id) => loadDeclaration(ctx, id))));
  }

  /** Declarations naming the trader as declarant, exporter or importer, by id. */
  @Transaction(false)
  @Returns('string')
  async ListDeclarationsByTrader(ctx: Context, traderId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read declarations');
    checkId(traderId, 'traderId', 'identifier');
    const ids = await indexedIds(ctx, INDEX.declarationByTrader, [traderId]);
    return canonicalJson(await Promise.all(ids.map((id) => loadDeclaration(ctx, id))));
  }

  /** The private record (values and salts); officers and single windows of collection members. */
  @Transaction(false)
  @Returns('string')
  async GetConfidential(ctx: Context, declarationId: string): Promise<string> {
    authorize(ctx, ['officer', 'single-window'], 'read confidential declaration data');
    const record = await loadDeclaration(ctx, declarationId);
    if (!record.collection) throw notFound(`declaration ${record.id} has no confidential fields`);
    const bytes = await ctx.stub.getPrivateData(record.collection, recordKey(ctx, 'declaration', record.id));
    if (!bytes || bytes.length === 0) {
      throw notFound(`no private data for declaration ${record.id} in collection ${record.collection}`);
    }
    return canonicalJson(JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown);
  }

  /** The hash Fabric keeps of the private record (readable by non-members of the collection). */
  @Transaction(false)
  @Returns('string')
  async GetConfidentialHash(ctx: Context, declarationId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read declarations');
    const record = await loadDeclaration(ctx, declarationId);
    if (!record.collection) throw notFound(`declaration ${record.id} has no confidential fields`);
    const hash = await ctx.stub.getPrivateDataHash(record.collection, recordKey(ctx, 'declaration', record.id));
    if (!hash || hash.length === 0) {
      throw notFound(`no private data hash for declaration ${record.id} in collection ${record.collection}`);
    }
    return canonicalJson({
      declarationId: record.id,
      collection: record.collection,
      hash: Buffer.from(hash).toString('hex'),
    });
  }

  /**
   * Checks a disclosed field (its value as JSON and its salt) against the public hash; needs no
   * access to private data. Answers true or false.
   */
  @Transaction(false)
  @Returns('string')
  async VerifyDisclosure(
    ctx: Context,
    declarationId: string,
    fieldPath: string,
    value: string,
    salt: string,
  ): Promise<string> {
    authorize(ctx, READ_ROLES, 'read declarations');
    checkString(fieldPath, 'fieldPath', { maxLength: 128 });
    checkString(salt, 'salt', { format: 'salt', maxLength: 256 });
    const parsed = parseJsonArgument(value, 'value');
    const record = await loadDeclaration(ctx, declarationId);
    const expected = record.confidentialFieldHashes?.[fieldPath];
    return canonicalJson(expected !== undefined && expected === fieldCommitment(salt, parsed));
  }

  private async writeConfidential(
    ctx: Context,
    record: Declaration,
    confidential: ConfidentialInput | undefined,
  ): Promise<void> {
    if (!confidential) return;
    const privateRecord: PrivateDeclarationRecord = {
      declarationId: record.id,
      collection: confidential.collection,
      fields: confidential.fields,
    };
    if (record.collection && record.collection !== confidential.collection) {
      await ctx.stub.deletePrivateData(record.collection, recordKey(ctx, 'declaration', record.id));
    }
    await ctx.stub.putPrivateData(
      confidential.collection,
      recordKey(ctx, 'declaration', record.id),
      canonicalBytes(privateRecord),
    );
    record.collection = confidential.collection;
    record.confidentialFieldHashes = commitmentsOf(confidential.fields);
  }

  private async forChange(
    ctx: Context,
    declarationId: string,
    roles: Parameters<typeof authorize>[1],
    action: DeclarationAction,
  ): Promise<{ caller: Caller; record: Declaration }> {
    const caller = authorize(ctx, roles, `${action} a declaration`);
    checkId(declarationId, 'declarationId');
    const record = await loadDeclaration(ctx, declarationId);
    requireOwner(caller, record.ownerMsp, `declaration ${record.id}`, action);
    requireState(`declaration ${record.id}`, record.status, DECLARATION_TRANSITIONS[action], action);
    return { caller, record };
  }

  private async forChangeWithBefore(
    ctx: Context,
    declarationId: string,
    roles: Parameters<typeof authorize>[1],
    action: DeclarationAction,
  ): Promise<{ caller: Caller; record: Declaration; before: Declaration }> {
    const { caller, record } = await this.forChange(ctx, declarationId, roles, action);
    return { caller, record, before: Declaration.from(JSON.parse(canonicalJson(record))) };
  }

  private async commit(ctx: Context, before: Declaration, after: Declaration, eventName: string): Promise<string> {
    after.updatedAt = txTime(ctx);
    after.lastTxId = ctx.stub.getTxID();
    const json = await saveDeclaration(ctx, before, after);
    emitJson(ctx, eventName, json);
    return json;
  }
}

export async function loadDeclaration(ctx: Context, declarationId: string): Promise<Declaration> {
  checkId(declarationId, 'declarationId');
  const json = await readJson(ctx, recordKey(ctx, 'declaration', declarationId));
  if (json === undefined) throw notFound(`declaration ${declarationId} does not exist`);
  return Declaration.from(json);
}

/**
 * Writes the record and keeps the status and trader indexes in step with it; resolves to the
 * canonical JSON written.
 */
export async function saveDeclaration(
  ctx: Context,
  before: Declaration | undefined,
  after: Declaration,
): Promise<string> {
  const json = await writeRecord(ctx, 'declaration', after.id, after);
  if (before?.status !== after.status) {
    if (before) await deleteIndex(ctx, INDEX.declarationByStatus, [before.status, before.id]);
    await putIndex(ctx, INDEX.declarationByStatus, [after.status, after.id]);
  }
  const oldTraders = before ? DeclarationContent.traderIds(before) : [];
  const newTraders = DeclarationContent.traderIds(after);
  for (const trader of oldTraders) {
    if (!newTraders.includes(trader)) await deleteIndex(ctx, INDEX.declarationByTrader, [trader, after.id]);
  }
  for (const trader of newTraders) {
    if (!oldTraders.includes(trader)) await putIndex(ctx, INDEX.declarationByTrader, [trader, after.id]);
  }
  return json;
}

function outstandingOf(record: Declaration): bigint {
  if (!record.duty) return 0n;
  const paid = record.payments.reduce((sum, p) => sum + amountToMilli(p.amount), 0n);
  return amountToMilli(record.duty.amount) - paid;
}

function hashOf(content: DeclarationContent): string {
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES } from '../access';
import { conflict } from '../contract-error';
import { emitJson, readJson, readRecord, recordKey, txTime, writeRecord } from '../ledger-state';
import { Declaration } from '../models/declaration';
import {
  CustodyEvent,
  SEAL_CHECK_RESULTS,
  Seal,
  SealInput,
  SealObservation,
  type CustodyEventType,
  type SealCheckResult,
} from '../models/seal';
import { canonicalJson, parseJsonArgument } from '../serializer';
import { requireState } from '../transitions';
import { checkId, checkString } from '../validation';
import { loadDeclaration, saveDeclaration, SEAL_BROKEN_FLAG } from './declaration-contract';

/**
 * Electronic seals and their custody: AFFIXED -> (checked INTACT: stays AFFIXED) ->
 * BROKEN -> REMOVED. Officers of any customs administration may record seal events. A BROKEN
 * check flags the linked declaration 'SEAL_BROKEN:<sealId>', which blocks its release until a
 * CONFORMING inspection of it is recorded.
 */
@Info({ title: 'Seal', description: 'Electronic seal custody events' })
export class SealContract extends Contract {
  constructor() {
    super('Seal');
  }

  @Transaction()
  @Returns('string')
  async AffixSeal(ctx: Context, seal: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'affix a seal');
    const input = SealInput.from(parseJsonArgument(seal, 'seal'));
    if ((await readJson(ctx, recordKey(ctx, 'seal', input.sealId))) !== undefined) {
      throw conflict(`seal ${input.sealId} is already registered (seal ids are single-use)`);
    }
    if (input.declarationId !== undefined) await loadDeclaration(ctx, input.declarationId);
    const now = txTime(ctx);
    const record: Seal = Object.assign(new Seal(), {
      docType: 'seal' as const,
      sealId: input.sealId,
      containerId: input.containerId,
      declarationId: input.declarationId,
      status: 'AFFIXED' as const,
      custody: [custodyEvent(ctx, 'AFFIXED', input, caller.mspId, now)],
      affixedByMsp: caller.mspId,
      updatedAt: now,
    });
    const json = await writeRecord(ctx, 'seal', record.sealId, record);
    emitJson(ctx, 'SealAffixed', json);
    return json;
  }

  /** Records a reading of the seal: INTACT, or BROKEN (which flags the linked declaration). */
  @Transaction()
  @Returns('string')
  async CheckSeal(ctx: Context, sealId: string, result: string, observation: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'check a seal');
    const checked = checkString(result, 'result', { allowed: SEAL_CHECK_RESULTS }) as SealCheckResult;
    const seen = SealObservation.from(parseJsonArgument(observation, 'observation'));
    const record = await loadSeal(ctx, sealId);
    requireState(`seal ${record.sealId}`, record.status, ['AFFIXED'], 'CheckSeal');
    const now = txTime(ctx);
    const type: CustodyEventType = checked === 'BROKEN' ? 'CHECKED_BROKEN' : 'CHECKED_INTACT';
    record.custody = [...record.custody, custodyEvent(ctx, type, seen, caller.mspId, now)];
    record.updatedAt = now;
    if (checked === 'BROKEN') {
      record.status = 'BROKEN';
      if (record.declarationId !== undefined) {
        const declaration = await loadDeclaration(ctx, record.declarationId);
        const flag = `${SEAL_BROKEN_FLAG}${record.sealId}`;
        if (!declaration.flags.includes(flag)) {
          const before = Declaration.from(JSON.parse(canonicalJson(declaration)));
          declaration.flags = [...declaration.flags, flag].sort();
          declaration.updatedAt = now;
          declaration.lastTxId = ctx.stub.getTxID();
          await saveDeclaration(ctx, before, declaration);
        }
      }
    }
    const json = await writeRecord(ctx, 'seal', record.sealId, record);
    emitJson(ctx, 'SealChecked', json);
    return json;
  }

  @Transaction()
  @Returns('string')
  async RemoveSeal(ctx: Context, sealId: string, observation: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'remove a seal');
    const seen = SealObservation.from(parseJsonArgument(observation, 'observation'));
    const record = await loadSeal(ctx, sealId);
    requireState(`seal ${record.sealId}`, record.status, ['AFFIXED', 'BROKEN'], 'RemoveSeal');
    const now = txTime(ctx);
    record.status = 'REMOVED';
    record.custody = [...record.custody, custodyEvent(ctx, 'REMOVED', seen, caller.mspId, now)];
    record.updatedAt = now;
    const json = await writeRecord(ctx, 'seal', record.sealId, record);
    emitJson(ctx, 'SealRemoved', json);
    return json;
  }

  @Transaction(false)
  @Returns('string')
  async GetSeal(ctx: Context, sealId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read seals');
    return canonicalJson(await loadSeal(ctx, sealId));
  }
}

async function loadSeal(ctx: Context, sealId: string): Promise<Seal> {
  checkId(sealId, 'sealId', 'seal');
  return readRecord(ctx, 'seal', sealId, (json) => Seal.from(json));
}

function custodyEvent(
  ctx: Context,
  type: CustodyEventType,
  seen: SealObservation,
  mspId: string,
  at: string,
): CustodyEvent {
  return Object.assign(new CustodyEvent(), {
    type,
    site: seen.site,
    deviceId: seen.deviceId,
    remarks: seen.remarks,
    mspId,
    at,
    txId: ctx.stub.getTxID(),
  });
}

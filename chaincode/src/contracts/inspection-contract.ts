import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES } from '../access';
import { compareDeclaredWithDetected } from '../comparison';
import { conflict } from '../contract-error';
import {
  emitJson,
  INDEX,
  indexedIds,
  putIndex,
  readJson,
  readRecord,
  recordKey,
  txTime,
  writeRecord,
} from '../ledger-state';
import { Declaration, InspectionSummary } from '../models/declaration';
import { Inspection, InspectionInput } from '../models/inspection';
import { canonicalJson, parseJsonArgument } from '../serializer';
import { checkId } from '../validation';
import { loadDeclaration, saveDeclaration, SEAL_BROKEN_FLAG } from './declaration-contract';

/**
 * Inspections (scans and physical examinations). Officers of any customs administration may
 * record one (mutual recognition of controls); the declared-versus-detected comparison is
 * computed here. An inspection of a declaration becomes that declaration's `lastInspection`,
 * and a CONFORMING one clears its SEAL_BROKEN flags.
 */
@Info({ title: 'Inspection', description: 'Inspections, scan findings and declared-versus-detected comparison' })
export class InspectionContract extends Contract {
  constructor() {
    super('Inspection');
  }

  /** Records an inspection; idempotent on its id (same input again returns the record, no event). */
  @Transaction()
  @Returns('string')
  async RecordInspection(ctx: Context, inspection: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'record an inspection');
    const input = InspectionInput.from(parseJsonArgument(inspection, 'inspection'));

    const existingJson = await readJson(ctx, recordKey(ctx, 'inspection', input.id));
    if (existingJson !== undefined) {
      const existing = Inspection.from(existingJson);
      if (canonicalJson(inputPartOf(existing)) !== canonicalJson(input)) {
        throw conflict(`inspection ${input.id} already exists with different content`);
      }
      return canonicalJson(existing);
    }

    const now = txTime(ctx);
    const txId = ctx.stub.getTxID();
    const record: Inspection = Object.assign(new Inspection(), input, {
      docType: 'inspection' as const,
      clearedFlags: [] as string[],
      recordedByMsp: caller.mspId,
      recordedAt: now,
      txId,
    });

    if (input.declarationId !== undefined) {
      const declaration = await loadDeclaration(ctx, input.declarationId);
      const before = Declaration.from(JSON.parse(canonicalJson(declaration)));
      record.comparison = compareDeclaredWithDetected(declaration.goodsItems, input.findings);
      declaration.lastInspection = Object.assign(new InspectionSummary(), {
        inspectionId: input.id,
        verdict: input.verdict,
        mspId: caller.mspId,
        recordedAt: now,
      });
      if (input.verdict === 'CONFORMING') {
        record.clearedFlags = declaration.flags.filter((flag) => flag.startsWith(SEAL_BROKEN_FLAG));
        declaration.flags = declaration.flags.filter((flag) => !flag.startsWith(SEAL_BROKEN_FLAG));
      }
      declaration.updatedAt = now;
      declaration.lastTxId = txId;
      await saveDeclaration(ctx, before, declaration);
      await putIndex(ctx, INDEX.inspectionByDeclaration, [input.declarationId, input.id]);
    }

    const json = await writeRecord(ctx, 'inspection', record.id, record);
    emitJson(ctx, 'InspectionRecorded', json);
    return json;
  }

  @Transaction(false)
  @Returns('string')
  async GetInspection(ctx: Context, inspectionId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read inspections');
    checkId(inspectionId, 'inspectionId');
    return canonicalJson(await readRecord(ctx, 'inspection', inspectionId, (json) => Inspection.from(json)));
  }

  /** Every inspection of one declaration, by inspection id. */
  @Transaction(false)
  @Returns('string')
  async ListInspectionsByDeclaration(ctx: Context, declarationId: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read inspections');
    checkId(declarationId, 'declarationId');
    const ids = await indexedIds(ctx, INDEX.inspectionByDeclaration, [declarationId]);
    const records = await Promise.all(
      ids.map((id) => readRecord(ctx, 'inspection', id, (json) => Inspection.from(json))),
    );
    return canonicalJson(records);
  }
}

function inputPartOf(record: Inspection): InspectionInput {
  return InspectionInput.from({
    id: record.id,
    declarationId: record.declarationId,
    containerId: record.containerId,
    method: record.method,
    image: record.image,
    findings: record.findings,
    verdict: record.verdict,
    remarks: record.remarks,
  });
}

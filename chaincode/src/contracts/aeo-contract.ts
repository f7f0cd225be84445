import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES, requireOwner } from '../access';
import { conflict } from '../contract-error';
import { emitJson, readJson, readRecord, recordKey, txTime, writeRecord } from '../ledger-state';
import { AeoCertificate, AeoInput, type AeoStatus } from '../models/aeo';
import { canonicalJson, parseJsonArgument } from '../serializer';
import { requireState } from '../transitions';
import { checkId, checkString } from '../validation';

/**
 * Authorised Economic Operator certificates: ACTIVE <-> SUSPENDED, either -> REVOKED (terminal).
 * Only officers of the issuing administration (MSP) change a certificate.
 */
@Info({ title: 'Aeo', description: 'AEO certificates and their status' })
export class AeoContract extends Contract {
  constructor() {
    super('Aeo');
  }

  @Transaction()
  @Returns('string')
  async IssueAeo(ctx: Context, certificate: string): Promise<string> {
    const caller = authorize(ctx, ['officer'], 'issue an AEO certificate');
    const input = AeoInput.from(parseJsonArgument(certificate, 'certificate'));
    if ((await readJson(ctx, recordKey(ctx, 'aeo', input.certificateNumber))) !== undefined) {
      throw conflict(`AEO certificate ${input.certificateNumber} already exists`);
    }
    const now = txTime(ctx);
    const record: AeoCertificate = Object.assign(new AeoCertificate(), input, {
      docType: 'aeo' as const,
      status: 'ACTIVE' as const,
      issuerMsp: caller.mspId,
      issuedAt: now,
      statusChangedAt: now,
    });
    const json = await writeRecord(ctx, 'aeo', record.certificateNumber, record);
    emitJson(ctx, 'AeoIssued', json);
    return json;
  }

  @Transaction()
  @Returns('string')
  async SuspendAeo(ctx: Context, certificateNumber: string, reason: string): Promise<string> {
    return this.change(ctx, certificateNumber, reason, 'SuspendAeo', ['ACTIVE'], 'SUSPENDED', 'AeoSuspended');
  }

  @Transaction()
  @Returns('string')
  async ReinstateAeo(ctx: Context, certificateNumber: string, reason: string): Promise<string> {
    return this.change(ctx, certificateNumber, reason, 'ReinstateAeo', ['SUSPENDED'], 'ACTIVE', 'AeoReinstated');
  }

  @Transaction()
  @Returns('string')
  async RevokeAeo(ctx: Context, certificateNumber: string, reason: string): Promise<string> {
    return this.change(ctx, certificateNumber, reason, 'RevokeAeo', ['ACTIVE', 'SUSPENDED'], 'REVOKED', 'AeoRevoked');
  }

  @Transaction(false)
  @Returns('string')
  async GetAeo(ctx: Context, certificateNumber: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read AEO certificates');
    return canonicalJson(await loadAeo(ctx, certificateNumber));
  }

  /** The status alone, for risk engines: { certificateNumber, holderId, type, status, issuerMsp, statusChangedAt }. */
  @Transaction(false)
  @Returns('string')
  async GetAeoStatus(ctx: Context, certificateNumber: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read AEO certificates');
    const record = await loadAeo(ctx, certificateNumber);
    return canonicalJson({
      certificateNumber: record.certificateNumber,
      holderId: record.holderId,
      type: record.type,
      status: record.status,
      issuerMsp: record.issuerMsp,
      statusChangedAt: record.statusChangedAt,
    });
  }

  private async change(
    ctx: Context,
    certificateNumber: string,
    reason: string,
    action: string,
    from: readonly AeoStatus[],
    to: AeoStatus,
    eventName: string,
  ): Promise<string> {
    const caller = authorize(ctx, ['officer'], `${action} an AEO certificate`);
    checkString(reason, 'reason', { maxLength: 1024 });
    const record = await loadAeo(ctx, certificateNumber);
    requireOwner(caller, record.issuerMsp, `AEO certificate ${record.certificateNumber}`, action);
    requireState(`AEO certificate ${record.certificateNumber}`, record.status, from, action);
    record.status = to;
    record.reason = reason;
    record.statusChangedAt = txTime(ctx);
    const json = await writeRecord(ctx, 'aeo', record.certificateNumber, record);
    emitJson(ctx, eventName, json);
    return json;
  }
}

async function loadAeo(ctx: Context, certificateNumber: string): Promise<AeoCertificate> {
  checkId(certificateNumber, 'certificateNumber', 'aeoCertificate');
  return readRecord(ctx, 'aeo', certificateNumber, (json) => AeoCertificate.from(json), 'AEO certificate');
}

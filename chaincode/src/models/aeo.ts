import { Object as DataType, Property } from 'fabric-contract-api';
import { FieldReader } from '../validation';

export const AEO_TYPES = ['AEOC', 'AEOS', 'AEOF'] as const;
export type AeoType = (typeof AEO_TYPES)[number];

export const AEO_STATUSES = ['ACTIVE', 'SUSPENDED', 'REVOKED'] as const;
export type AeoStatus = (typeof AEO_STATUSES)[number];

/** What IssueAeo takes. */
@DataType()
export class AeoInput {
  @Property('certificateNumber', 'string') certificateNumber!: string;
  @Property('holderId', 'string') holderId!: string;
  @Property('type', 'string') type!: AeoType;
  @Property('validFrom', 'string') validFrom?: string;

  static from(this: void, json: unknown, path = 'certificate'): AeoInput {
    const r = FieldReader.of(json, path);
    const input = Object.assign(new AeoInput(), {
      certificateNumber: r.string('certificateNumber', { format: 'aeoCertificate' }),
      holderId: r.string('holderId', { format: 'identifier' }),
      type: r.enumOf('type', AEO_TYPES),
      validFrom: r.optionalString('validFrom', { format: 'isoTime' }),
    });
    r.done();
    return input;
  }
}

/** The AEO certificate record. */
@DataType()
export class AeoCertificate extends AeoInput {
  @Property('docType', 'string') docType!: 'aeo';
  @Property('status', 'string') status!: AeoStatus;
  @Property('issuerMsp', 'string') issuerMsp!: string;
  @Property('issuedAt', 'string') issuedAt!: string;
  @Property('statusChangedAt', 'string') statusChangedAt!: string;
  @Property('reason', 'string') reason?: string;

  static override from(this: void, json: unknown, path = 'certificate'): AeoCertificate {
    const r = FieldReader.of(json, path);
    const record = Object.assign(new AeoCertificate(), {
      docType: r.enumOf('docType', ['aeo'] as const),
      certificateNumber: r.string('certificateNumber', { format: 'aeoCertificate' }),
      holderId: r.string('holderId', { format: 'identifier' }),
      type: r.enumOf('type', AEO_TYPES),
      validFrom: r.optionalString('validFrom', { format: 'isoTime' }),
      status: r.enumOf('status', AEO_STATUSES),
      issuerMsp: r.string('issuerMsp', { maxLength: 128 }),
      issuedAt: r.string('issuedAt', { format: 'isoTime' }),
      statusChangedAt: r.string('statusChangedAt', { format: 'isoTime' }),
      reason: r.optionalString('reason', { maxLength: 1024 }),
    });
    r.done();
    return record;
  }
}

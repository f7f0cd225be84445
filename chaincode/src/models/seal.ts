import { Object as DataType, Property } from 'fabric-contract-api';
import { FieldReader } from '../validation';

export const SEAL_STATUSES = ['AFFIXED', 'BROKEN', 'REMOVED'] as const;
export type SealStatus = (typeof SEAL_STATUSES)[number];

export const SEAL_CHECK_RESULTS = ['INTACT', 'BROKEN'] as const;
export type SealCheckResult = (typeof SEAL_CHECK_RESULTS)[number];

export const CUSTODY_EVENT_TYPES = ['AFFIXED', 'CHECKED_INTACT', 'CHECKED_BROKEN', 'REMOVED'] as const;
export type CustodyEventType = (typeof CUSTODY_EVENT_TYPES)[number];

/** Where and with which reader a seal event happened. */
@DataType()
export class SealObservation {
  @Property('site', 'string') site!: string;
  @Property('deviceId', 'string') deviceId!: string;
  @Property('remarks', 'string') remarks?: string;

  static from(this: void, json: unknown, path = 'observation'): SealObservation {
    const r = FieldReader.of(json, path);
    const observation = Object.assign(new SealObservation(), {
      site: r.string('site', { maxLength: 128 }),
      deviceId: r.string('deviceId', { format: 'id' }),
      remarks: r.optionalString('remarks', { maxLength: 1024 }),
    });
    r.done();
    return observation;
  }
}

/** What AffixSeal takes. */
@DataType()
export class SealInput extends SealObservation {
  @Property('sealId', 'string') sealId!: string;
  @Property('containerId', 'string') containerId!: string;
  @Property('declarationId', 'string') declarationId?: string;

  static override from(this: void, json: unknown, path = 'seal'): SealInput {
    const r = FieldReader.of(json, path);
    const input = Object.assign(new SealInput(), {
      sealId: r.string('sealId', { format: 'seal' }),
      containerId: r.string('containerId', { format: 'container' }),
      declarationId: r.optionalString('declarationId', { format: 'id' }),
      site: r.string('site', { maxLength: 128 }),
      deviceId: r.string('deviceId', { format: 'id' }),
      remarks: r.optionalString('remarks', { maxLength: 1024 }),
    });
    r.done();
    return input;
  }
}

/** One custody event; the seal keeps them all, and every version is also in the key's history. */
@DataType()
export class CustodyEvent {
  @Property('type', 'string') type!: CustodyEventType;
  @Property('site', 'string') site!: string;
  @Property('deviceId', 'string') deviceId!: string;
  @Property('remarks', 'string') remarks?: string;
  @Property('mspId', 'string') mspId!: string;
  @Property('at', 'string') at!: string;
  @Property('txId', 'string') txId!: string;

  static from(this: void, json: unknown, path = 'event'): CustodyEvent {
    const r = FieldReader.of(json, path);
    const event = Object.assign(new CustodyEvent(), {
      type: r.enumOf('type', CUSTODY_EVENT_TYPES),
      site: r.string('site', { maxLength: 128 }),
      deviceId: r.string('deviceId', { format: 'id' }),
      remarks: r.optionalString('remarks', { maxLength: 1024 }),
      mspId: r.string('mspId', { maxLength: 128 }),
      at: r.string('at', { format: 'isoTime' }),
      txId: r.string('txId', { maxLength: 128 }),
    });
    r.done();
    return event;
  }
}

@DataType()
export class Seal {
  @Property('docType', 'string') docType!: 'seal';
  @Property('sealId', 'string') sealId!: string;
  @Property('containerId', 'string') containerId!: string;
  @Property('declarationId', 'string') declarationId?: string;
  @Property('status', 'string') status!: SealStatus;
  @Property('custody', 'CustodyEvent[]') custody!: CustodyEvent[];
  @Property('affixedByMsp', 'string') affixedByMsp!: string;
  @Property('updatedAt', 'string') updatedAt!: string;

  static from(this: void, json: unknown, path = 'seal'): Seal {
    const r = FieldReader.of(json, path);
    const seal = Object.assign(new Seal(), {
      docType: r.enumOf('docType', ['seal'] as const),
      sealId: r.string('sealId', { format: 'seal' }),
      containerId: r.string('containerId', { format: 'container' }),
      declarationId: r.optionalString('declarationId', { format: 'id' }),
      status: r.enumOf('status', SEAL_STATUSES),
      custody: r.array('custody', CustodyEvent.from, { min: 1 }),
      affixedByMsp: r.string('affixedByMsp', { maxLength: 128 }),
      updatedAt: r.string('updatedAt', { format: 'isoTime' }),
    });
    r.done();
    return seal;
  }
}

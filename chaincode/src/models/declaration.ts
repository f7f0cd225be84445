import { Object as DataType, Property } from 'fabric-contract-api';
import { invalidArgument } from '../contract-error';
import { FieldReader } from '../validation';

export const DECLARATION_TYPES = ['IMPORT', 'EXPORT', 'TRANSIT'] as const;
export type DeclarationType = (typeof DECLARATION_TYPES)[number];

export const TRANSPORT_MODES = [
  'SEA',
  'RAIL',
  'ROAD',
  'AIR',
  'POST',
  'FIXED_INSTALLATION',
  'INLAND_WATERWAY',
  'OTHER',
] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

export const LANES = ['GREEN', 'YELLOW', 'RED'] as const;
export type Lane = (typeof LANES)[number];

export const DECLARATION_STATUSES = [
  'LODGED',
  'LANE_ASSIGNED',
  'RELEASED',
  'DUTY_ASSESSED',
  'PAID',
  'CLOSED',
  'REJECTED',
  'CANCELLED',
] as const;
export type DeclarationStatus = (typeof DECLARATION_STATUSES)[number];

export const VERDICTS = ['CONFORMING', 'NON_CONFORMING', 'INCONCLUSIVE'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A trader taking part in the declaration (WCO: Declarant, Exporter, Importer). Names and addresses are private. */
@DataType()
export class Party {
  @Property('identifier', 'string') identifier!: string;
  @Property('aeoCertificate', 'string') aeoCertificate?: string;

  static from(this: void, json: unknown, path = 'party'): Party {
    const r = FieldReader.of(json, path);
    const party = Object.assign(new Party(), {
      identifier: r.string('identifier', { format: 'identifier' }),
      aeoCertificate: r.optionalString('aeoCertificate', { format: 'aeoCertificate' }),
    });
    r.done();
    return party;
  }
}

@DataType()
export class Transport {
  @Property('mode', 'string') mode!: TransportMode;
  @Property('meansId', 'string') meansId?: string;
  @Property('containerIds', 'string[]') containerIds!: string[];

  static from(this: void, json: unknown, path = 'transport'): Transport {
    const r = FieldReader.of(json, path);
    const transport = Object.assign(new Transport(), {
      mode: r.enumOf('mode', TRANSPORT_MODES),
      meansId: r.optionalString('meansId', { maxLength: 64 }),
      containerIds: r.stringArray('containerIds', { format: 'container', unique: true, max: 999 }),
    });
    r.done();
    return transport;
  }
}

@DataType()
export class Consignment {
  @Property('transport', 'Transport') transport!: Transport;
  @Property('countryOfDispatch', 'string') countryOfDispatch!: string;
  @Property('countryOfDestination', 'string') countryOfDestination!: string;

  static from(this: void, json: unknown, path = 'consignment'): Consignment {
    const r = FieldReader.of(json, path);
    const consignment = Object.assign(new Consignment(), {
      transport: r.object('transport', Transport.from),
      countryOfDispatch: r.string('countryOfDispatch', { format: 'country' }),
      countryOfDestination: r.string('countryOfDestination', { format: 'country' }),
    });
    r.done();
    return consignment;
  }
}

/** One goods item (WCO: GovernmentAgencyGoodsItem). Customs value and currency are private. */
@DataType()
export class GoodsItem {
  @Property('sequence', 'number') sequence!: number;
  @Property('hsCode', 'string') hsCode!: string;
  @Property('description', 'string') description!: string;
  @Property('quantity', 'number') quantity!: number;
  @Property('unit', 'string') unit!: string;
  @Property('grossMassKg', 'number') grossMassKg!: number;
  @Property('netMassKg', 'number') netMassKg!: number;
  @Property('originCountry', 'string') originCountry!: string;

  static from(this: void, json: unknown, path = 'goodsItem'): GoodsItem {
    const r = FieldReader.of(json, path);
    const item = Object.assign(new GoodsItem(), {
      sequence: r.number('sequence', { integer: true, min: 1, max: 9999 }),
      hsCode: r.string('hsCode', { format: 'hsCode' }),
      description: r.string('description', { maxLength: 512 }),
      quantity: r.number('quantity', { positive: true }),
      unit: r.string('unit', { format: 'unit' }),
      grossMassKg: r.number('grossMassKg', { positive: true }),
      netMassKg: r.number('netMassKg', { positive: true }),
      originCountry: r.string('originCountry', { format: 'country' }),
    });
    r.done();
    if (item.netMassKg > item.grossMassKg) throw invalidArgument(`${path}.netMassKg must not exceed grossMassKg`);
    return item;
  }
}

/** What a single window lodges (and amends): the public part of a declaration, aligned with the WCO Data Model. */
@DataType()
export class DeclarationContent {
  @Property('id', 'string') id!: string;
  @Property('lrn', 'string') lrn!: string;
  @Property('mrn', 'string') mrn?: string;
  @Property('type', 'string') type!: DeclarationType;
  @Property('officeOfLodgement', 'string') officeOfLodgement!: string;
  @Property('declarant', 'Party') declarant!: Party;
  @Property('exporter', 'Party') exporter?: Party;
  @Property('importer', 'Party') importer?: Party;
  @Property('consignment', 'Consignment') consignment!: Consignment;
  @Property('goodsItems', 'GoodsItem[]') goodsItems!: GoodsItem[];
  @Property('sealIds', 'string[]') sealIds!: string[];
  @Property('previousDeclarationId', 'string') previousDeclarationId?: string;

  static from(this: void, json: unknown, path = 'declaration'): DeclarationContent {
    const r = FieldReader.of(json, path);
    const content = Object.assign(new DeclarationContent(), {
      id: r.string('id', { format: 'id' }),
      lrn: r.string('lrn', { format: 'lrn' }),
      mrn: r.optionalString('mrn', { format: 'mrn' }),
      type: r.enumOf('type', DECLARATION_TYPES),
      officeOfLodgement: r.string('officeOfLodgement', { format: 'office' }),
      declarant: r.object('declarant', Party.from),
      exporter: r.optionalObject('exporter', Party.from),
      importer: r.optionalObject('importer', Party.from),
      consignment: r.object('consignment', Consignment.from),
      goodsItems: r.array('goodsItems', GoodsItem.from, { min: 1, max: 999 }),
      sealIds: r.stringArray('sealIds', { format: 'seal', unique: true, max: 999 }),
      previousDeclarationId: r.optionalString('previousDeclarationId', { format: 'id' }),
    });
    r.done();
    const sequences = new Set(content.goodsItems.map((item) => item.sequence));
    if (sequences.size !== content.goodsItems.length) {
      throw invalidArgument(`${path}.goodsItems must not repeat a sequence number`);
    }
    if (content.previousDeclarationId === content.id) {
      throw invalidArgument(`${path}.previousDeclarationId must name another declaration`);
    }
    return content;
  }

  /** The identifiers of every trader named, for the by-trader index. */
  static traderIds(content: DeclarationContent): string[] {
    const ids = [content.declarant, content.exporter, content.importer]
      .filter((p): p is Party => p !== undefined)
      .map((p) => p.identifier);
    return [...new Set(ids)].sort();
  }
}

/** The content fields, for copying content into and out of the record. */
export const CONTENT_FIELDS = [
  'id',
  'lrn',
  'mrn',
  'type',
  'officeOfLodgement',
  'declarant',
  'exporter',
  'importer',
  'consignment',
  'goodsItems',
  'sealIds',
  'previousDeclarationId',
] as const satisfies ReadonlyArray<keyof DeclarationContent>;

@DataType()
export class DutyAssessment {
  @Property('amount', 'string') amount!: string;
  @Property('currency', 'string') currency!: string;
  @Property('assessedAt', 'string') assessedAt!: string;

  static from(this: void, json: unknown, path = 'duty'): DutyAssessment {
    const r = FieldReader.of(json, path);
    const duty = Object.assign(new DutyAssessment(), {
      amount: r.string('amount', { format: 'amount' }),
      currency: r.string('currency', { format: 'currency' }),
      assessedAt: r.string('assessedAt', { format: 'isoTime' }),
    });
    r.done();
    return duty;
  }
}

@DataType()
export class Payment {
  @Property('amount', 'string') amount!: string;
  @Property('currency', 'string') currency!: string;
  @Property('reference', 'string') reference!: string;
  @Property('paidAt', 'string') paidAt!: string;

  static from(this: void, json: unknown, path = 'payment'): Payment {
    const r = FieldReader.of(json, path);
    const payment = Object.assign(new Payment(), {
      amount: r.string('amount', { format: 'amount' }),
      currency: r.string('currency', { format: 'currency' }),
      reference: r.string('reference', { format: 'id' }),
      paidAt: r.string('paidAt', { format: 'isoTime' }),
    });
    r.done();
    return payment;
  }
}

/** The latest inspection of a declaration, as the declaration remembers it for Release. */
@DataType()
export class InspectionSummary {
  @Property('inspectionId', 'string') inspectionId!: string;
  @Property('verdict', 'string') verdict!: Verdict;
  @Property('mspId', 'string') mspId!: string;
  @Property('recordedAt', 'string') recordedAt!: string;

  static from(this: void, json: unknown, path = 'lastInspection'): InspectionSummary {
    const r = FieldReader.of(json, path);
    const summary = Object.assign(new InspectionSummary(), {
      inspectionId: r.string('inspectionId', { format: 'id' }),
      verdict: r.enumOf('verdict', VERDICTS),
      mspId: r.string('mspId', { maxLength: 128 }),
      recordedAt: r.string('recordedAt', { format: 'isoTime' }),
    });
    r.done();
    return summary;
  }
}

/** The public declaration record kept in world state (content + lifecycle). */
@DataType()
export class Declaration extends DeclarationContent {
  @Property('docType', 'string') docType!: 'declaration';
  @Property('status', 'string') status!: DeclarationStatus;
  @Property('lane', 'string') lane?: Lane;
  @Property('amendment', 'number') amendment!: number;
  @Property('contentHash', 'string') contentHash!: string;
  @Property('flags', 'string[]') flags!: string[];
  @Property('lastInspection', 'InspectionSummary') lastInspection?: InspectionSummary;
  @Property('duty', 'DutyAssessment') duty?: DutyAssessment;
  @Property('payments', 'Payment[]') payments!: Payment[];
  @Property('reason', 'string') reason?: string;
  @Property('ownerMsp', 'string') ownerMsp!: string;
  @Property('collection', 'string') collection?: string;
  @Property('confidentialFieldHashes', 'Map<string, string>') confidentialFieldHashes?: Record<string, string>;
  @Property('lodgedAt', 'string') lodgedAt!: string;
  @Property('updatedAt', 'string') updatedAt!: string;
  @Property('lastTxId', 'string') lastTxId!: string;

  static override from(this: void, json: unknown, path = 'declaration'): Declaration {
    const r = FieldReader.of(json, path);
    const contentJson: Record<string, unknown> = {};
    for (const field of CONTENT_FIELDS) {
      contentJson[field] = (json as Record<string, unknown>)[field];
      r.optionalObject(field, (v) => v); // marks the field as read; DeclarationContent.from validates it
    }
    const content = DeclarationContent.from(contentJson, path);
    const record = Object.assign(new Declaration(), content, {
      docType: r.enumOf('docType', ['declaration'] as const),
      status: r.enumOf('status', DECLARATION_STATUSES),
      lane: r.optionalEnumOf('lane', LANES),
      amendment: r.number('amendment', { integer: true, min: 0 }),
      contentHash: r.string('contentHash', { format: 'sha256' }),
      flags: r.stringArray('flags', { maxLength: 128 }),
      lastInspection: r.optionalObject('lastInspection', InspectionSummary.from),
      duty: r.optionalObject('duty', DutyAssessment.from),
      payments: r.array('payments', Payment.from),
      reason: r.optionalString('reason', { maxLength: 1024 }),
      ownerMsp: r.string('ownerMsp', { maxLength: 128 }),
      collection: r.optionalString('collection', { format: 'id' }),
      confidentialFieldHashes: r.stringMap('confidentialFieldHashes', { maxLength: 128 }, { format: 'sha256' }),
      lodgedAt: r.string('lodgedAt', { format: 'isoTime' }),
      updatedAt: r.string('updatedAt', { format: 'isoTime' }),
      lastTxId: r.string('lastTxId', { maxLength: 128 }),
    });
    r.done();
    return record;
  }
}

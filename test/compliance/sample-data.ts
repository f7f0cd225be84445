import { randomBytes } from 'node:crypto';
import { uniqueId, uniqueTrader } from './ledger-helpers';

/** The public content of a declaration, as Declaration:Lodge takes it (WCO Data Model aligned). */
export interface DeclarationInput {
  id: string;
  lrn: string;
  mrn?: string;
  type: 'IMPORT' | 'EXPORT' | 'TRANSIT';
  officeOfLodgement: string;
  declarant: { identifier: string; aeoCertificate?: string };
  exporter?: { identifier: string; aeoCertificate?: string };
  importer?: { identifier: string; aeoCertificate?: string };
  consignment: {
    transport: { mode: string; meansId?: string; containerIds: string[] };
    countryOfDispatch: string;
    countryOfDestination: string;
  };
  goodsItems: Array<{
    sequence: number;
    hsCode: string;
    description: string;
    quantity: number;
    unit: string;
    grossMassKg: number;
    netMassKg: number;
    originCountry: string;
  }>;
  sealIds: string[];
  previousDeclarationId?: string;
}

/** What the contracts return for a declaration (the fields the suite looks at). */
export interface DeclarationRecord extends DeclarationInput {
  docType: 'declaration';
  status: string;
  lane?: string;
  amendment: number;
  flags: string[];
  lastInspection?: { inspectionId: string; verdict: string; mspId: string };
  duty?: { amount: string; currency: string };
  payments: Array<{ amount: string; currency: string; reference: string }>;
  reason?: string;
  ownerMsp: string;
  collection?: string;
  confidentialFieldHashes?: Record<string, string>;
  lodgedAt: string;
  updatedAt: string;
  lastTxId: string;
}

export interface HistoryEntry<T> {
  txId: string;
  timestamp: string;
  isDelete: boolean;
  value: T | null;
}

/** A container number in ISO 6346 shape. */
export function containerId(): string {
  return `MSCU${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

export function sampleDeclaration(overrides: Partial<DeclarationInput> = {}): DeclarationInput {
  return {
    id: uniqueId('DEC'),
    lrn: `LRN-${randomBytes(4).toString('hex')}`,
    type: 'IMPORT',
    officeOfLodgement: 'NL000396',
    declarant: { identifier: uniqueTrader('NL') },
    exporter: { identifier: uniqueTrader('CN') },
    importer: { identifier: uniqueTrader('NL') },
    consignment: {
      transport: { mode: 'SEA', meansId: 'IMO9811000', containerIds: [containerId()] },
      countryOfDispatch: 'CN',
      countryOfDestination: 'NL',
    },
    goodsItems: [
      {
        sequence: 1,
        hsCode: '85098000',
        description: 'Food blenders, electric, for domestic use',
        quantity: 10,
        unit: 'PCE',
        grossMassKg: 42.5,
        netMassKg: 40,
        originCountry: 'CN',
      },
    ],
    sealIds: [],
    ...overrides,
  };
}

import { randomBytes } from 'node:crypto';

/**
 * A realistic export declaration in the contracts' input form (chaincode/src/models/declaration.ts),
 * with a unique id so tests and benchmarks can lodge many without colliding.
 */
export function sampleDeclaration(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    lrn: `LRN-${id.slice(-16)}`.slice(0, 22),
    type: 'EXPORT',
    officeOfLodgement: 'CN000001',
    declarant: { identifier: 'CN1234567890', aeoCertificate: 'CNAEOF0000123' },
    exporter: { identifier: 'CN1234567890' },
    importer: { identifier: 'NL987654321' },
    consignment: {
      transport: { mode: 'SEA', meansId: 'IMO9321483', containerIds: ['MSCU1234567'] },
      countryOfDispatch: 'CN',
      countryOfDestination: 'NL',
    },
    goodsItems: [1, 2, 3, 4, 5].map((sequence) => ({
      sequence,
      hsCode: '851712',
      description: `Smartphones, lot ${sequence}`,
      quantity: 120,
      unit: 'PCE',
      grossMassKg: 60.5,
      netMassKg: 48,
      originCountry: 'CN',
    })),
    sealIds: ['SEAL-0001'],
    ...overrides,
  };
}

/** A unique id for one test run: prefix plus 12 random hex characters. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

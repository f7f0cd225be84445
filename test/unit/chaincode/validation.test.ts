import assert from 'node:assert/strict';
import { ContractError } from '../../../chaincode/src/contract-error';
import { timestampToIso } from '../../../chaincode/src/ledger-state';
import { DeclarationContent } from '../../../chaincode/src/models/declaration';
import { amountToMilli, milliToAmount } from '../../../chaincode/src/validation';

function declaration(): Record<string, unknown> {
  return {
    id: 'DEC-1',
    lrn: 'LRN-1',
    type: 'IMPORT',
    officeOfLodgement: 'NL000396',
    declarant: { identifier: 'NL123456789' },
    consignment: {
      transport: { mode: 'SEA', containerIds: ['MSCU1234567'] },
      countryOfDispatch: 'CN',
      countryOfDestination: 'NL',
    },
    goodsItems: [
      {
        sequence: 1,
        hsCode: '850980',
        description: 'blenders',
        quantity: 1,
        unit: 'PCE',
        grossMassKg: 2,
        netMassKg: 1,
        originCountry: 'CN',
      },
    ],
  };
}

function refusedWith(fn: () => unknown, mention: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ContractError);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.ok(error.message.includes(mention), error.message);
    return true;
  });
}

describe('chaincode validation', function () {
  describe('DeclarationContent.from', function () {
    it('accepts a valid declaration and fills the optional lists', function () {
      const content = DeclarationContent.from(declaration());
      assert.deepEqual(content.sealIds, []);
      assert.equal(content.goodsItems[0]?.hsCode, '850980');
    });

    it('names the offending field', function () {
      const bad = (mutate: (d: Record<string, unknown>) => void) => {
        const d = declaration();
        mutate(d);
        return () => DeclarationContent.from(d);
      };
      const item = (d: Record<string, unknown>) => (d.goodsItems as Array<Record<string, unknown>>)[0]!;
      refusedWith(
        bad((d) => (item(d).hsCode = '85098')),
        'declaration.goodsItems[0].hsCode',
      );
      refusedWith(
        bad((d) => (item(d).originCountry = 'cn')),
        'goodsItems[0].originCountry',
      );
      refusedWith(
        bad((d) => (item(d).quantity = 0)),
        'goodsItems[0].quantity',
      );
      refusedWith(
        bad((d) => (item(d).netMassKg = 3)),
        'netMassKg',
      );
      refusedWith(
        bad((d) => (d.type = 'SMUGGLE')),
        'declaration.type',
      );
      refusedWith(
        bad((d) => delete d.declarant),
        'declaration.declarant',
      );
      refusedWith(
        bad((d) => (d.goodsItems = [])),
        'goodsItems',
      );
      refusedWith(
        bad((d) => (d.extra = 1)),
        'declaration.extra is not a known field',
      );
      refusedWith(
        bad((d) => ((d.declarant as Record<string, unknown>).name = 'Acme')),
        'transient',
      );
    });
  });

  describe('amounts', function () {
    it('round-trips decimal amounts exactly', function () {
      assert.equal(amountToMilli('100.5'), 100500n);
      assert.equal(amountToMilli('0.001'), 1n);
      assert.equal(milliToAmount(100500n), '100.5');
      assert.equal(milliToAmount(amountToMilli('60') + amountToMilli('40.5')), '100.5');
      assert.equal(milliToAmount(0n), '0');
    });
  });

  describe('timestampToIso', function () {
    it('renders seconds and nanos with nine fractional digits', function () {
      assert.equal(timestampToIso({ seconds: 1740823200, nanos: 5 }), '2025-03-01T10:00:00.000000005Z');
      assert.equal(
        timestampToIso({ seconds: { toString: () => '1740823200' }, nanos: 123456789 }),
        '2025-03-01T10:00:00.123456789Z',
      );
    });
  });
});

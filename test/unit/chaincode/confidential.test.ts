import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { commitmentsOf, confidentialInputFrom, fieldCommitment } from '../../../chaincode/src/confidential';
import { ContractError } from '../../../chaincode/src/contract-error';

const SALT = '00112233445566778899aabbccddeeff';

describe('chaincode confidential fields', function () {
  describe('fieldCommitment', function () {
    it('is sha256(salt + U+0000 + canonical JSON of the value)', function () {
      const expected = createHash('sha256').update(`${SALT}\u0000{"a":1,"b":2}`).digest('hex');
      assert.equal(fieldCommitment(SALT, { b: 2, a: 1 }), expected);
    });

    it('changes with the salt and with the value', function () {
      const base = fieldCommitment(SALT, '100.00');
      assert.notEqual(fieldCommitment(SALT.replace('0', '1'), '100.00'), base);
      assert.notEqual(fieldCommitment(SALT, '100.01'), base);
      assert.notEqual(fieldCommitment(SALT, 100), base, 'a number and a string are different values');
    });
  });

  describe('confidentialInputFrom', function () {
    it('accepts the known field paths and commits to each', function () {
      const input = confidentialInputFrom(
        {
          collection: 'AgreementAB',
          fields: {
            'goodsItems[1].customsValue': { value: '12.5', salt: SALT },
            'goodsItems[1].currency': { value: 'EUR', salt: SALT },
            'importer.address': { value: { city: 'Rotterdam', country: 'NL' }, salt: SALT },
          },
        },
        2,
      );
      assert.equal(input.collection, 'AgreementAB');
      assert.deepEqual(Object.keys(commitmentsOf(input.fields)), [
        'goodsItems[1].currency',
        'goodsItems[1].customsValue',
        'importer.address',
      ]);
    });

    const refuses = (json: unknown, mention: string) => {
      assert.throws(
        () => confidentialInputFrom(json, 1),
        (error: unknown) =>
          error instanceof ContractError &&
          error.code === 'INVALID_ARGUMENT' &&
          error.message.startsWith('INVALID_ARGUMENT: ') &&
          error.message.includes(mention),
      );
    };

    it('refuses unknown paths, goods items the declaration lacks, short salts and bad values', function () {
      refuses({ collection: 'AgreementAB', fields: { 'goodsItems[0].hsCode': { value: '1', salt: SALT } } }, 'hsCode');
      refuses(
        { collection: 'AgreementAB', fields: { 'goodsItems[1].customsValue': { value: '1', salt: SALT } } },
        'goodsItems[1]',
      );
      refuses({ collection: 'AgreementAB', fields: { invoiceAmount: { value: '1', salt: 'abcd' } } }, 'salt');
      refuses({ collection: 'AgreementAB', fields: { invoiceCurrency: { value: 'euro', salt: SALT } } }, 'ISO 4217');
      refuses({ collection: 'AgreementAB', fields: {} }, 'at least one');
      refuses({ fields: { invoiceAmount: { value: '1', salt: SALT } } }, 'collection');
    });
  });
});

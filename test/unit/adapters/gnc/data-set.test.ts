import { strict as assert } from 'node:assert';
import { applyDataSet, utilityBlocks } from '../../../../adapters/gnc';

describe('applyDataSet', () => {
  const prearrival = utilityBlocks['export-import-prearrival']!;

  it('keeps what the pre-arrival data set allows and removes values and names, naming each removed path', () => {
    const { kept, outside } = applyDataSet(prearrival, {
      lrn: 'LRN-1',
      mrn: '26CN0000000000001A',
      declarant: { id: 'CN1', name: 'Shenzhen Trading Co', aeoAuthorisationId: 'CNAEOF1' },
      invoiceAmount: { value: '125000.00', currencyCode: 'USD' },
      goodsShipment: {
        goodsItems: [
          { sequenceNumeric: 1, commodity: { hsCode: '851713' }, customsValue: { value: '1000', currencyCode: 'USD' } },
          { sequenceNumeric: 2, commodity: { hsCode: '851762' } },
        ],
      },
    });
    assert.deepEqual(kept, {
      lrn: 'LRN-1',
      mrn: '26CN0000000000001A',
      declarant: { id: 'CN1', aeoAuthorisationId: 'CNAEOF1' },
      goodsShipment: {
        goodsItems: [
          { sequenceNumeric: 1, commodity: { hsCode: '851713' } },
          { sequenceNumeric: 2, commodity: { hsCode: '851762' } },
        ],
      },
    });
    assert.deepEqual(outside, ['declarant.name', 'goodsShipment.goodsItems.customsValue', 'invoiceAmount']);
  });

  it('finds nothing outside when the body keeps to the data set', () => {
    const { outside } = applyDataSet(utilityBlocks['transit-seal-events']!, {
      eventId: 'e',
      sealId: 's',
      type: 'SEAL_EVENT_TYPE_AFFIXED',
    });
    assert.deepEqual(outside, []);
  });

  it('declares a data set for every Utility Block, each entry unique', () => {
    for (const block of Object.values(utilityBlocks)) {
      assert.ok(block.dataSet.length > 0, block.id);
      assert.equal(new Set(block.dataSet).size, block.dataSet.length, block.id);
    }
  });
});

import assert from 'node:assert/strict';
import { compareDeclaredWithDetected, headingOf } from '../../../chaincode/src/comparison';

describe('chaincode comparison', function () {
  describe('headingOf', function () {
    it('takes the first four digits of an HS code', function () {
      assert.equal(headingOf('85098000'), '8509');
      assert.equal(headingOf('8509'), '8509');
    });
  });

  describe('compareDeclaredWithDetected', function () {
    it('sums declared quantities and confident detections per heading', function () {
      const result = compareDeclaredWithDetected(
        [
          { hsCode: '851660', quantity: 2 },
          { hsCode: '85161080', quantity: 3 },
          { hsCode: '62034231', quantity: 0.1 },
          { hsCode: '62034290', quantity: 0.2 },
        ],
        [
          { hsCode: '8516', count: 4, confidence: 0.9 },
          { hsCode: '851660', count: 1, confidence: 0.5 },
          { hsCode: '8516', count: 9, confidence: 0.49 },
          { hsCode: '9504', count: 2, confidence: 1 },
        ],
      );
      assert.deepEqual(result.lines, [
        { heading: '6203', declaredQuantity: 0.3, detectedCount: 0, difference: -0.3, status: 'MISSING' },
        { heading: '8516', declaredQuantity: 5, detectedCount: 5, difference: 0, status: 'MATCH' },
        { heading: '9504', declaredQuantity: 0, detectedCount: 2, difference: 2, status: 'UNDECLARED' },
      ]);
      assert.deepEqual(result.undeclaredHeadings, ['9504']);
      assert.deepEqual(result.missingHeadings, ['6203']);
      assert.equal(result.discrepancy, true);
    });

    it('reports no discrepancy when every heading matches', function () {
      const result = compareDeclaredWithDetected(
        [{ hsCode: '850980', quantity: 10 }],
        [{ hsCode: '8509', count: 10, confidence: 0.7 }],
      );
      assert.equal(result.discrepancy, false);
      assert.equal(result.lines[0]?.status, 'MATCH');
    });

    it('tells more from less detected', function () {
      const result = compareDeclaredWithDetected(
        [
          { hsCode: '850980', quantity: 10 },
          { hsCode: '940360', quantity: 4 },
        ],
        [
          { hsCode: '8509', count: 12, confidence: 0.7 },
          { hsCode: '9403', count: 1, confidence: 0.7 },
        ],
      );
      assert.deepEqual(
        result.lines.map((l) => [l.heading, l.status, l.difference]),
        [
          ['8509', 'MORE_DETECTED', 2],
          ['9403', 'LESS_DETECTED', -3],
        ],
      );
    });
  });
});

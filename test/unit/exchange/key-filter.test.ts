import { strict as assert } from 'node:assert';
import { KeyFilter } from '../../../node/src/exchange/key-filter';

describe('KeyFilter', () => {
  it('says "maybe" for every key added', () => {
    const filter = new KeyFilter(10_000);
    const keys = Array.from({ length: 10_000 }, (_, i) => `d!CustomsB!message-${i}`);
    for (const key of keys) filter.add(key);
    assert.ok(keys.every((key) => filter.mightHave(key)));
  });

  it('says "no" for nearly every key not added (false positives near 1% at the size it was made for)', () => {
    const filter = new KeyFilter(100_000);
    for (let i = 0; i < 100_000; i += 1) filter.add(`d!CustomsB!added-${i}`);
    let maybe = 0;
    for (let i = 0; i < 100_000; i += 1) if (filter.mightHave(`d!CustomsB!other-${i}`)) maybe += 1;
    assert.ok(maybe < 3_000, `${maybe} of 100000 keys never added were reported as maybe there`);
  });

  it('starts empty', () => {
    assert.equal(new KeyFilter(0).mightHave('d!CustomsB!anything'), false);
  });
});

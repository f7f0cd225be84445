import { strict as assert } from 'node:assert';
import { fuzz, fuzzTargets, type FuzzTarget } from '../../fuzz/fuzz-targets';

// CI's bounded share of `npm run fuzz`: every parser, a second each.
describe('parsers under fuzzing', function () {
  this.timeout(120_000);
  let targets: FuzzTarget[] = [];
  before(async () => {
    targets = await fuzzTargets();
  });

  it('refuses every mutated input with a typed error, or accepts it, and never hangs', async () => {
    assert.ok(targets.length >= 10, `only ${targets.length} fuzz targets`);
    const report: string[] = [];
    for (const target of targets) {
      const outcome = await fuzz(target, Number(process.env.GNC_FUZZ_SECONDS ?? 1));
      assert.ok(outcome.inputs > 20, `${target.name}: only ${outcome.inputs} inputs in the time`);
      assert.deepEqual(outcome.failures, [], `${target.name} crashed or hung`);
      report.push(`${target.name} ${outcome.inputs}`);
    }
    assert.ok(report.length === targets.length);
  });
});

/**
 * `npm run fuzz [-- --seconds N]`: every parser fuzzed for N seconds (default 60), a report line
 * each; exits 1 if any input crashed a parser (an untyped error) or hung it.
 */
import '../../node/src/ledger/embedded/fabric-logging';
import { parseArgs } from 'node:util';
import { fuzz, fuzzTargets } from './fuzz-targets';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, only: { type: 'string' } } });
  let failed = false;
  for (const target of await fuzzTargets()) {
    if (values.only && !target.name.includes(values.only)) continue;
    const outcome = await fuzz(target, Number(values.seconds));
    console.log(
      `${outcome.name}: ${outcome.inputs} inputs, ${outcome.refused} refused with typed errors, ${outcome.accepted} accepted, slowest ${outcome.slowest.toFixed(1)} ms, ${outcome.failures.length} failures`,
    );
    for (const failure of outcome.failures)
      console.log(`  FAILURE ${failure.error}\n    input (base64): ${failure.input}`);
    failed ||= outcome.failures.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Benchmark runner: `npm run bench -- <name> [...]` (all when no name is given). Benchmarks print
 * figures, one per line as `<name>: <value> <unit>`; they never pass or fail on a number.
 */
import '../node/src/ledger/embedded/fabric-logging';
import { relaunchWithNodeFlags } from '../node/src/cli/node-flags';
import { anchorBenchmark } from './anchor';
import { fabricBenchmark } from './fabric';
import { auditBenchmark } from './audit';
import { cryptoBenchmark } from './crypto';
import { exchangeBenchmark } from './exchange';
import { exchangeWritesBenchmark } from './exchange-writes';
import { ledgerBenchmark } from './ledger';
import { messagePathBenchmark } from './message-path';
import { transportBenchmark } from './transport';
import { translateBenchmark } from './translate';
import { edifactTranslateBenchmark } from './translate-edifact';
import { xmlTranslateBenchmark } from './translate-xml';

const benchmarks: Record<string, (args: string[]) => Promise<void>> = {
  ledger: ledgerBenchmark,
  audit: auditBenchmark,
  anchor: anchorBenchmark,
  crypto: cryptoBenchmark,
  'message-path': messagePathBenchmark,
  transport: transportBenchmark,
  fabric: fabricBenchmark,
  exchange: exchangeBenchmark,
  'exchange-writes': exchangeWritesBenchmark,
  translate: translateBenchmark,
  'translate-edifact': edifactTranslateBenchmark,
  'translate-xml': xmlTranslateBenchmark,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const selected = name ? [name] : Object.keys(benchmarks);
  // The exchange bench's sender node runs in this process: with the V8 settings `gnc start` gives a
  // running node, as the receiver has them. Only when it is the one bench run (the process restarts).
  if (name === 'exchange') relaunchWithNodeFlags();
  for (const key of selected) {
    const run = benchmarks[key];
    if (!run) {
      console.error(`unknown benchmark '${key}'; known: ${Object.keys(benchmarks).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    console.log(`# ${key}`);
    await run(args);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

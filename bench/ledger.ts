import { parseArgs } from 'node:util';
import { openScratchLedger } from '../test/support/embedded-ledger-fixture';
import { sampleDeclaration } from '../test/support/sample-declaration';

/**
 * Durable Lodge transactions per second on the embedded ledger: every transaction endorsed
 * (contract run through fabric-shim, proposal and endorsement signed), ordered into a block,
 * MVCC-validated, appended to the blockfile with fsync and committed to LevelDB with sync before
 * it is acknowledged. Many submits are in flight at once, so blocks fill up (group commit).
 */
export async function ledgerBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '256' },
      'block-size': { type: 'string', default: '500' },
    },
  });
  const total = Number(values.transactions);
  const concurrency = Number(values.concurrency);
  const scratch = await openScratchLedger('bench-ledger', { maxBlockTransactions: Number(values['block-size']) });
  const { orgs, ledger } = scratch;
  try {
    const client = ledger.client(await orgs.user('customsA', 'single-window'));
    const rssAtRest = process.memoryUsage().rss;
    const lodge = (id: string) =>
      client.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))] });
    // Warm-up: JIT and LevelDB caches.
    await Promise.all(Array.from({ length: 500 }, (_, i) => lodge(`WARM-${i}`)));

    let next = 0;
    let peakRss = 0;
    const latencies: number[] = [];
    const heightBefore = ledger.height;
    // CPU time says what a transaction costs whatever else the VM runs meanwhile (tx/s does not).
    const cpuBefore = process.cpuUsage();
    const mainCpuBefore = process.threadCpuUsage();
    const started = process.hrtime.bigint();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const id = `BENCH-${next++}`;
          const t0 = process.hrtime.bigint();
          await lodge(id);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const mainCpu = process.threadCpuUsage(mainCpuBefore);
    clearInterval(sampler);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const blocks = ledger.height - heightBefore;
    console.log(`embedded ledger durable Lodge: ${Math.round(total / seconds)} tx/s`);
    console.log(
      `transactions: ${total} in ${seconds.toFixed(2)} s, ${blocks} blocks (${(total / blocks).toFixed(1)} tx/block), concurrency ${concurrency}`,
    );
    console.log(`latency p50: ${pct(50).toFixed(1)} ms`);
    console.log(`latency p99: ${pct(99).toFixed(1)} ms`);
    const perTx = (usage: NodeJS.CpuUsage) => Math.round((usage.user + usage.system) / total);
    console.log(`cpu per transaction, all threads: ${perTx(cpu)} us`);
    console.log(`cpu per transaction, main thread: ${perTx(mainCpu)} us`);
    console.log(`resident memory at rest: ${Math.round(rssAtRest / 1048576)} MB`);
    console.log(`resident memory peak under load: ${Math.round(peakRss / 1048576)} MB`);
  } finally {
    await scratch.remove();
  }
}

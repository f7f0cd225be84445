import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectionFromDescription, createFabricGatewayConnection } from '../node/src/ledger/fabric-gateway';
import { createFabricNetworkConnection } from '../node/src/ledger/fabric-network';
import type { LedgerClient } from '../node/src/ledger/ledger-client';
import { sampleDeclaration } from '../test/compliance/sample-data';
import { FABRIC_DIR, issueUsers, readNetwork } from '../test/fabric/local-network';
import { ledgerBenchmark } from './ledger';

/**
 * Lodge transactions per second and latency on the local Fabric network (one Raft orderer, three
 * peers, the chaincode as a service, all on this machine) through each Fabric client, with the
 * embedded ledger's figure beside them. Starts the network when it is not up (npm run fabric:up).
 */
export async function fabricBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string', default: '600' },
      concurrency: { type: 'string', default: '32' },
    },
  });
  const total = Number(values.transactions);
  const concurrency = Number(values.concurrency);
  const up = spawnSync('bash', [path.join(FABRIC_DIR, 'up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (up.status !== 0) throw new Error('the Fabric network is not up and fabric:up failed (see above)');
  const network = readNetwork();
  const users = await issueUsers(network);
  const user = users.get('customsA/single-window');
  if (!user) throw new Error('no customsA single-window user');
  const connection = connectionFromDescription(network, 'customsA');

  for (const [kind, open] of [
    ['fabric-gateway', () => createFabricGatewayConnection(connection)],
    ['fabric-network', () => createFabricNetworkConnection(connection)],
  ] as const) {
    const opened = open();
    try {
      await measure(kind, opened.client(user), total, concurrency);
    } finally {
      await opened.close();
    }
  }
  console.log('# embedded ledger, same machine, for comparison');
  await ledgerBenchmark(['--transactions', '5000', '--concurrency', '256']);
}

async function measure(kind: string, client: LedgerClient, total: number, concurrency: number): Promise<void> {
  const lodge = () =>
    client.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration())] });
  await Promise.all(Array.from({ length: Math.min(concurrency, 20) }, lodge)); // warm-up: connections, discovery
  const heightBefore = await client.height();
  let next = 0;
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = process.hrtime.bigint();
        await lodge();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const blocks = Number((await client.height()) - heightBefore);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  console.log(`${kind} Lodge: ${Math.round(total / seconds)} tx/s`);
  console.log(
    `${kind} transactions: ${total} in ${seconds.toFixed(2)} s, ${blocks} blocks, concurrency ${concurrency}`,
  );
  console.log(`${kind} latency p50: ${pct(50).toFixed(1)} ms`);
  console.log(`${kind} latency p99: ${pct(99).toFixed(1)} ms`);
}

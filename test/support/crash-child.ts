/**
 * Child process of the crash test: opens the embedded ledger and lodges declarations as fast as
 * it can, printing `ACK <txId> <declarationId>` for each acknowledged (committed, valid)
 * transaction, until its parent kills it with SIGKILL. Pipes are synchronous on Linux, so a line
 * printed is a line the parent will read even if the kill follows at once.
 */
import { readFileSync } from 'node:fs';
import { createSigningIdentity } from '../../node/src/identity';
import type { ChannelOrganization } from '../../node/src/ledger/embedded/channel-config';
import { openTestLedger } from './embedded-ledger-fixture';
import { sampleDeclaration } from './sample-declaration';
import type { IdentityMaterial } from './test-organizations';

interface ChildConfig {
  directory: string;
  organizations: ChannelOrganization[];
  node: IdentityMaterial;
  user: IdentityMaterial;
  concurrency: number;
  idPrefix: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ChildConfig;
  const node = createSigningIdentity(config.node);
  const ledger = await openTestLedger({
    directory: config.directory,
    node,
    nodeOrganization: config.organizations[0] as ChannelOrganization,
    organizations: config.organizations,
    overrides: { maxBlockTransactions: 50 },
  });
  const client = ledger.client(createSigningIdentity(config.user));
  process.stdout.write(`READY ${ledger.height}\n`);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const id = `${config.idPrefix}-${next++}`;
      const result = await client.submit({
        contract: 'Declaration',
        name: 'Lodge',
        args: [JSON.stringify(sampleDeclaration(id))],
      });
      process.stdout.write(`ACK ${result.txId} ${id} ${result.blockNumber}\n`);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
}

main().catch((error: unknown) => {
  process.stderr.write(`crash-child failed: ${String(error)}\n`);
  process.exit(3);
});

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { verifyBlockfile } from '../../../node/src/audit';
import { peer } from '@hyperledger/fabric-protos';
import { openTestLedger } from '../../support/embedded-ledger-fixture';
import { createTestOrganizations, temporaryDirectory, type TestOrganizations } from '../../support/test-organizations';

/**
 * Kills a process that is committing a burst of transactions with SIGKILL at a random moment,
 * many times over the same ledger folder; after each kill the ledger reopens (recovering a torn
 * block if the kill hit one), the blockfile verifies, and every transaction the child saw
 * acknowledged is there, valid, with its record in the state.
 */

const ROUNDS = Number(process.env.GNC_CRASH_ROUNDS ?? 8);

interface Ack {
  txId: string;
  declarationId: string;
}

async function runChildUntilKilled(configFile: string, killAfterMs: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [path.join(__dirname, '../../support/crash-child.js'), configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const linesClosed = new Promise((resolve) => lines.once('close', resolve));
  let timer: NodeJS.Timeout | undefined;
  lines.on('line', (line) => {
    const [kind, txId, declarationId] = line.split(' ');
    if (kind === 'READY') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    if (kind === 'ACK' && txId && declarationId) acks.push({ txId, declarationId });
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  if (timer) clearTimeout(timer);
  await linesClosed;
  assert.equal(signal, 'SIGKILL', `child ended by itself (code ${code}): ${stderr}`);
  return acks;
}

describe('EmbeddedLedger', function () {
  this.timeout(300_000);

  describe('recovery after SIGKILL', () => {
    let orgs: TestOrganizations;
    let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;

    before(async () => {
      orgs = await createTestOrganizations();
      tmp = await temporaryDirectory('crash');
    });
    after(async () => tmp.remove());

    it(`loses no acknowledged transaction and keeps a verifiable blockfile over ${ROUNDS} kills mid-burst`, async () => {
      const directory = path.join(tmp.dir, 'ledger');
      const allAcks: Ack[] = [];
      let recoveries = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const configFile = path.join(tmp.dir, `child-${round}.json`);
        await writeFile(
          configFile,
          JSON.stringify({
            directory,
            organizations: orgs.organizations,
            node: orgs.nodeMaterial,
            user: await orgs.userMaterial('customsA', 'single-window'),
            concurrency: 64,
            idPrefix: `CRASH-${round}`,
          }),
        );
        const acks = await runChildUntilKilled(configFile, 300 + Math.floor(Math.random() * 900));
        allAcks.push(...acks);

        const ledger = await openTestLedger({
          directory,
          node: orgs.node,
          nodeOrganization: orgs.nodeOrganization,
          organizations: orgs.organizations,
          overrides: { onRecovery: () => (recoveries += 1) },
        });
        try {
          for (const ack of allAcks) {
            const location = await ledger.stateStore.txLocation(ack.txId);
            assert.ok(
              location,
              `acknowledged transaction ${ack.txId} (${ack.declarationId}) is missing after round ${round}`,
            );
            assert.equal(location.validationCode, peer.TxValidationCode.VALID);
          }
          const client = ledger.client(await orgs.user('customsA', 'officer'));
          const sample = allAcks.slice(-20);
          for (const ack of sample) {
            const record = JSON.parse(
              Buffer.from(
                await client.evaluate({ contract: 'Declaration', name: 'GetDeclaration', args: [ack.declarationId] }),
              ).toString(),
            ) as { id: string };
            assert.equal(record.id, ack.declarationId);
          }
        } finally {
          await ledger.close();
        }
        const report = await verifyBlockfile(path.join(directory, 'chains', 'chains', 'gnc'));
        assert.ok(report.intact, `blockfile not intact after round ${round}: ${JSON.stringify(report.faults)}`);
      }
      assert.ok(allAcks.length > ROUNDS * 10, `the bursts acknowledged only ${allAcks.length} transactions`);
      // Not every kill lands mid-block, but over the rounds some must have needed repair or replay;
      // recorded for the log rather than asserted, since timing decides it.
      console.log(
        `      ${allAcks.length} acknowledged transactions over ${ROUNDS} kills; ${recoveries} reopen(s) repaired something`,
      );
    });
  });
});

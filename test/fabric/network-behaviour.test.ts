import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectionFromDescription, createFabricGatewayConnection } from '../../node/src/ledger/fabric-gateway';
import type { FabricTransactionRequest } from '../../node/src/ledger/fabric-gateway';
import { createFabricNetworkConnection } from '../../node/src/ledger/fabric-network';
import type { LedgerClient, SubmittedTransaction } from '../../node/src/ledger/ledger-client';
import { LedgerCommitError, LedgerEndorsementError } from '../../node/src/ledger/ledger-errors';
import { decodeJson, evaluateJson, newSalt, sha256Hex, submitJson } from '../compliance/ledger-helpers';
import { sampleDeclaration } from '../compliance/sample-data';
import { FABRIC_DIR, REPO_DIR, fabricFixture, readNetwork } from './local-network';

// What only a real network shows, through both Fabric clients. The file name sorts after the
// compliance suites, so the blockfile check at the end sees every block they wrote.

type Fixture = Awaited<ReturnType<typeof fabricFixture<LedgerClient & { submit: FabricSubmit }>>>;
type FabricSubmit = (request: FabricTransactionRequest) => Promise<SubmittedTransaction>;

const implementations = {
  'fabric-gateway': () =>
    fabricFixture((org, network) =>
      Promise.resolve(createFabricGatewayConnection(connectionFromDescription(network, org))),
    ),
  'fabric-network': () =>
    fabricFixture((org, network) =>
      Promise.resolve(createFabricNetworkConnection(connectionFromDescription(network, org))),
    ),
};

for (const [kind, setup] of Object.entries(implementations)) {
  describe(`Fabric network behaviour (${kind})`, function () {
    this.timeout(120_000);
    let fixture: Fixture;
    before(async function () {
      fixture = await setup();
    });
    after(async function () {
      await fixture?.teardown();
    });

    it('marks a transaction endorsed by one administration alone invalid (ENDORSEMENT_POLICY_FAILURE)', async function () {
      const client = fixture.clientOf('customsA', 'single-window');
      let caught: unknown;
      try {
        await client.submit({
          contract: 'Declaration',
          name: 'Lodge',
          args: [JSON.stringify(sampleDeclaration())],
          endorsingOrganizations: [fixture.mspIdOf('customsA')],
        });
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof LedgerCommitError, `expected a LedgerCommitError, got ${String(caught)}`);
      assert.equal(caught.validationCode, 'ENDORSEMENT_POLICY_FAILURE');
      assert.ok(caught.txId);
    });

    it('keeps private data from the auditor organisation, which still sees its hash', async function () {
      const input = sampleDeclaration();
      const confidential = {
        collection: 'AgreementAB',
        fields: { 'goodsItems[0].customsValue': { value: '999.99', salt: newSalt() } },
      };
      await submitJson(fixture.clientOf('customsA', 'single-window'), 'Declaration', 'Lodge', [input], {
        confidential,
      });
      const memberCopy = await fixture
        .clientOf('customsB', 'officer')
        .evaluate({ contract: 'Declaration', name: 'GetConfidential', args: [input.id] });
      assert.equal(
        decodeJson<{ fields: Record<string, unknown> }>(memberCopy).fields['goodsItems[0].customsValue'] !== undefined,
        true,
      );

      // an officer role passes the contract's own check: the auditor's peer itself refuses the read
      const auditorOfficer = fixture.clientOf('auditor', 'officer');
      await assert.rejects(
        auditorOfficer.evaluate({ contract: 'Declaration', name: 'GetConfidential', args: [input.id] }),
        (error: unknown) => error instanceof LedgerEndorsementError && !error.contractMessage.includes('999.99'),
      );
      const hash = await evaluateJson<{ hash: string }>(
        fixture.clientOf('auditor', 'auditor'),
        'Declaration',
        'GetConfidentialHash',
        [input.id],
      );
      assert.equal(hash.hash, sha256Hex(memberCopy));
    });

    it('streams chaincode events of committed transactions to the client', async function () {
      const client = fixture.clientOf('customsB', 'officer');
      const events = client.chaincodeEvents();
      try {
        const { tx } = await submitJson(fixture.clientOf('customsB', 'single-window'), 'Declaration', 'Lodge', [
          sampleDeclaration(),
        ]);
        for await (const event of events) {
          if (event.txId !== tx.txId) continue;
          assert.equal(event.eventName, 'DeclarationLodged');
          assert.equal(event.blockNumber, tx.blockNumber);
          break;
        }
      } finally {
        events.close();
      }
    });
  });
}

describe('Fabric network: a restarted peer catches up', function () {
  this.timeout(180_000);
  let fixture: Fixture;
  before(async function () {
    fixture = await implementations['fabric-gateway']();
  });
  after(async function () {
    await fixture?.teardown();
  });

  it('pulls the blocks it missed from the orderer after a restart', async function () {
    const auditorPeer = fixture.network.organizations.auditor?.peer;
    assert.ok(auditorPeer);
    const pid = Number(readFileSync(auditorPeer.pidFile, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), 30_000, `peer0.auditor (pid ${pid}) to exit`);

    // the endorsement policy needs only the two customs administrations: work goes on without it
    const writer = fixture.clientOf('customsA', 'single-window');
    for (let i = 0; i < 3; i++) await submitJson(writer, 'Declaration', 'Lodge', [sampleDeclaration()]);
    const target = await writer.height();

    const up = spawnSync('bash', [path.join(FABRIC_DIR, 'up.sh')], { encoding: 'utf8' });
    assert.equal(up.status, 0, `fabric:up could not restart the peer:\n${up.stdout}\n${up.stderr}`);
    const auditor = fixture.clientOf('auditor', 'auditor');
    await waitFor(
      async () => (await auditor.height().catch(() => 0n)) >= target,
      60_000,
      `peer0.auditor to reach height ${target}`,
    );
  });
});

describe('Fabric network: a peer blockfile passes gnc audit verify', function () {
  this.timeout(120_000);
  it('verifies the hash chain of peer0.customsA chains/chains/gnc', function () {
    const peer = readNetwork().organizations.customsA?.peer;
    assert.ok(peer);
    const run = spawnSync(
      process.execPath,
      [path.join(REPO_DIR, 'bin', 'gnc.js'), 'audit', 'verify', '--blockfile', peer.blockfileDir],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, `gnc audit verify failed:\n${run.stdout}\n${run.stderr}`);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

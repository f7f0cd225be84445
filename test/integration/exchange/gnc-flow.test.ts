import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../../node/src/api/app';
import { startExchange, type ExchangeRuntime } from '../../../node/src/exchange/exchange-runtime';
import { verifyInclusion } from '../../../node/src/exchange/merkle';
import { openNodeHome, type NodeHome } from '../../../node/src/home/node-home';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { temporaryDirectory } from '../../support/test-organizations';
import { createTwoAdministrations } from '../../../node/src/demo/two-administrations';
import { waitFor } from '../../../node/src/util/wait-for';

type App = Awaited<ReturnType<typeof buildApp>>;

describe('GNC flow between two administrations (libp2p + CMS + protobuf one way, HTTP/2 mTLS + JWS + JSON the other)', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  const homes: NodeHome[] = [];
  const exchanges: ExchangeRuntime[] = [];
  const apps: App[] = [];

  before(async () => {
    tmp = await temporaryDirectory('gnc-flow');
    const administrations = await createTwoAdministrations(tmp.dir);
    for (const administration of administrations) {
      const home = await openNodeHome(administration.dataDir);
      const exchange = await startExchange(
        home,
        process.env.GNC_TEST_LOG ? { log: (e) => console.error(JSON.stringify(e)) } : {},
      );
      assert.ok(exchange);
      homes.push(home);
      exchanges.push(exchange);
      apps.push(await buildApp({ home, exchange }));
    }
  });
  const stopped = new Set<number>();
  after(async () => {
    for (const [i, app] of apps.entries()) if (!stopped.has(i)) await app.close();
    for (const [i, exchange] of exchanges.entries()) if (!stopped.has(i)) await exchange.stop();
    for (const [i, home] of homes.entries()) if (!stopped.has(i)) await home.close();
    await tmp.remove();
  });

  const api = (i: number) => apps[i] as App;
  const submit = async (i: number, contract: string, name: string, args: string[], as = 'officer') => {
    const response = await api(i).inject({
      method: 'POST',
      url: '/ledger/transactions',
      payload: { contract, name, args, as },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ txId: string; result: Record<string, unknown> }>();
  };

  describe('export released at A, inspected on the red lane', () => {
    it('reaches B as pre-arrival data with the inspection, receipted, anchored and provable at both ends', async () => {
      const id = uniqueId('EXP');
      const mrn = `26CN${randomBytes(7).toString('hex').toUpperCase()}`;
      const container = `MSCU${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
      const declaration = sampleDeclaration(id, {
        mrn,
        consignment: {
          transport: { mode: 'SEA', meansId: 'IMO9321483', containerIds: [container] },
          countryOfDispatch: 'CN',
          countryOfDestination: 'NL',
        },
      });
      await submit(0, 'Declaration', 'Lodge', [JSON.stringify(declaration)], 'single-window');
      await submit(0, 'Declaration', 'AssignLane', [id, 'RED']);
      await submit(0, 'Inspection', 'RecordInspection', [
        JSON.stringify({
          id: uniqueId('INS'),
          declarationId: id,
          containerId: container,
          method: 'XRAY_CONTAINER_SCAN',
          image: { sha256: randomBytes(32).toString('hex'), uri: 's3://scans/truck-0042.png' },
          findings: [
            {
              label: 'iPhone',
              hsCode: '851712',
              count: 120,
              confidence: 0.97,
              modelName: 'xray-detector',
              modelVersion: '4.2',
            },
          ],
          verdict: 'CONFORMING',
        }),
      ]);
      await submit(0, 'Declaration', 'Release', [id]);

      // B sees what A shared about the container: the export declaration and the X-ray result.
      const shared = await waitFor('B to hold the declaration and the inspection', async () => {
        const response = await api(1).inject({ method: 'GET', url: `/exchange/shared/container/${container}` });
        const items = response.json<{
          shared: Array<{ body: string; partnerId: string; content: Record<string, unknown> }>;
        }>().shared;
        return items.length >= 2 ? items : undefined;
      });
      assert.deepEqual(shared.map((s) => s.body).sort(), ['declaration', 'inspection']);
      assert.ok(shared.every((s) => s.partnerId === 'CustomsA'));
      const inspection = shared.find((s) => s.body === 'inspection')?.content as {
        declarationMrn: string;
        findings: Array<{ label: string; count: number }>;
      };
      assert.equal(inspection.declarationMrn, mrn);
      assert.deepEqual(
        inspection.findings.map((f) => [f.label, f.count]),
        [['iPhone', 120]],
      );
      const byMrn = await api(1).inject({ method: 'GET', url: `/exchange/shared/declaration/${mrn}` });
      assert.equal(byMrn.json<{ shared: unknown[] }>().shared.length, 2);

      // B's inbox holds both, and acknowledging one removes it.
      const inbox = (await api(1).inject({ method: 'GET', url: '/exchange/inbox' })).json<{
        messages: Array<{ seq: number; messageId: string; utilityBlock: string }>;
      }>().messages;
      assert.deepEqual(inbox.map((m) => m.utilityBlock).sort(), [
        'export-import-prearrival',
        'inspection-result-sharing',
      ]);
      const ack = await api(1).inject({ method: 'POST', url: `/exchange/inbox/${inbox[0]?.seq}/ack` });
      assert.equal(ack.statusCode, 204);

      // A holds B's receipts; both ends anchor the digest and prove it against the ledger.
      const messageId = inbox[0]?.messageId ?? '';
      const status = await waitFor('A to hold B’s receipt', async () => {
        const s = (await api(0).inject({ method: 'GET', url: `/exchange/messages/${messageId}` })).json<{
          state: string;
        }>();
        return s.state === 'receipted' ? s : undefined;
      });
      assert.equal(status.state, 'receipted');
      for (const [i, direction] of [
        [0, 'out'],
        [1, 'in'],
      ] as const) {
        const proof = await waitFor(`the anchor of ${direction}`, async () => {
          const response = await api(i).inject({
            method: 'GET',
            url: `/exchange/messages/${messageId}/proof?direction=${direction}`,
          });
          const body = response.json<{
            anchor?: unknown;
            digest: string;
            merkleRoot: string;
            batchId: string;
            proof: never;
          }>();
          return response.statusCode === 200 && body.anchor ? body : undefined;
        });
        const onLedger = await api(i).inject({
          method: 'POST',
          url: '/ledger/queries',
          payload: { contract: 'Anchor', name: 'GetAnchor', args: [proof.batchId], as: 'auditor' },
        });
        assert.equal(onLedger.json<{ result: { merkleRoot: string } }>().result.merkleRoot, proof.merkleRoot);
        assert.ok(verifyInclusion(Buffer.from(proof.digest, 'hex'), proof.proof, Buffer.from(proof.merkleRoot, 'hex')));
      }

      const metrics = await api(1).inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /gnc_messages_total\{partner="CustomsA",direction="in"\} 2/);
      // The receiving node's event-loop delay, in seconds, sampled since it started.
      assert.match(metrics.body, /^# TYPE gnc_event_loop_delay_seconds summary$/m);
      assert.match(metrics.body, /^gnc_event_loop_delay_seconds\{quantile="0\.99"\} \d+(\.\d+)?(e-?\d+)?$/m);
      assert.match(metrics.body, /^gnc_event_loop_delay_seconds_count [1-9]\d*$/m);
    });
  });

  describe('B to A', () => {
    it('carries an inspection result from B to A over libp2p with CMS and protobuf', async () => {
      const container = `TGHU${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
      const sent = await api(1).inject({
        method: 'POST',
        url: '/exchange/messages',
        payload: {
          partnerId: 'CustomsA',
          utilityBlock: 'inspection-result-sharing',
          body: {
            inspection: {
              inspectionId: uniqueId('INS-B'),
              declarationMrn: '26NL0000000000042A',
              method: 'INSPECTION_METHOD_PHYSICAL',
              containerId: container,
              administrationId: 'CustomsB',
              verdict: { verdict: 'INSPECTION_VERDICT_CONSISTENT', remarks: 'seals intact, goods as declared' },
            },
          },
        },
      });
      assert.equal(sent.statusCode, 202, sent.body);
      const shared = await waitFor('A to hold B’s inspection', async () => {
        const items = (await api(0).inject({ method: 'GET', url: `/exchange/shared/container/${container}` })).json<{
          shared: Array<{ partnerId: string; content: { verdict: { remarks: string } } }>;
        }>().shared;
        return items.length > 0 ? items : undefined;
      });
      assert.equal(shared[0]?.partnerId, 'CustomsB');
      assert.equal(shared[0]?.content.verdict.remarks, 'seals intact, goods as declared');
      const { messageId } = sent.json<{ messageId: string }>();
      const status = await waitFor('B to hold A’s receipt', async () => {
        const s = (await api(1).inject({ method: 'GET', url: `/exchange/messages/${messageId}` })).json<{
          state: string;
        }>();
        return s.state === 'receipted' ? s : undefined;
      });
      assert.equal(status.state, 'receipted');
    });
  });

  describe('rejections', () => {
    it('refuses to send a Utility Block outside the agreement and a body that does not fit the block', async () => {
      const notAgreed = await api(0).inject({
        method: 'POST',
        url: '/exchange/messages',
        payload: { partnerId: 'CustomsB', utilityBlock: 'certificate-of-origin', body: { declaration: { lrn: 'X' } } },
      });
      assert.equal(notAgreed.statusCode, 403);
      assert.equal(notAgreed.json<{ code: string }>().code, 'GNC_EXCHANGE_NOT_AGREED');
      const wrongBody = await api(0).inject({
        method: 'POST',
        url: '/exchange/messages',
        payload: {
          partnerId: 'CustomsB',
          utilityBlock: 'inspection-result-sharing',
          body: { declaration: { lrn: 'X' } },
        },
      });
      assert.equal(wrongBody.statusCode, 400);
      const unknownPartner = await api(0).inject({
        method: 'POST',
        url: '/exchange/messages',
        payload: {
          partnerId: 'CustomsZ',
          utilityBlock: 'inspection-result-sharing',
          body: { inspection: { inspectionId: 'I' } },
        },
      });
      assert.equal(unknownPartner.statusCode, 404);
    });
  });
  describe('gnc prove-message', () => {
    it('proves, from the stopped node’s own folder, that a received message is in a batch anchored on its ledger', async () => {
      const sent = await exchanges[0]!.store.inbox(1); // A's inbox: what B sent in the test above
      const messageId = sent[0]?.messageId ?? '';
      assert.ok(messageId);
      await waitFor(
        'A to anchor what it received',
        async () => (await exchanges[0]!.anchorer.prove('in', messageId))?.anchor,
      );
      // The CLI opens the folder itself, so the node must not hold it.
      await apps[0]!.close();
      await exchanges[0]!.stop();
      await homes[0]!.close();
      stopped.add(0);
      const dataDir = path.join(tmp.dir, 'customs-a');
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [
          path.resolve(__dirname, '../../../../bin/gnc.js'),
          '--data',
          dataDir,
          'prove-message',
          messageId,
        ]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(result.code, 0, result.stderr);
      const proof = JSON.parse(result.stdout) as {
        direction: string;
        digest: string;
        merkleRoot: string;
        proof: { leafIndex: number; treeSize: number; path: string[] };
        ledger: { merkleRoot: string };
      };
      assert.equal(proof.direction, 'in');
      assert.equal(proof.ledger.merkleRoot, proof.merkleRoot);
      assert.ok(verifyInclusion(Buffer.from(proof.digest, 'hex'), proof.proof, Buffer.from(proof.merkleRoot, 'hex')));
    });
  });
});

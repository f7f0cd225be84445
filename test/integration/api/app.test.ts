import { strict as assert } from 'node:assert';
import { buildApp } from '../../../node/src/api/app';
import { initNodeHome, openNodeHome, type NodeHome } from '../../../node/src/home/node-home';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { temporaryDirectory } from '../../support/test-organizations';

describe('buildApp', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let home: NodeHome;
  let app: Awaited<ReturnType<typeof buildApp>>;

  before(async () => {
    tmp = await temporaryDirectory('api');
    await initNodeHome(tmp.dir, { mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
    home = await openNodeHome(tmp.dir);
    app = await buildApp({ home });
  });
  after(async () => {
    await app.close();
    await home.close();
    await tmp.remove();
  });

  const lodge = (id: string, as = 'single-window') =>
    app.inject({
      method: 'POST',
      url: '/ledger/transactions',
      payload: { contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))], as },
    });

  describe('GET /healthz', () => {
    it('reports the channel, the ledger kind and the height', async () => {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 200);
      const body = response.json<{ status: string; channel: string; ledger: string; height: number }>();
      assert.deepEqual(
        { ...body, height: body.height >= 1 },
        { status: 'ok', channel: 'gnc', ledger: 'embedded', height: true },
      );
    });
  });

  describe('GET /docs/json', () => {
    it('describes the routes in OpenAPI, generated from their schemas', async () => {
      const response = await app.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(response.statusCode, 200);
      const spec = response.json<{
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      }>();
      assert.match(spec.openapi, /^3\./);
      assert.ok(spec.paths['/ledger/transactions']?.post?.requestBody, 'the transaction body schema is published');
      assert.ok(spec.paths['/healthz']?.get);
    });
  });

  describe('POST /ledger/transactions', () => {
    it('commits a Lodge by the single window and returns the record with the transaction id and block', async () => {
      const id = uniqueId('API');
      const response = await lodge(id);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json<{ txId: string; blockNumber: number; result: { id: string; status: string } }>();
      assert.match(body.txId, /^[0-9a-f]{64}$/);
      assert.ok(body.blockNumber >= 1);
      assert.equal(body.result.id, id);
      assert.equal(body.result.status, 'LODGED');
    });

    it('answers 403 with the contract code when the caller has the wrong role', async () => {
      const response = await lodge(uniqueId('API'), 'auditor');
      assert.equal(response.statusCode, 403);
      assert.equal(response.json<{ code: string }>().code, 'GNC_LEDGER_ENDORSEMENT_FAILED');
      assert.match(response.json<{ message: string }>().message, /FORBIDDEN/);
    });

    it('answers 400 for a body outside the schema and for an unknown local user', async () => {
      const bad = await app.inject({
        method: 'POST',
        url: '/ledger/transactions',
        payload: { contract: 'declaration', name: 'Lodge' },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json<{ code: string }>().code, 'GNC_INVALID_INPUT');
      const unknown = await lodge(uniqueId('API'), 'customs-broker');
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.json<{ message: string }>().message, /no local user with role 'customs-broker'/);
    });

    it('answers 409 with the current state for a transition outside the lifecycle', async () => {
      const id = uniqueId('API');
      await lodge(id);
      const response = await app.inject({
        method: 'POST',
        url: '/ledger/transactions',
        payload: { contract: 'Declaration', name: 'Close', args: [id], as: 'officer' },
      });
      assert.equal(response.statusCode, 409);
      assert.match(response.json<{ message: string }>().message, /INVALID_TRANSITION.*LODGED/);
    });
  });

  describe('POST /ledger/queries, GET /ledger/keys, GET /ledger/history/:key', () => {
    it('reads back a lodged declaration, lists its key and shows its history with the creator', async () => {
      const id = uniqueId('API');
      await lodge(id);
      const query = await app.inject({
        method: 'POST',
        url: '/ledger/queries',
        payload: { contract: 'Declaration', name: 'GetDeclaration', args: [id], as: 'auditor' },
      });
      assert.equal(query.statusCode, 200, query.body);
      assert.equal(query.json<{ result: { id: string } }>().result.id, id);

      const keys = await app.inject({ method: 'GET', url: '/ledger/keys?prefix=declaration/' });
      assert.ok(keys.json<{ keys: string[] }>().keys.includes(`declaration/${id}`));

      const history = await app.inject({
        method: 'GET',
        url: `/ledger/history/${encodeURIComponent(`declaration/${id}`)}`,
      });
      assert.equal(history.statusCode, 200, history.body);
      const entries = history.json<{
        history: Array<{ creator: { mspId: string; subject: string }; validation: string }>;
      }>().history;
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.creator.mspId, 'CustomsAMSP');
      assert.match(entries[0]?.creator.subject ?? '', /single-window/);
      assert.equal(entries[0]?.validation, 'VALID');
    });
  });
});

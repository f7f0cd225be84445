import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildApp } from '../../../node/src/api/app';
import { initNodeHome, openNodeHome, userIdentity, type NodeHome } from '../../../node/src/home/node-home';
import { canonicalProofText, proveEmbeddedRecord } from '../../../node/src/proof';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { temporaryDirectory } from '../../support/test-organizations';

const CHROMIUM = process.env.GNC_CHROMIUM ?? '/usr/bin/chromium';

describe('audit page (headless Chromium)', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let home: NodeHome;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let browser: BrowserContext;
  let base: string;
  let id: string;
  let goodProof: string;
  let tamperedProof: string;

  before(async function () {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set GNC_CHROMIUM)`);
    tmp = await temporaryDirectory('web');
    const dataDir = path.join(tmp.dir, 'node');
    await initNodeHome(dataDir, { mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
    home = await openNodeHome(dataDir);
    app = await buildApp({ home });
    base = await app.listen({ host: '127.0.0.1', port: 0 });

    id = uniqueId('DEC');
    const window = home.ledger.client(userIdentity(home, 'single-window'));
    const officer = home.ledger.client(userIdentity(home, 'officer'));
    await window.submit({
      contract: 'Declaration',
      name: 'Lodge',
      args: [JSON.stringify(sampleDeclaration(id))],
      transient: {
        confidential: Buffer.from(
          JSON.stringify({
            collection: 'AgreementAB',
            fields: { invoiceAmount: { value: '125000.00', salt: '0123456789abcdef0123456789abcdef' } },
          }),
        ),
      },
    });
    await officer.submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'GREEN'] });
    await officer.submit({ contract: 'Declaration', name: 'Release', args: [id] });
    const embedded = home.ledger.embedded;
    assert.ok(embedded);
    const proof = await proveEmbeddedRecord(embedded, {
      chaincodeName: home.config.ledger.chaincodeName,
      key: `\u0000declaration\u0000${id}\u0000`,
      disclose: ['invoiceAmount'],
      confidential: window,
    });
    goodProof = path.join(tmp.dir, 'proof.json');
    await writeFile(goodProof, canonicalProofText(proof));
    tamperedProof = path.join(tmp.dir, 'tampered.json');
    await writeFile(tamperedProof, canonicalProofText(proof).replace('"RELEASED"', '"REJECTED"'));

    // A fresh profile each run (playwright passes it to Chromium as --user-data-dir).
    browser = await chromium.launchPersistentContext(await mkdtemp(path.join(tmp.dir, 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await home?.close();
    await tmp?.remove();
  });

  it('draws a record timeline, accepts a good proof and rejects a tampered one, check by check', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/audit?key=${encodeURIComponent(`declaration/${id}`)}`);
      await page.waitForSelector('#timeline li');
      const versions = await page.locator('#timeline li .status').allTextContents();
      assert.deepEqual(versions, ['LODGED', 'LANE_ASSIGNED', 'RELEASED']);
      const meta = await page.textContent('#timeline li:first-child');
      assert.match(meta ?? '', /CustomsAMSP/);
      assert.match(meta ?? '', /single-window/);
      assert.match(meta ?? '', /confidential field\(s\), as salted hashes/);

      await page.setInputFiles('#proof-file', goodProof);
      await page.waitForSelector('#verdict.ok');
      assert.match((await page.textContent('#verdict')) ?? '', /^VALID/);
      const passedItems = page.locator('#checks li.pass');
      const passed: Array<string | null> = [];
      for (let i = 0; i < (await passedItems.count()); i++)
        passed.push(await passedItems.nth(i).getAttribute('data-check'));
      assert.ok(passed.includes('block signatures') && passed.includes('disclosures'), String(passed));
      await page.screenshot({ path: path.join(tmp.dir, 'audit-good.png'), fullPage: true });
      if (process.env.GNC_KEEP_SCREENSHOT) {
        await page.screenshot({ path: process.env.GNC_KEEP_SCREENSHOT, fullPage: true });
      }

      await page.setInputFiles('#proof-file', tamperedProof);
      await page.waitForSelector('#verdict.bad');
      assert.match((await page.textContent('#verdict')) ?? '', /^INVALID/);
      const failed = await page.locator('#checks li.fail').allTextContents();
      assert.equal(failed.length, 1);
      assert.match(failed[0] ?? '', /value.*another value/);
      await page.screenshot({ path: path.join(tmp.dir, 'audit-tampered.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('answers POST /proofs/verify with the verdict as JSON', async () => {
    const { readFile } = await import('node:fs/promises');
    const response = await fetch(`${base}/proofs/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: await readFile(goodProof, 'utf8'),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { valid: boolean; checks: unknown[] };
    assert.equal(body.valid, true);
    // the rest of the API still parses JSON bodies
    const health = await fetch(`${base}/ledger/queries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contract: 'Declaration', name: 'GetDeclaration', args: [id], as: 'officer' }),
    });
    assert.equal(health.status, 200);
  });
});

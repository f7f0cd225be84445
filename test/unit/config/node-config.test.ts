import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE, parseNodeConfig } from '../../../node/src/config/node-config';
import { ConfigError } from '../../../node/src/errors';
import { initNodeHome, openNodeHome } from '../../../node/src/home/node-home';
import { temporaryDirectory } from '../../support/test-organizations';

const minimal = { node: { mspId: 'CustomsAMSP', organization: 'Customs Administration A' } };

describe('node config: ledger.maxBlockWaitMs', () => {
  it('defaults to 10 ms', () => {
    assert.equal(parseNodeConfig(minimal, 'test').ledger.maxBlockWaitMs, 10);
  });

  it('takes an operator value from 0 to 1000 ms', () => {
    for (const value of [0, 25, 1000]) {
      assert.equal(
        parseNodeConfig({ ...minimal, ledger: { maxBlockWaitMs: value } }, 'test').ledger.maxBlockWaitMs,
        value,
      );
    }
  });

  it('refuses negative, fractional, too long or non-numeric waits with a ConfigError naming the field', () => {
    for (const value of [-1, 2.5, 1001, '10']) {
      assert.throws(
        () => parseNodeConfig({ ...minimal, ledger: { maxBlockWaitMs: value } }, 'test'),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.code === 'GNC_CONFIG_INVALID' &&
          error.problems.some((p) => p.startsWith('/ledger/maxBlockWaitMs')),
        JSON.stringify(value),
      );
    }
  });

  it('reaches the embedded ledger the node opens', async function () {
    this.timeout(30_000);
    const tmp = await temporaryDirectory('config-wait');
    try {
      await initNodeHome(tmp.dir, { mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
      const file = path.join(tmp.dir, CONFIG_FILE);
      const config = JSON.parse(await readFile(file, 'utf8')) as { ledger?: Record<string, unknown> };
      config.ledger = { ...config.ledger, maxBlockWaitMs: 37 };
      await writeFile(file, JSON.stringify(config));
      const home = await openNodeHome(tmp.dir);
      try {
        assert.equal(home.config.ledger.maxBlockWaitMs, 37);
        // The option the block cutter reads (private to the ledger).
        const embedded = home.ledger.embedded as unknown as { options: { maxBlockWaitMs?: number } };
        assert.equal(embedded.options.maxBlockWaitMs, 37);
      } finally {
        await home.close();
      }
    } finally {
      await tmp.remove();
    }
  });
});

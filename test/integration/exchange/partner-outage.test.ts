import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createTwoAdministrations, type Administration } from '../../../node/src/demo/two-administrations';
import { startExchange, type ExchangeRuntime } from '../../../node/src/exchange/exchange-runtime';
import { openNodeHome, type NodeHome } from '../../../node/src/home/node-home';
import { gnc } from '../../../node/src/gen/gnc';
import { temporaryDirectory } from '../../support/test-organizations';
import { waitFor } from '../../../node/src/util/wait-for';

describe('ExchangeNode', function () {
  this.timeout(120_000);

  describe('a partner down for a while', () => {
    let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
    let administrations: [Administration, Administration];
    const running: Array<{ home: NodeHome; exchange: ExchangeRuntime } | undefined> = [undefined, undefined];

    const start = async (i: 0 | 1) => {
      const home = await openNodeHome(administrations[i].dataDir);
      const exchange = await startExchange(home);
      assert.ok(exchange);
      running[i] = { home, exchange };
      return running[i];
    };
    const stop = async (i: 0 | 1) => {
      const node = running[i];
      running[i] = undefined;
      await node?.exchange.stop();
      await node?.home.close();
    };

    before(async () => {
      tmp = await temporaryDirectory('outage');
      administrations = await createTwoAdministrations(tmp.dir, {
        // One message in flight, quick retries: the test is about order and patience, not speed.
        agreement: { maxInFlight: 1, retry: { maxAttempts: 1000, initialDelayMs: 20, maxDelayMs: 200 } },
      });
    });
    after(async () => {
      await stop(0);
      await stop(1);
      await tmp.remove();
    });

    it('queues messages while the partner is down, then delivers each once, in order, when it is back', async () => {
      const a = await start(0);
      // B is not running: A's sends fail with transient errors and stay queued.
      const sent: string[] = [];
      for (let i = 0; i < 20; i++) {
        sent.push(
          await a.exchange.node.submit('CustomsB', 'transit-seal-events', {
            sealEvent: gnc.v1.SealEvent.create({
              eventId: `seal-event-${i}`,
              sealId: 'ESEAL-1',
              type: gnc.v1.SealEventType.SEAL_EVENT_TYPE_CHECKED_INTACT,
              containerId: `MSCU${randomBytes(2).toString('hex')}`,
            }),
          }),
        );
      }
      await waitFor('a failed attempt to be recorded', async () => {
        const status = await a.exchange.store.status(sent[0] ?? '');
        return status?.lastError ? status : undefined;
      });
      assert.equal((await a.exchange.store.depths()).outbox.CustomsB, 20);
      const queued = await a.exchange.store.status(sent[0] ?? '');
      assert.equal(queued?.state, 'queued');

      const b = await start(1);
      const inbox = await waitFor('B to receive all 20', async () => {
        const entries = await b.exchange.store.inbox(100);
        return entries.length >= 20 ? entries : undefined;
      });
      assert.deepEqual(
        inbox.map((e) => e.messageId),
        sent,
        'every message once, in the order it was queued',
      );
      await waitFor('A to see every receipt', async () => {
        const states = await Promise.all(sent.map((id) => a.exchange.store.status(id)));
        return states.every((s) => s?.state === 'receipted') ? true : undefined;
      });
      assert.equal((await a.exchange.store.depths()).outbox.CustomsB ?? 0, 0);
    });
  });
});

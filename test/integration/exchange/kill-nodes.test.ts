import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTwoAdministrations, type Administration } from '../../../node/src/demo/two-administrations';
import { temporaryDirectory } from '../../support/test-organizations';

/**
 * Two real node processes; the receiver, then the sender, killed with SIGKILL in the middle of a
 * stream of messages, many times. Every message the sender accepted (202) reaches the receiver's
 * inbox exactly once: none lost, none delivered twice to the domestic side; and every one is in an
 * anchor batch on both sides.
 */

const ROUNDS = Number(process.env.GNC_KILL_ROUNDS ?? 6);

interface Running {
  child: ChildProcess;
  url: string;
}

function startNode(administration: Administration): Promise<Running> {
  const bin = path.resolve(__dirname, '../../../../bin/gnc.js');
  const child = spawn(process.execPath, [bin, '--data', administration.dataDir, 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /API listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`${administration.id} exited (${code ?? signal}): ${output}`)));
  });
}

async function kill(running: Running): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

describe('ExchangeNode processes killed with SIGKILL', function () {
  this.timeout(600_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;

  before(async () => {
    tmp = await temporaryDirectory('kill');
  });
  after(async () => tmp.remove());

  it(`delivers every accepted message exactly once over ${ROUNDS} kills of the receiver and the sender`, async () => {
    const [a, b] = await createTwoAdministrations(tmp.dir, {
      agreement: { retry: { maxAttempts: 100_000, initialDelayMs: 20, maxDelayMs: 300 } },
      anchorIntervalMs: 500,
    });
    let sender = await startNode(a);
    let receiver = await startNode(b);
    const accepted = new Set<string>();
    let next = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const victim = round % 2 === 0 ? 'receiver' : 'sender';
        const stopAt = Date.now() + 300 + Math.floor(Math.random() * 700);
        let killed = false;
        // A stream of submissions, 8 at a time, while the victim is killed and restarted.
        const stream = (async () => {
          while (Date.now() < stopAt + 600) {
            const batch = await Promise.all(
              Array.from({ length: 8 }, async () => {
                const i = next++;
                const response = await fetch(`${sender.url}/exchange/messages`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({
                    partnerId: 'CustomsB',
                    utilityBlock: 'transit-seal-events',
                    body: {
                      sealEvent: { eventId: `event-${i}`, sealId: 'ESEAL-1', type: 'SEAL_EVENT_TYPE_CHECKED_INTACT' },
                    },
                  }),
                }).catch(() => undefined);
                if (response?.status !== 202) return undefined;
                return (await response.json()) as { messageId: string };
              }),
            );
            for (const result of batch) if (result) accepted.add(result.messageId);
            if (killed && victim === 'sender') break;
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, stopAt - Date.now()));
        if (victim === 'receiver') {
          await kill(receiver);
          killed = true;
          receiver = await startNode(b);
        } else {
          await kill(sender);
          killed = true;
          await stream;
          sender = await startNode(a);
        }
        await stream;
      }
      assert.ok(accepted.size > ROUNDS * 8, `only ${accepted.size} messages were accepted`);

      // Everything accepted arrives, once.
      const deadline = Date.now() + 120_000;
      let inbox: Array<{ messageId: string }> = [];
      while (Date.now() < deadline) {
        inbox = [];
        let after = 0;
        for (;;) {
          const page = (await (await fetch(`${receiver.url}/exchange/inbox?after=${after}&limit=1000`)).json()) as {
            messages: Array<{ seq: number; messageId: string }>;
          };
          inbox.push(...page.messages);
          if (page.messages.length < 1000) break;
          after = page.messages[page.messages.length - 1]?.seq ?? after;
        }
        if (inbox.length >= accepted.size) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const ids = inbox.map((m) => m.messageId);
      assert.equal(new Set(ids).size, ids.length, 'a message was delivered twice to the domestic side');
      const missing = [...accepted].filter((id) => !ids.includes(id));
      assert.deepEqual(missing, [], `${missing.length} accepted message(s) never arrived`);

      // And each is anchored on both sides: its digest was written with the message, so no kill
      // between storing a message and the next anchor batch can leave it out.
      const unanchored = async (node: Running, direction: 'in' | 'out'): Promise<string[]> => {
        const left: string[] = [];
        for (const id of accepted) {
          const response = await fetch(`${node.url}/exchange/messages/${id}/proof?direction=${direction}`);
          await response.arrayBuffer();
          if (response.status !== 200) left.push(id);
        }
        return left;
      };
      let notAnchored: { in: string[]; out: string[] } = { in: [], out: [] };
      const anchorDeadline = Date.now() + 60_000;
      do {
        notAnchored = { in: await unanchored(receiver, 'in'), out: await unanchored(sender, 'out') };
        if (notAnchored.in.length + notAnchored.out.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      } while (Date.now() < anchorDeadline);
      assert.deepEqual(notAnchored, { in: [], out: [] }, 'accepted messages missing from the anchor batches');
      console.log(
        `      ${accepted.size} messages accepted over ${ROUNDS} kills, each delivered once and anchored on both sides`,
      );
    } finally {
      for (const running of [sender, receiver]) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });
});

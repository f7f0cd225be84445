import { ClassicLevel } from 'classic-level';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { messageFormats } from '../adapters/format';
import { createTwoAdministrations } from '../node/src/demo/two-administrations';
import { startExchange, type ExchangeRuntime } from '../node/src/exchange/exchange-runtime';
import { openNodeHome, type NodeHome } from '../node/src/home/node-home';
import { temporaryDirectory } from '../test/support/test-organizations';
import { editAgreements, loadLine, threadCpuMs, threadShares } from './exchange';
import { paddedInspectionBody } from './padded-inspection';

/**
 * `npm run bench -- exchange-writes`: what the exchange node writes to its LevelDB store per
 * message, on each side, counted by key prefix (o!, a!out!, s!, d!, n!, b!, ...): puts, deletes
 * and bytes (key + value) that go through the store's synced batches, until every message is
 * receipted and anchored. Not a speed figure: the census the libuv-worker CPU of the exchange
 * bench (LevelDB writes, fsync, compaction) follows from.
 *
 * Both nodes run in this process (A sends to B over HTTP/2 with mutual TLS, batch frames, as the
 * exchange bench does); every `ClassicLevel.batch` on a store named `exchange` is counted.
 *
 * `npm run bench -- exchange-writes [--messages 5000] [--security jws|cms] [--format json] [--size 1024]`
 */
export async function exchangeWritesBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '5000' },
      security: { type: 'string', default: 'cms' },
      format: { type: 'string', default: 'json' },
      size: { type: 'string', default: '1024' },
    },
  });
  const messages = Number(values.messages);
  const security = values.security ?? 'cms';
  const format = values.format ?? 'json';
  console.log(`# load before: ${loadLine()}`);
  const tallies = new Map<string, Tally>();
  // Called back with apply and its own `this`, and put back when the bench ends.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const batch = ClassicLevel.prototype.batch;
  // Counted where every store write passes: the array form of batch (the group committer's).
  ClassicLevel.prototype.batch = function (this: ClassicLevel<string, Buffer>, ...args: unknown[]) {
    const ops = args[0];
    if (Array.isArray(ops) && path.basename(this.location) === 'exchange') {
      const side = path.basename(path.dirname(this.location));
      let tally = tallies.get(side);
      if (!tally) tallies.set(side, (tally = new Tally()));
      tally.count(ops as Array<{ type: 'put' | 'del'; key: string; value?: Buffer }>);
    }
    return (batch as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof batch;

  const tmp = await temporaryDirectory('bench-exchange-writes');
  const homes: NodeHome[] = [];
  const runtimes: ExchangeRuntime[] = [];
  try {
    const [a, b] = await createTwoAdministrations(tmp.dir, {
      agreement: { rateLimit: { messagesPerSecond: 1_000_000 } },
      anchorIntervalMs: 200,
    });
    await editAgreements(a, b, security, format);
    for (const administration of [b, a]) {
      const home = await openNodeHome(administration.dataDir);
      homes.push(home);
      const runtime = await startExchange(home);
      if (!runtime) throw new Error(`${administration.id} has no exchange configuration`);
      runtimes.push(runtime);
    }
    const sender = runtimes[1]!;
    const receiver = runtimes[0]!;
    const body = paddedInspectionBody(messageFormats[format]!({})({}), Number(values.size));
    // Opening the stores and starting wrote a little: count from here.
    tallies.clear();
    const threadsAtStart = threadCpuMs('self');
    const started = performance.now();
    const ids: string[] = [];
    for (let sent = 0; sent < messages;) {
      const wave = Math.min(500, messages - sent);
      ids.push(
        ...(await Promise.all(
          Array.from({ length: wave }, () => sender.node.submit('CustomsB', 'inspection-result-sharing', body)),
        )),
      );
      sent += wave;
    }
    // Until every message is receipted, then anchored on both sides.
    for (;;) {
      const last = await sender.store.status(ids[ids.length - 1]!);
      const first = await sender.store.status(ids[0]!);
      if (last?.state === 'receipted' && first?.state === 'receipted') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sender.anchorer.flush();
    await receiver.anchorer.flush();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `both-nodes-cpu-per-message-by-thread: ${threadShares(threadsAtStart, threadCpuMs('self'), messages)} ms (${messages} messages in ${seconds.toFixed(1)} s, anchored)`,
    );
    for (const [side, tally] of [...tallies].sort(([x], [y]) => x.localeCompare(y))) {
      const role = side === 'customs-a' ? 'sender' : 'receiver';
      console.log(`${role}-writes-per-message: ${tally.summary(messages)}`);
      for (const line of tally.byPrefix(messages)) console.log(`${role}-writes-per-message-${line}`);
    }
  } finally {
    ClassicLevel.prototype.batch = batch;
    for (const runtime of runtimes.reverse()) await runtime.stop().catch(() => undefined);
    for (const home of homes) await home.close().catch(() => undefined);
    await tmp.remove();
  }
}

class Tally {
  private readonly prefixes = new Map<string, { puts: number; dels: number; bytes: number }>();
  private batches = 0;

  count(ops: ReadonlyArray<{ type: 'put' | 'del'; key: string; value?: Buffer }>): void {
    this.batches += 1;
    for (const op of ops) {
      // The prefix up to the first '!' (and the direction of a!out!, p!in!, ...).
      const parts = op.key.split('!');
      const prefix = parts[0] === 'a' || parts[0] === 'p' || parts[0] === 'm' ? `${parts[0]}!${parts[1]}` : parts[0]!;
      let entry = this.prefixes.get(prefix);
      if (!entry) this.prefixes.set(prefix, (entry = { puts: 0, dels: 0, bytes: 0 }));
      if (op.type === 'put') {
        entry.puts += 1;
        entry.bytes += op.key.length + (op.value?.length ?? 0);
      } else {
        entry.dels += 1;
        entry.bytes += op.key.length;
      }
    }
  }

  summary(messages: number): string {
    let puts = 0;
    let dels = 0;
    let bytes = 0;
    for (const entry of this.prefixes.values()) {
      puts += entry.puts;
      dels += entry.dels;
      bytes += entry.bytes;
    }
    return `${(puts / messages).toFixed(2)} puts, ${(dels / messages).toFixed(2)} deletes, ${Math.round(bytes / messages)} bytes (${(this.batches / messages).toFixed(3)} synced batches)`;
  }

  byPrefix(messages: number): string[] {
    return [...this.prefixes]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(
        ([prefix, { puts, dels, bytes }]) =>
          `${prefix}: ${(puts / messages).toFixed(3)} puts, ${(dels / messages).toFixed(3)} deletes, ${(bytes / messages).toFixed(0)} bytes`,
      );
  }
}

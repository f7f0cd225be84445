import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { messageFormats } from '../adapters/format';
import { createTwoAdministrations, type Administration } from '../node/src/demo/two-administrations';
import { startExchange, type ExchangeRuntime } from '../node/src/exchange/exchange-runtime';
import type { MessageStore } from '../node/src/exchange/message-store';
import { hasNodeFlags, NODE_FLAGS } from '../node/src/cli/node-flags';
import { lowerV8WorkerPriority, v8WorkerNiceFromEnvironment } from '../node/src/cli/thread-priority';
import { openNodeHome, type NodeHome } from '../node/src/home/node-home';
import { crypto, x509 } from '../node/src/identity/x509-lib';
import { temporaryDirectory } from '../test/support/test-organizations';
import { openLoop } from './open-loop';
import { paddedInspectionBody } from './padded-inspection';

/**
 * Two exchange nodes on this machine, signed and durable, with signed receipts, 1 KB messages.
 *
 * - Receiver: administration B as a real `gnc start` process (its own ledger, store, anchoring,
 *   HTTP API), receiving over HTTP/2 with mutual TLS.
 * - Sender: administration A in THIS process: its data folder opened and its exchange runtime
 *   started with startExchange (store with group commit, anchoring on its embedded ledger), the
 *   driver calling ExchangeNode.submit directly (not through the HTTP API). For RSA the runtime
 *   is handed a view of A's data folder whose MSP folder holds an RSA-2048 certificate issued by
 *   A's CA, so messages are signed with RSA while receipts and the ledger keep the P-256 node key.
 *
 * A message is timed from submit (sealed, durable in the outbox) to receipted (the partner's
 * receipt verified and recorded durably in the sender's store). Figures, per security scheme:
 * - `<scheme>-sustained`: messages/s receipted with `--concurrency` messages submitted and not
 *   yet receipted at any time, counted over `--seconds` after a warm-up;
 * - `<scheme>-p50/p99-at-<rate>/s`: latency at a fixed offered rate (open loop: timed from when
 *   each message was due, so a stall is not hidden by submitting less), over `--latency-seconds`
 *   after `--latency-warmup` seconds of the same paced load (the steady state at that rate);
 * - resident memory of both nodes at rest (started, idle) and the peak under the paced load.
 *
 * `npm run bench -- exchange [--schemes jws-es256,cms-p256,cms-rsa2048] [--seconds 10]
 *  [--warmup 2] [--concurrency 2048] [--rate 1000] [--latency-warmup 2] [--latency-seconds 8] [--size 1024]
 *  [--format json] [--max-in-flight 1024] [--max-batch-messages 256]
 *  [--max-batches-in-flight 4] [--anchor-interval-ms 1000] [--openssl-seconds 3]`
 */

interface Scheme {
  name: string;
  security: 'jws' | 'cms';
  key: 'node' | 'rsa2048';
  /** Label for the figure lines. */
  signature: string;
}

const SCHEMES: Record<string, Scheme> = {
  'jws-es256': { name: 'jws-es256', security: 'jws', key: 'node', signature: 'JWS ES256 (jose), ECDSA P-256' },
  'cms-p256': { name: 'cms-p256', security: 'cms', key: 'node', signature: 'CMS SignedData, ECDSA P-256' },
  'cms-rsa2048': { name: 'cms-rsa2048', security: 'cms', key: 'rsa2048', signature: 'CMS SignedData, RSA-2048' },
};

export async function exchangeBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      schemes: { type: 'string', default: 'jws-es256,cms-p256,cms-rsa2048' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      /** Messages submitted and not yet receipted: twice the window, so the outbox never runs dry. */
      concurrency: { type: 'string', default: '2048' },
      rate: { type: 'string', default: '1000' },
      'latency-warmup': { type: 'string', default: '2' },
      'latency-seconds': { type: 'string', default: '8' },
      size: { type: 'string', default: '1024' },
      format: { type: 'string', default: 'json' },
      'max-in-flight': { type: 'string', default: '1024' },
      /** Agreement maxBatchMessages (1: every message in its own request, as before batch frames). */
      'max-batch-messages': { type: 'string', default: '256' },
      'max-batches-in-flight': { type: 'string', default: '4' },
      /** How often both nodes anchor (a long interval takes anchoring out of the latency figures, to compare). */
      'anchor-interval-ms': { type: 'string', default: '1000' },
      'openssl-seconds': { type: 'string', default: '3' },
      /** Write a CPU profile of the receiver process into this folder (node --cpu-prof). */
      'receiver-cpu-prof': { type: 'string' },
      /** Write a CPU profile of this process (the sender) during the sustained runs into this folder. */
      'sender-cpu-prof': { type: 'string' },
    },
  });
  const settings: Settings = {
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    concurrency: Number(values.concurrency),
    rate: Number(values.rate),
    latencyWarmup: Number(values['latency-warmup']),
    latencySeconds: Number(values['latency-seconds']),
    size: Number(values.size),
    format: values.format ?? 'json',
    maxInFlight: Number(values['max-in-flight']),
    maxBatchMessages: Number(values['max-batch-messages']),
    maxBatchesInFlight: Number(values['max-batches-in-flight']),
    anchorIntervalMs: Number(values['anchor-interval-ms']),
    ...(values['receiver-cpu-prof'] ? { receiverCpuProf: path.resolve(values['receiver-cpu-prof']) } : {}),
    ...(values['sender-cpu-prof'] ? { senderCpuProf: path.resolve(values['sender-cpu-prof']) } : {}),
  };
  const schemes = (values.schemes ?? '').split(',').filter(Boolean);
  for (const name of schemes)
    if (!SCHEMES[name]) throw new Error(`unknown scheme '${name}'; known: ${Object.keys(SCHEMES).join(', ')}`);

  const senderFlags = hasNodeFlags() ? NODE_FLAGS.join(' ') : "none (not `gnc start`'s)";
  // The sender gets what `gnc start` does for the receiver (the same environment reaches both).
  const workerNice = v8WorkerNiceFromEnvironment();
  const lowered = lowerV8WorkerPriority(workerNice);
  console.log(`# load before: ${loadLine()}`);
  // openssl first, while nothing else of this benchmark runs.
  const opensslSeconds = Number(values['openssl-seconds']);
  const rsaSign = schemes.includes('cms-rsa2048') ? opensslRsaSign(opensslSeconds) : undefined;
  console.log(
    `# receiver: administration B as a \`gnc start\` process; sender: administration A's exchange runtime in this process, driven by ExchangeNode.submit; this process's V8 flags: ${senderFlags}; V8 worker threads of both at nice ${workerNice} (GNC_V8_WORKER_NICE; ${lowered} lowered here)`,
  );
  console.log(
    `# HTTP/2 + mutual TLS on 127.0.0.1, format ${settings.format}, ${settings.size}-byte encoded envelopes (inspection, padded remarks), receipts signed with the node's P-256 key; agreement maxInFlight ${settings.maxInFlight}, maxBatchMessages ${settings.maxBatchMessages}, maxBatchesInFlight ${settings.maxBatchesInFlight}, rate limit raised to 1,000,000/s, anchoring every ${settings.anchorIntervalMs} ms on both nodes`,
  );
  for (const name of schemes) {
    await runScheme(SCHEMES[name]!, settings, name === 'cms-rsa2048' ? rsaSign : undefined, name === schemes[0]);
  }
  console.log(`# load after: ${loadLine()}`);
}

interface Settings {
  seconds: number;
  warmup: number;
  concurrency: number;
  rate: number;
  latencyWarmup: number;
  latencySeconds: number;
  size: number;
  format: string;
  maxInFlight: number;
  maxBatchMessages: number;
  maxBatchesInFlight: number;
  anchorIntervalMs: number;
  receiverCpuProf?: string;
  senderCpuProf?: string;
}

async function runScheme(
  scheme: Scheme,
  settings: Settings,
  opensslSign: number | undefined,
  first: boolean,
): Promise<void> {
  const tmp = await temporaryDirectory(`bench-exchange-${scheme.name}`);
  let receiver: Receiver | undefined;
  let home: NodeHome | undefined;
  let runtime: ExchangeRuntime | undefined;
  try {
    const [a, b] = await createTwoAdministrations(tmp.dir, {
      agreement: {
        maxInFlight: settings.maxInFlight,
        maxBatchMessages: settings.maxBatchMessages,
        maxBatchesInFlight: settings.maxBatchesInFlight,
        rateLimit: { messagesPerSecond: 1_000_000 },
      },
      anchorIntervalMs: settings.anchorIntervalMs,
    });
    await editAgreements(a, b, scheme.security, settings.format);
    receiver = await startReceiver(b, settings.receiverCpuProf);
    home = await openNodeHome(a.dataDir);
    const view = scheme.key === 'rsa2048' ? await withRsaSigningKey(home) : home;
    runtime = await startExchange(view);
    if (!runtime) throw new Error('administration A has no exchange configuration');
    const watch = new ReceiptWatch(runtime.store);
    const body = paddedInspectionBody(messageFormats[settings.format]!({})({}), settings.size);
    const submit = () => runtime!.node.submit('CustomsB', 'inspection-result-sharing', body);
    const memory = new MemorySampler(receiver.child.pid!);

    // At rest: both nodes started, nothing exchanged yet.
    await sleep(1000);
    const rest = memory.now();
    // The sender is this process: after an earlier scheme its heap still holds that run's memory.
    const earlier = first ? '' : ' (this process, after the schemes before)';
    console.log(`${scheme.name}-sender-rss-at-rest: ${mb(rest.sender)} MB${earlier}`);
    console.log(`${scheme.name}-receiver-rss-at-rest: ${mb(rest.receiver)} MB`);

    // Warm-up (JIT, HTTP/2 session, caches), then the paced run first: after the throughput run
    // the heaps hold its garbage, whose collection would land in the latency figures.
    await closedLoop(submit, watch, settings.concurrency, settings.warmup);
    // Then the paced load itself for --latency-warmup seconds, not counted: the figure is the
    // steady state at that rate. Right after the warm-up's burst (~11,000 messages in 2 s) both
    // nodes were still collecting its garbage and compacting its writes, and a trace of the slow
    // messages found most of them in one cluster in the first 1.2 s of the paced run.
    await openLoop(async () => void (await watch.when(await submit())), settings.rate, settings.latencyWarmup);
    memory.start();
    // Submit to receipted: the operation ends when the receipt is stored, not when submit returns.
    // How long the sender's event loop was held up (by GC, anchoring, a long task) while paced:
    // a stall there shows in the tail of the latencies.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    // Per stage, to find which one makes the tail: from the call to submit's return (encoded,
    // sealed, durable in the outbox), and from there to the receipt stored (frame, receiver,
    // receipt verified and made durable).
    const submitStage: number[] = [];
    const receiptStage: number[] = [];
    const latencies = await openLoop(
      async () => {
        const called = performance.now();
        const messageId = await submit();
        const submitted = performance.now();
        submitStage.push(submitted - called);
        await watch.when(messageId);
        receiptStage.push(performance.now() - submitted);
      },
      settings.rate,
      settings.latencySeconds,
    );
    loopDelay.disable();
    for (const [stage, values] of [
      ['submit-durable', submitStage],
      ['submitted-to-receipted', receiptStage],
    ] as const) {
      values.sort((x, y) => x - y);
      const at = (p: number) =>
        (values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0).toFixed(2);
      console.log(`${scheme.name}-stage-${stage}-at-${settings.rate}/s: p50 ${at(50)} ms, p99 ${at(99)} ms`);
    }
    const loaded = memory.stop();
    latencies.sort((x, y) => x - y);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    console.log(`${scheme.name}-p50-at-${settings.rate}/s: ${pct(50).toFixed(2)} ms`);
    console.log(`${scheme.name}-p99-at-${settings.rate}/s: ${pct(99).toFixed(2)} ms`);
    console.log(`${scheme.name}-max-at-${settings.rate}/s: ${(latencies[latencies.length - 1] ?? 0).toFixed(2)} ms`);
    console.log(
      `${scheme.name}-sender-event-loop-delay-at-${settings.rate}/s: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
    );
    console.log(`${scheme.name}-sender-rss-at-${settings.rate}/s: ${mb(loaded.sender)} MB (peak)`);
    console.log(`${scheme.name}-receiver-rss-at-${settings.rate}/s: ${mb(loaded.receiver)} MB (peak)`);

    memory.start();
    const profiler = settings.senderCpuProf ? await startProfile() : undefined;
    const cpu = new CpuMeter(receiver.child.pid!);
    let threadsAtStart = { sender: new Map<string, number>(), receiver: new Map<string, number>() };
    const sustained = await closedLoop(submit, watch, settings.concurrency, settings.warmup, settings.seconds, () => {
      cpu.start();
      threadsAtStart = { sender: threadCpuMs('self'), receiver: threadCpuMs(receiver!.child.pid!) };
    });
    const cpuMs = cpu.stop();
    const threadsAtEnd = { sender: threadCpuMs('self'), receiver: threadCpuMs(receiver.child.pid!) };
    if (profiler) await profiler.stop(path.join(settings.senderCpuProf!, `sender-${scheme.name}.cpuprofile`));
    const busy = memory.stop();
    console.log(
      `${scheme.name}-sustained: ${Math.round(sustained.rate)} messages/s (${scheme.signature}; ${sustained.messages} receipted in ${sustained.seconds.toFixed(1)} s, ${settings.concurrency} outstanding)`,
    );
    console.log(
      `${scheme.name}-cpu-per-message: sender ${(cpuMs.sender / sustained.messages).toFixed(3)} ms, receiver ${(cpuMs.receiver / sustained.messages).toFixed(3)} ms (all threads, user + system, during the sustained count)`,
    );
    for (const side of ['sender', 'receiver'] as const) {
      console.log(
        `${scheme.name}-${side}-cpu-per-message-by-thread: ${threadShares(threadsAtStart[side], threadsAtEnd[side], sustained.messages)} ms`,
      );
    }
    console.log(`${scheme.name}-rss-peak-sustained: sender ${mb(busy.sender)} MB, receiver ${mb(busy.receiver)} MB`);
    if (scheme.key === 'rsa2048') {
      // One RSA signature per message (the message's CMS signature); receipts are P-256.
      if (opensslSign !== undefined) {
        console.log(`openssl-speed-rsa2048-sign: ${Math.round(opensslSign)} signs/s (one core)`);
        console.log(
          `${scheme.name}-goal: ${Math.round(opensslSign * 0.6)} messages/s (60% of one core, 1 RSA signature a message)`,
        );
      } else console.log('# openssl not found: no `openssl speed rsa2048` figure');
    }
  } finally {
    await runtime?.stop().catch(() => undefined);
    await home?.close().catch(() => undefined);
    if (receiver) await receiver.stop();
    await tmp.remove();
  }
}

// ---- the two administrations ------------------------------------------------------------------

/** A sends to B over HTTP/2 (B's inbound) with `security` and `format`; B expects exactly that. */
export async function editAgreements(
  a: Administration,
  b: Administration,
  security: string,
  format: string,
): Promise<void> {
  const edit = async (file: string, change: (agreement: Record<string, Record<string, unknown>>) => void) => {
    const agreement = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
    change(agreement);
    await writeFile(file, JSON.stringify(agreement, null, 2));
  };
  await edit(path.join(a.dataDir, 'partners', 'CustomsB.json'), (agreement) => {
    agreement.security = { scheme: security };
    agreement.format = { kind: format };
  });
  await edit(path.join(b.dataDir, 'partners', 'CustomsA.json'), (agreement) => {
    agreement.inbound = { ...agreement.inbound, security, format };
  });
}

/**
 * Issues an RSA-2048 signing certificate from A's CA into a second MSP folder and returns a view
 * of A's data folder naming it: startExchange reads the security schemes' keys from
 * config.node.mspDir, while the node identity (receipts, ledger) was already loaded from the
 * original folder.
 */
async function withRsaSigningKey(home: NodeHome): Promise<NodeHome> {
  const caPem = await readFile(path.join(home.dataDir, 'msp', 'ca', 'ca.pem'), 'utf8');
  const caKeyPem = await readFile(path.join(home.dataDir, 'msp', 'ca', 'ca-key.pem'), 'utf8');
  const caCert = new x509.X509Certificate(caPem);
  const p256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const caKey = await crypto.subtle.importKey('pkcs8', pemBody(caKeyPem), p256, false, ['sign']);
  const rsa = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const keys = await crypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const day = 24 * 60 * 60 * 1000;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: `1${Date.now().toString(16)}`,
      subject: `CN=bench-rsa.${home.config.node.mspId.toLowerCase()}, O=${home.config.node.organization}`,
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - day),
      notAfter: new Date(Date.now() + 30 * day),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: p256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const dir = path.join(home.dataDir, 'msp', 'bench-rsa2048');
  await mkdir(path.join(dir, 'signcerts'), { recursive: true });
  await mkdir(path.join(dir, 'keystore'), { recursive: true });
  await writeFile(path.join(dir, 'signcerts', 'cert.pem'), cert.toString('pem') + '\n');
  await writeFile(
    path.join(dir, 'keystore', 'priv_sk'),
    `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`,
    { mode: 0o600 },
  );
  return { ...home, config: { ...home.config, node: { ...home.config.node, mspDir: dir } } };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

interface Receiver {
  child: ChildProcess;
  stop(): Promise<void>;
}

function startReceiver(administration: Administration, cpuProfileDir?: string): Promise<Receiver> {
  const bin = path.resolve(__dirname, '../../bin/gnc.js');
  const profile = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
  const child = spawn(process.execPath, [...profile, bin, '--data', administration.dataDir, 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    let started = false;
    const onData = (chunk: Buffer) => {
      if (started) {
        // The node logs failed sends and rejections as JSON lines: show a few, they explain a bad figure.
        const text = chunk.toString();
        if (/"event":"rejected"/.test(text) && output.length < 4000) {
          output += text;
          process.stderr.write(`receiver: ${text}`);
        }
        return;
      }
      output += chunk.toString();
      if (/API listening on/.test(output)) {
        started = true;
        output = '';
        resolve({ child, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`${administration.id} exited (${code ?? signal}): ${output}`));
    });
  });
}

// ---- messages ---------------------------------------------------------------------------------

/** How long a message may wait for its receipt before the bench gives up (retries included). */
const RECEIPT_TIMEOUT_MS = 60_000;

/** Records when each message was receipted, by wrapping the sender's store. */
class ReceiptWatch {
  receipted = 0;
  private readonly done = new Map<string, number>();
  private readonly waiting = new Map<
    string,
    { resolve: (at: number) => void; reject: (error: Error) => void; deadline: number; timeoutMs: number }
  >();
  /**
   * One timer for every waiting message (a timer each would be bench work in the sender's
   * figures): it rejects those past their deadline, and stops when nothing waits.
   */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(store: MessageStore) {
    const markReceipted = store.markReceipted.bind(store);
    store.markReceipted = async (entry, receipt, digest) => {
      await markReceipted(entry, receipt, digest);
      this.record(entry.messageId, performance.now());
    };
    // Over http the messages leave in batch frames, receipted together by one batch receipt.
    const markReceiptedBatch = store.markReceiptedBatch.bind(store);
    store.markReceiptedBatch = async (items, receipt) => {
      await markReceiptedBatch(items, receipt);
      const at = performance.now();
      for (const { entry } of items) this.record(entry.messageId, at);
    };
  }

  private record(messageId: string, at: number): void {
    this.receipted++;
    const waiter = this.waiting.get(messageId);
    if (waiter) {
      this.waiting.delete(messageId);
      waiter.resolve(at);
    } else this.done.set(messageId, at);
  }

  /**
   * Resolves with the time (performance.now) the message was receipted; rejects when no receipt
   * came within `timeoutMs` (to a second), so a receiver that stopped answering ends the bench
   * with an error instead of holding it (and the machine) forever.
   */
  when(messageId: string, timeoutMs = RECEIPT_TIMEOUT_MS): Promise<number> {
    const at = this.done.get(messageId);
    if (at !== undefined) {
      this.done.delete(messageId);
      return Promise.resolve(at);
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(messageId, { resolve, reject, deadline: performance.now() + timeoutMs, timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), 1000).unref();
    });
  }

  private sweep(): void {
    const now = performance.now();
    for (const [messageId, waiter] of this.waiting) {
      if (waiter.deadline > now) continue;
      this.waiting.delete(messageId);
      waiter.reject(
        new Error(
          `no receipt for message ${messageId} within ${waiter.timeoutMs / 1000} s: the receiver stopped answering ` +
            `(see its output above, or the sender's dead letters)`,
        ),
      );
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

// ---- load -------------------------------------------------------------------------------------

/**
 * `concurrency` workers, each submitting a message and waiting for its receipt; after `warmup`
 * seconds, counts receipts for `seconds` (none: warm-up only).
 */
async function closedLoop(
  submit: () => Promise<string>,
  watch: ReceiptWatch,
  concurrency: number,
  warmup: number,
  seconds = 0,
  onCountStart: () => void = () => undefined,
): Promise<{ rate: number; messages: number; seconds: number }> {
  let running = true;
  let failure: Error | undefined;
  const workers = Array.from({ length: concurrency }, async () => {
    try {
      while (running) await watch.when(await submit());
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
      running = false;
    }
  });
  const stopOnFailure = async (): Promise<void> => {
    if (failure === undefined) return;
    await Promise.all(workers);
    throw failure;
  };
  await sleep(warmup * 1000);
  await stopOnFailure();
  const count0 = watch.receipted;
  const t0 = performance.now();
  onCountStart();
  await sleep(seconds * 1000);
  const messages = watch.receipted - count0;
  const elapsed = (performance.now() - t0) / 1000;
  running = false;
  await Promise.all(workers);
  await stopOnFailure();
  return { rate: elapsed > 0 ? messages / elapsed : 0, messages, seconds: elapsed };
}

// ---- memory, load, openssl --------------------------------------------------------------------

/** Resident memory of this process (the sender) and of the receiver process, peak while started. */
class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = { sender: 0, receiver: 0 };

  constructor(private readonly receiverPid: number) {}

  now(): { sender: number; receiver: number } {
    // memoryUsage.rss(), not memoryUsage(): the latter walks the heap's spaces, in the measured process.
    return { sender: process.memoryUsage.rss(), receiver: vmRss(this.receiverPid) };
  }

  start(): void {
    this.peak = this.now();
    this.timer = setInterval(() => {
      const { sender, receiver } = this.now();
      this.peak = { sender: Math.max(this.peak.sender, sender), receiver: Math.max(this.peak.receiver, receiver) };
    }, 100);
  }

  stop(): { sender: number; receiver: number } {
    clearInterval(this.timer);
    return this.peak;
  }
}

/** CPU time (user + system, every thread) of this process (the sender) and of the receiver process, in ms. */
class CpuMeter {
  private begin = { sender: 0, receiver: 0 };

  constructor(private readonly receiverPid: number) {}

  start(): void {
    this.begin = this.now();
  }

  stop(): { sender: number; receiver: number } {
    const end = this.now();
    return { sender: end.sender - this.begin.sender, receiver: end.receiver - this.begin.receiver };
  }

  private now(): { sender: number; receiver: number } {
    const { user, system } = process.cpuUsage();
    return { sender: (user + system) / 1000, receiver: processCpuMs(this.receiverPid) };
  }
}

/**
 * CPU time (ms) of each kind of thread of a process, by thread name (main `node`, `libuv-worker`
 * for the thread pool that runs LevelDB reads and synced writes, LevelDB's own compaction thread,
 * V8's GC helpers, worker threads), from /proc; empty when unreadable.
 */
export function threadCpuMs(pid: number | 'self'): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    // A thread that ended while being read: what was read so far.
  }
  return byName;
}

/** Where one side's CPU went, per message, by thread name (largest first, those over 1% of it). */
export function threadShares(begin: Map<string, number>, end: Map<string, number>, messages: number): string {
  const spent = [...end].map(([name, ms]) => [name, ms - (begin.get(name) ?? 0)] as const);
  const total = spent.reduce((sum, [, ms]) => sum + ms, 0);
  return spent
    .filter(([, ms]) => ms > total / 100)
    .sort((x, y) => y[1] - x[1])
    .map(([name, ms]) => `${name} ${(ms / messages).toFixed(3)}`)
    .join(', ');
}

/** utime + stime of a process from /proc (clock ticks of 10 ms on Linux), in ms; 0 when unreadable. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** VmRSS of a process, in bytes (0 when unreadable). */
function vmRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}

export function loadLine(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;
}

/** Parses `openssl speed -seconds N rsa2048` for the sign/s figure; undefined without openssl. */
function opensslRsaSign(seconds: number): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', String(Math.max(1, Math.round(seconds))), 'rsa2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const line = out.split('\n').find((l) => /^rsa\s+2048 bits/.test(l.trim()));
    const cols = line?.trim().split(/\s+/);
    const value = cols ? Number(cols[cols.length - 2]) : NaN;
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Profiles this process until stop() writes the profile (Chrome DevTools format). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `npm run bench -- message-path`: the CPU the exchange node spends on one message inside the
 * adapters, step by step, on one core (sequential calls, no I/O): what stays per message once the
 * wire carries batches (one HTTP request and one receipt per batch).
 *
 * The message is the exchange bench's: an inspection under the inspection-result-sharing Utility
 * Block whose envelope encodes to `--size` bytes (1 KB) in the chosen format, its verdict carrying
 * an officer id the data set strips on the way out. Every step is called as ExchangeNode calls it:
 *
 * - sender: data minimisation of the body (`minimise`), format encode, security seal;
 * - receiver: security open, format decode, the data-set check (`check-data-set`), and the
 *   re-encoding of the decoded envelope to protobuf for the store (`store-encode`, ExchangeNode's).
 *
 * Figures are microseconds per message (`<step>: <us> us/msg (<min>-<max>; cpu <us>)`): the wall
 * time of the median of `--windows` windows of `--seconds`, the lowest and highest beside it (this
 * VM swings with whatever else runs), and the CPU of the whole process per message in the median
 * window (RSA signing runs on libuv's pool, so its CPU is not the main thread's wall time). Then
 * the sum of the steps' CPU per side for every scheme and format, and the same path timed end to
 * end (one call after another) as a check on the sum. node:crypto's sign and verify alone are
 * printed for reference: the floor a scheme cannot go below.
 *
 * `npm run bench -- message-path [--seconds 1] [--windows 3] [--size 1024]
 *  [--schemes jws-es256,cms-p256,cms-rsa2048] [--formats json,protobuf] [--only <step substring>]`
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { messageFormats, type MessageFormat } from '../adapters/format';
import { checkDataSet, minimiseBody, utilityBlocks } from '../adapters/gnc';
import { cmsScheme } from '../adapters/security/cms';
import { jwsScheme } from '../adapters/security/jws';
import type { PartnerKeys, SecurityScheme } from '../adapters/security/security-scheme';
import { gnc } from '../node/src/gen/gnc';
import { createTestCa, type KeyKind } from '../test/unit/adapters/security/pki';
import { benchHeader, paddedInspectionBody } from './padded-inspection';

interface SchemeSpec {
  readonly factory: typeof cmsScheme;
  readonly kind: KeyKind;
}

const SCHEMES: Readonly<Record<string, SchemeSpec>> = {
  'jws-es256': { factory: jwsScheme, kind: 'ec' },
  'cms-p256': { factory: cmsScheme, kind: 'ec' },
  'cms-rsa2048': { factory: cmsScheme, kind: 'rsa' },
};

const BLOCK = utilityBlocks['inspection-result-sharing']!;

interface Figure {
  median: number;
  low: number;
  high: number;
  /** CPU of the whole process (every thread: RSA signing runs on libuv's pool) per call, median window. */
  cpu: number;
}

/**
 * Microseconds per call: median, lowest and highest of `windows` windows of `seconds` (wall
 * clock, one call after another), and the process CPU per call in the median window.
 */
async function usPerCall(seconds: number, windows: number, op: () => unknown, perOp = 1): Promise<Figure> {
  // Warm up (JIT, caches) for a fifth of a window before counting.
  const warmEnd = performance.now() + seconds * 200;
  while (performance.now() < warmEnd) await op();
  const figures: { wall: number; cpu: number }[] = [];
  for (let w = 0; w < windows; w++) {
    let n = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    let now = start;
    while (now < end) {
      // Timing every call would cost as much as the short steps: check the clock every 16 calls.
      for (let i = 0; i < 16; i++) await op();
      n += 16;
      now = performance.now();
    }
    const cpu = process.cpuUsage(cpuStart);
    figures.push({ wall: ((now - start) * 1000) / (n * perOp), cpu: (cpu.user + cpu.system) / (n * perOp) });
  }
  figures.sort((a, b) => a.wall - b.wall);
  const median = figures[Math.floor(figures.length / 2)]!;
  return { median: median.wall, cpu: median.cpu, low: figures[0]!.wall, high: figures[figures.length - 1]!.wall };
}

function print(name: string, f: Figure): void {
  console.log(
    `${name}: ${f.median.toFixed(1)} us/msg (${f.low.toFixed(1)}-${f.high.toFixed(1)}; cpu ${f.cpu.toFixed(1)})`,
  );
}

/** The envelope ExchangeNode.submit builds around a minimised body (same header fields). */
function envelopeOf(body: Omit<gnc.v1.IEnvelope, 'header'>): gnc.v1.Envelope {
  const kept = minimiseBody(BLOCK, body).kept;
  return gnc.v1.Envelope.fromObject({
    [BLOCK.bodyKind]: kept,
    header: benchHeader(),
  });
}

async function schemePair(
  spec: SchemeSpec,
): Promise<{ sender: SecurityScheme; receiver: SecurityScheme; toB: PartnerKeys; fromA: PartnerKeys }> {
  const ca = await createTestCa('Bench');
  const [a, b] = await Promise.all([
    ca.issue({ commonName: 'a', kind: spec.kind }),
    ca.issue({ commonName: 'b', kind: spec.kind }),
  ]);
  const partner = (id: string): PartnerKeys => ({ partnerId: id, trustAnchorsPem: [ca.certificatePem] });
  return {
    sender: spec.factory({})({ keys: a }),
    receiver: spec.factory({})({ keys: b }),
    toB: partner('B'),
    fromA: partner('A'),
  };
}

/** Runs the message-path benchmark. */
export async function messagePathBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '1' },
      windows: { type: 'string', default: '3' },
      size: { type: 'string', default: '1024' },
      schemes: { type: 'string', default: Object.keys(SCHEMES).join(',') },
      formats: { type: 'string', default: 'json,protobuf' },
      only: { type: 'string', default: '' },
    },
  });
  const seconds = Number(values.seconds) || 1;
  const windows = Math.max(1, Number(values.windows) || 3);
  const size = Number(values.size) || 1024;
  const schemes = values.schemes.split(',').filter(Boolean);
  const formats = values.formats.split(',').filter(Boolean);
  for (const s of schemes)
    if (!SCHEMES[s]) throw new Error(`unknown scheme '${s}'; known: ${Object.keys(SCHEMES).join(', ')}`);
  for (const f of formats) if (!messageFormats[f]) throw new Error(`unknown format '${f}'`);
  const wanted = (name: string) => values.only === '' || name.includes(values.only);
  console.log(
    `# one core, sequential; ${size}-byte envelopes (inspection, padded remarks); median (min-max) of ${windows} x ${seconds} s; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const steps = new Map<string, number>();
  const measure = async (name: string, op: () => unknown, perOp = 1): Promise<void> => {
    if (!wanted(name)) return;
    const f = await usPerCall(seconds, windows, op, perOp);
    steps.set(name, f.cpu);
    print(name, f);
  };

  // ---- format and data set, per format ----
  const samples = new Map<
    string,
    { format: MessageFormat; body: Omit<gnc.v1.IEnvelope, 'header'>; bytes: Uint8Array }
  >();
  for (const name of formats) {
    const format = messageFormats[name]!({})({});
    const body = paddedInspectionBody(format, size);
    const bytes = format.encode(envelopeOf(body));
    samples.set(name, { format, body, bytes });
    await measure(`sender minimise (${name} body)`, () => envelopeOf(body));
    const envelope = envelopeOf(body);
    await measure(`sender encode ${name}`, () => format.encode(envelope));
    await measure(`receiver decode ${name}`, () => format.decode(bytes));
    const decoded = format.decode(bytes);
    await measure(`receiver check-data-set (${name})`, () => checkDataSet(BLOCK, decoded));
    await measure(`receiver store-encode (${name})`, () => gnc.v1.Envelope.encode(decoded).finish());
  }

  // ---- the arithmetic alone, for reference: what a scheme cannot go below ----
  if (wanted('node:crypto')) {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const data = randomBytes(size);
    const ecSig = sign('sha256', data, ec.privateKey);
    const rsaSig = sign('sha256', data, rsa.privateKey);
    await measure('node:crypto p256 sign', () => sign('sha256', data, ec.privateKey));
    await measure('node:crypto p256 verify', () => verify('sha256', data, ec.publicKey, ecSig));
    await measure('node:crypto rsa2048 sign', () => sign('sha256', data, rsa.privateKey));
    await measure('node:crypto rsa2048 verify', () => verify('sha256', data, rsa.publicKey, rsaSig));
  }

  // ---- security, per scheme ----
  const sealed = new Map<string, Uint8Array>();
  const pairs = new Map<string, Awaited<ReturnType<typeof schemePair>>>();
  const first = samples.values().next().value!;
  for (const name of schemes) {
    const pair = await schemePair(SCHEMES[name]!);
    pairs.set(name, pair);
    const bytes = await pair.sender.seal(first.bytes, pair.toB);
    sealed.set(name, bytes);
    await measure(`sender seal ${name}`, () => pair.sender.seal(first.bytes, pair.toB));
    await measure(`receiver open ${name}`, () => pair.receiver.open(bytes, pair.fromA));
    if (name === 'cms-rsa2048') {
      // RSA signs on libuv's pool: with several messages in flight, as in the node, the hop there
      // and back is shared; one at a time it is paid per message.
      const inFlight = Array.from({ length: 8 }, () => first.bytes);
      await measure(
        `sender seal ${name} (8 in flight)`,
        () => Promise.all(inFlight.map((b) => pair.sender.seal(b, pair.toB))),
        inFlight.length,
      );
    }
  }

  // ---- sums per side, and the same path end to end ----
  for (const scheme of schemes) {
    const pair = pairs.get(scheme)!;
    for (const formatName of formats) {
      const { format, body } = samples.get(formatName)!;
      const sum = (side: string, names: string[]) => {
        const parts = names.map((n) => steps.get(n));
        if (parts.some((p) => p === undefined)) return;
        const total = (parts as number[]).reduce((a, b) => a + b, 0);
        console.log(`${side} ${scheme} ${formatName} (sum of steps, cpu): ${total.toFixed(1)} us/msg`);
      };
      sum('sender', [`sender minimise (${formatName} body)`, `sender encode ${formatName}`, `sender seal ${scheme}`]);
      sum('receiver', [
        `receiver open ${scheme}`,
        `receiver decode ${formatName}`,
        `receiver check-data-set (${formatName})`,
        `receiver store-encode (${formatName})`,
      ]);
      const wire = await pair.sender.seal(format.encode(envelopeOf(body)), pair.toB);
      await measure(`sender ${scheme} ${formatName} (end to end)`, async () =>
        pair.sender.seal(format.encode(envelopeOf(body)), pair.toB),
      );
      await measure(`receiver ${scheme} ${formatName} (end to end)`, async () => {
        const opened = await pair.receiver.open(wire, pair.fromA);
        const envelope = format.decode(opened.payload);
        checkDataSet(BLOCK, envelope);
        return gnc.v1.Envelope.encode(envelope).finish();
      });
    }
  }
}

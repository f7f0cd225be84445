import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { transports } from '../adapters/transport';
import { issueTransportCertificate } from '../adapters/transport/tls-certificates';
import type { Transport, TransportPeer } from '../adapters/transport/transport';
import { createCertificateAuthority } from '../node/src/identity';
import { openLoop } from './open-loop';

/**
 * The transports alone, without security, format or store: two transports (sender and
 * receiver) in ONE process, talking over 127.0.0.1 loopback, so both ends share this process's
 * event loop and CPU. 1 KB messages; the receiver answers each with a 32-byte digest (the size
 * of a receipt's core). Figures:
 * - `<t>-throughput`: messages/s with `--concurrency` messages in flight;
 * - `<t>-p50/p99-at-<rate>/s`: latency at a fixed offered rate (open loop: each message is
 *   timed from when it was due, so a stall is not hidden by sending less).
 *
 * `npm run bench -- transport [--transports http,libp2p] [--messages 50000] [--concurrency 256]
 *  [--rate 1000] [--seconds 10] [--size 1024]`
 */
export async function transportBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      transports: { type: 'string', default: 'http,libp2p' },
      messages: { type: 'string', default: '50000' },
      concurrency: { type: 'string', default: '256' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      size: { type: 'string', default: '1024' },
    },
  });
  const total = Number(values.messages);
  const concurrency = Number(values.concurrency);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const size = Number(values.size);
  console.log('# both transports in one process on 127.0.0.1 loopback; no security scheme, format or store');

  const caA = await createCertificateAuthority({ mspId: 'BenchAMSP', organization: 'Bench A' });
  const caB = await createCertificateAuthority({ mspId: 'BenchBMSP', organization: 'Bench B' });
  for (const name of (values.transports ?? '').split(',').filter(Boolean)) {
    const factory = transports[name];
    if (!factory) throw new Error(`unknown transport '${name}'; known: ${Object.keys(transports).join(', ')}`);
    // Ed25519 serves both: libp2p needs it, and http works with it as well as with P-256.
    const keyType = name === 'libp2p' ? 'Ed25519' : 'P-256';
    const idA = await issueTransportCertificate(caA, { commonName: 'bench.A', keyType });
    const idB = await issueTransportCertificate(caB, { commonName: 'bench.B', keyType });
    const peersOfB: TransportPeer[] = [];
    const sender = factory({})({ ...idA, peers: () => [] });
    const receiver = factory({})({ ...idB, peers: () => peersOfB });
    const endpointB = await receiver.start(({ bytes }) =>
      Promise.resolve(new Uint8Array(createHash('sha256').update(bytes).digest())),
    );
    const endpointA = await sender.start(() => Promise.resolve(new Uint8Array()));
    peersOfB.push(peerOf('A', endpointA, caA.caCertificatePem, idA.peerId));
    const toB = peerOf('B', endpointB, caB.caCertificatePem, idB.peerId);
    try {
      const payload = new Uint8Array(size).fill(0x61);
      await closedLoop(sender, toB, payload, 2_000, concurrency); // warm-up: JIT, TLS session, buffers
      // Latency first: after the throughput run the heap holds that run's garbage, and its
      // collection (both ends share this process) would land in the latency figures.
      const latencies = await openLoop(() => sender.send(toB, payload), rate, seconds);
      latencies.sort((a, b) => a - b);
      const pct = (p: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
      console.log(`${name}-p50-at-${rate}/s: ${pct(50).toFixed(2)} ms`);
      console.log(`${name}-p99-at-${rate}/s: ${pct(99).toFixed(2)} ms`);
      console.log(`${name}-max-at-${rate}/s: ${(latencies[latencies.length - 1] ?? 0).toFixed(2)} ms`);

      const t0 = process.hrtime.bigint();
      await closedLoop(sender, toB, payload, total, concurrency);
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(`${name}-throughput: ${Math.round(total / elapsed)} messages/s`);
    } finally {
      await sender.stop();
      await receiver.stop();
    }
  }
}

function peerOf(partnerId: string, endpoint: string, anchor: string, peerId: string | undefined): TransportPeer {
  return { partnerId, endpoint, trustAnchorsPem: [anchor], ...(peerId ? { peerId } : {}) };
}

/** `total` sends, `concurrency` of them in flight at any time. */
async function closedLoop(
  sender: Transport,
  to: TransportPeer,
  payload: Uint8Array,
  total: number,
  concurrency: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await sender.send(to, payload);
      }
    }),
  );
}

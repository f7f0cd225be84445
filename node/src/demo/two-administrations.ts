import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { initNodeHome } from '../home/node-home';

/**
 * Two customs administrations on this machine, each with its own data folder (CA, identities,
 * ledger) and an agreement with the other, as in the README's demo: A receives over libp2p with
 * CMS and protobuf, B receives over HTTP/2 (mutual TLS) with JWS and JSON; each sends in the way
 * the other receives. Ports are chosen free on 127.0.0.1 before the nodes start, because each
 * agreement must name the other's endpoint.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Administration {
  id: 'CustomsA' | 'CustomsB';
  mspId: string;
  dataDir: string;
  apiPort: number;
}

export interface TwoAdministrationsOptions {
  /** Extra agreement fields for both sides (e.g. a faster retry policy in tests). */
  agreement?: Record<string, unknown>;
  anchorIntervalMs?: number;
}

const UTILITY_BLOCKS = [
  { id: 'export-import-prearrival', direction: 'both' },
  { id: 'inspection-result-sharing', direction: 'both' },
  { id: 'transit-seal-events', direction: 'both' },
  { id: 'aeo-mutual-recognition', direction: 'both' },
];

export async function createTwoAdministrations(
  root: string,
  options: TwoAdministrationsOptions = {},
): Promise<[Administration, Administration]> {
  const a: Administration = {
    id: 'CustomsA',
    mspId: 'CustomsAMSP',
    dataDir: path.join(root, 'customs-a'),
    apiPort: await freePort(),
  };
  const b: Administration = {
    id: 'CustomsB',
    mspId: 'CustomsBMSP',
    dataDir: path.join(root, 'customs-b'),
    apiPort: await freePort(),
  };
  await initNodeHome(a.dataDir, { mspId: a.mspId, organization: 'Customs Administration A (CN)' });
  await initNodeHome(b.dataDir, { mspId: b.mspId, organization: 'Customs Administration B (NL)' });
  const libp2pPortA = await freePort();
  const httpPortB = await freePort();
  const peerIdOf = async (x: Administration) =>
    (await readFile(path.join(x.dataDir, 'msp', 'tls', 'libp2p', 'peer-id'), 'utf8')).trim();
  const peerIdA = await peerIdOf(a);
  const peerIdB = await peerIdOf(b);

  const writeAgreement = async (self: Administration, partner: Administration, agreement: Record<string, unknown>) => {
    const dir = path.join(self.dataDir, 'partners');
    await mkdir(dir, { recursive: true });
    const anchor = path.join(dir, `${partner.id}-ca.pem`);
    await writeFile(anchor, await readFile(path.join(partner.dataDir, 'msp', 'ca', 'ca.pem')));
    await writeFile(
      path.join(dir, `${partner.id}.json`),
      JSON.stringify(
        {
          partnerId: partner.id,
          name: `Customs Administration ${partner.id.slice(-1)}`,
          countries: [partner.id === 'CustomsA' ? 'CN' : 'NL'],
          trustAnchors: [path.basename(anchor)],
          utilityBlocks: UTILITY_BLOCKS,
          ...agreement,
          ...options.agreement,
        },
        null,
        2,
      ),
    );
  };
  // A sends to B the way B receives (HTTP + JWS + JSON); B sends to A over libp2p + CMS + protobuf.
  await writeAgreement(a, b, {
    transport: { kind: 'http', endpoint: `https://127.0.0.1:${httpPortB}` },
    security: { scheme: 'jws' },
    format: { kind: 'json' },
    inbound: { transport: 'libp2p', peerId: peerIdB, security: 'cms', format: 'protobuf' },
  });
  await writeAgreement(b, a, {
    transport: { kind: 'libp2p', endpoint: `/ip4/127.0.0.1/tcp/${libp2pPortA}/p2p/${peerIdA}`, peerId: peerIdA },
    security: { scheme: 'cms' },
    format: { kind: 'protobuf' },
    inbound: { transport: 'http', security: 'jws', format: 'json' },
  });

  const configure = async (self: Administration, listen: Record<string, Record<string, unknown>>) => {
    const file = path.join(self.dataDir, 'config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    config.api = { host: '127.0.0.1', port: self.apiPort };
    config.exchange = { nodeId: self.id, listen, anchor: { intervalMs: options.anchorIntervalMs ?? 200 } };
    await writeFile(file, JSON.stringify(config, null, 2));
  };
  await configure(a, { libp2p: { listen: `/ip4/127.0.0.1/tcp/${libp2pPortA}` } });
  await configure(b, { http: { port: httpPortB } });
  return [a, b];
}

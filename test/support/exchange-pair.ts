import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../node/src/demo/two-administrations';
import { checkAgreement, type LoadedAgreement } from '../../node/src/exchange/agreement';
import { ExchangeNode } from '../../node/src/exchange/exchange-node';
import { MessageStore } from '../../node/src/exchange/message-store';
import { initNodeHome } from '../../node/src/home/node-home';
import { loadSigningIdentity } from '../../node/src/identity';

/**
 * Two exchange nodes in this process, with real data folders (CAs, node and transport
 * certificates from `gnc init`) and the edges a test chooses, both ways. For tests of the
 * pipeline itself; the ledger side is left out.
 */

export interface Edges {
  transport: 'http' | 'libp2p' | 'as4';
  security: string;
  format: string;
}

export interface PairSide {
  id: string;
  dataDir: string;
  node: ExchangeNode;
  store: MessageStore;
  agreement: LoadedAgreement;
  keys: { certificatePem: string; privateKeyPem: string };
  transportKeys: {
    http: { certificatePem: string; privateKeyPem: string };
    libp2p: { certificatePem: string; privateKeyPem: string };
  };
  caCertificatePem: string;
  caKeyPem: string;
  ports: { http: number; libp2p: number; as4: number };
  peerId: string;
}

async function pem(dir: string, cert: string, key: string) {
  return {
    certificatePem: await readFile(path.join(dir, cert), 'utf8'),
    privateKeyPem: await readFile(path.join(dir, key), 'utf8'),
  };
}

export async function createExchangePair(
  root: string,
  edges: Edges,
  overrides: { toA?: Record<string, unknown>; toB?: Record<string, unknown> } = {},
): Promise<{ a: PairSide; b: PairSide; stop: () => Promise<void> }> {
  const sides = await Promise.all(
    ['A', 'B'].map(async (letter) => {
      const dataDir = path.join(root, `customs-${letter.toLowerCase()}`);
      await initNodeHome(dataDir, { mspId: `Customs${letter}MSP`, organization: `Customs Administration ${letter}` });
      return {
        id: `Customs${letter}`,
        dataDir,
        ports: { http: await freePort(), libp2p: await freePort(), as4: await freePort() },
        peerId: (await readFile(path.join(dataDir, 'msp', 'tls', 'libp2p', 'peer-id'), 'utf8')).trim(),
        keys: await pem(path.join(dataDir, 'msp', 'node'), 'signcerts/cert.pem', 'keystore/priv_sk'),
        transportKeys: {
          http: await pem(path.join(dataDir, 'msp', 'tls', 'http'), 'cert.pem', 'key.pem'),
          libp2p: await pem(path.join(dataDir, 'msp', 'tls', 'libp2p'), 'cert.pem', 'key.pem'),
        },
        caCertificatePem: await readFile(path.join(dataDir, 'msp', 'ca', 'ca.pem'), 'utf8'),
        caKeyPem: await readFile(path.join(dataDir, 'msp', 'ca', 'ca-key.pem'), 'utf8'),
      };
    }),
  );
  const [sideA, sideB] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const agreementFor = (partner: typeof sideA, extra: Record<string, unknown> = {}): LoadedAgreement => {
    const endpoint = {
      http: `https://127.0.0.1:${partner.ports.http}`,
      as4: `https://127.0.0.1:${partner.ports.as4}/as4`,
      libp2p: `/ip4/127.0.0.1/tcp/${partner.ports.libp2p}/p2p/${partner.peerId}`,
    }[edges.transport];
    const { agreement, problems } = checkAgreement({
      partnerId: partner.id,
      name: partner.id,
      trustAnchors: ['ca.pem'],
      transport: {
        kind: edges.transport,
        endpoint,
        ...(edges.transport === 'libp2p' ? { peerId: partner.peerId } : {}),
      },
      security: { scheme: edges.security },
      format: { kind: edges.format },
      utilityBlocks: [
        { id: 'transit-seal-events', direction: 'both' },
        { id: 'inspection-result-sharing', direction: 'both' },
      ],
      retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
      ...extra,
    });
    if (!agreement) throw new Error(`bad test agreement: ${problems.join('; ')}`);
    return { ...agreement, source: 'test', trustAnchorsPem: [partner.caCertificatePem] };
  };
  const built: PairSide[] = [];
  for (const [self, partner, extra] of [
    [sideA, sideB, overrides.toB],
    [sideB, sideA, overrides.toA],
  ] as const) {
    const agreement = agreementFor(partner, extra);
    const store = await MessageStore.open(path.join(self.dataDir, 'exchange'));
    const node = new ExchangeNode({
      nodeId: self.id,
      signer: await loadSigningIdentity(path.join(self.dataDir, 'msp', 'node'), `${self.id}MSP`),
      keys: self.keys,
      transportKeys: { ...self.transportKeys, as4: self.transportKeys.http },
      agreements: [agreement],
      store,
      listen: {
        http: { port: self.ports.http },
        as4: { port: self.ports.as4 },
        libp2p: { listen: `/ip4/127.0.0.1/tcp/${self.ports.libp2p}` },
      },
      idleMs: 20,
    });
    built.push({ ...self, node, store, agreement });
  }
  const [a, b] = built as [PairSide, PairSide];
  await a.node.start();
  await b.node.start();
  return {
    a,
    b,
    async stop() {
      for (const side of [a, b]) {
        await side.node.stop();
        await side.store.close();
      }
    },
  };
}

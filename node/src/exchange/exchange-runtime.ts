import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { messageFormats } from '../../../adapters/format';
import { securitySchemes } from '../../../adapters/security';
import { transports } from '../../../adapters/transport';
import { ConfigError } from '../errors';
import { userIdentity, type NodeHome } from '../home/node-home';
import { inboundEdges, loadAgreements, type LoadedAgreement } from './agreement';
import { Anchorer } from './anchorer';
import { ExchangeNode } from './exchange-node';
import { GncFlows } from './gnc-flows';
import { MessageStore } from './message-store';
import { PartnerIntelligence } from './partner-intelligence';

/**
 * The exchange side of a running node, built from its data folder: partner agreements, the
 * message store, the exchange node with its transports, anchoring of exchanged messages on the
 * ledger, and what partners shared about consignments (for the GNC flows).
 */
export interface ExchangeRuntime {
  nodeId: string;
  agreements: readonly LoadedAgreement[];
  node: ExchangeNode;
  store: MessageStore;
  anchorer: Anchorer;
  intelligence: PartnerIntelligence;
  endpoints: Record<string, string>;
  stop(): Promise<void>;
}

async function readPemPair(dir: string, certFile: string, keyFile: string) {
  try {
    return {
      certificatePem: await readFile(path.join(dir, certFile), 'utf8'),
      privateKeyPem: await readFile(path.join(dir, keyFile), 'utf8'),
    };
  } catch (error) {
    throw new ConfigError(`cannot read the certificate and key in ${dir}: run gnc init`, [], { cause: error });
  }
}

export async function startExchange(
  home: NodeHome,
  hooks: { log?: (event: Record<string, unknown>) => void } = {},
): Promise<ExchangeRuntime | undefined> {
  const config = home.config.exchange;
  if (!config) return undefined;
  const resolve = (p: string) => path.resolve(home.dataDir, p);
  const agreements = await loadAgreements(resolve(config.partnersDir), {
    transports: Object.keys(transports),
    securitySchemes: Object.keys(securitySchemes),
    formats: Object.keys(messageFormats),
  });
  const keys = await readPemPair(resolve(home.config.node.mspDir), 'signcerts/cert.pem', 'keystore/priv_sk');
  // Certificates only for the transports the agreements use: libp2p has its Ed25519 peer
  // certificate; the TLS-based ones (http, as4) and the others share the P-256 TLS certificate.
  const transportKeys: Record<string, { certificatePem: string; privateKeyPem: string }> = {};
  const kinds = new Set(agreements.flatMap((a) => [a.transport.kind, inboundEdges(a).transport]));
  for (const kind of kinds) {
    const folder = kind === 'libp2p' ? 'libp2p' : 'http';
    transportKeys[kind] = await readPemPair(resolve(path.join('msp', 'tls', folder)), 'cert.pem', 'key.pem');
  }
  const store = await MessageStore.open(resolve('exchange'));
  const anchorer = new Anchorer({
    store,
    ledger: home.ledger.client(userIdentity(home, 'officer')),
    intervalMs: config.anchor.intervalMs,
    maxBatch: config.anchor.maxBatch,
    ...(hooks.log ? { log: hooks.log } : {}),
  });
  const intelligence = await PartnerIntelligence.open(store);
  const node = new ExchangeNode({
    nodeId: config.nodeId,
    signer: home.nodeIdentity,
    keys,
    transportKeys,
    agreements,
    store,
    listen: config.listen,
    production: config.production,
    // The store wrote the message's digest as pending with the message; count it toward a batch.
    onExchanged: () => anchorer.recorded(),
    // Indexed in the write that accepts the message; the store holds each accepted message's
    // canonical envelope, and the record refers to it.
    sharedIndexOf: ({ partnerId, envelope }) => intelligence.indexOf(partnerId, envelope, { inStore: true }),
    ...(hooks.log ? { log: hooks.log } : {}),
  });
  const flows = new GncFlows({
    administrationId: config.nodeId,
    ledger: home.ledger.client(userIdentity(home, 'officer')),
    exchange: node,
    store,
    agreements,
    ...(hooks.log ? { log: hooks.log } : {}),
  });
  await anchorer.start();
  let endpoints: Record<string, string>;
  try {
    endpoints = await node.start();
    await flows.start();
  } catch (error) {
    await node.stop();
    await anchorer.stop();
    await store.close();
    throw error;
  }
  return {
    nodeId: config.nodeId,
    agreements,
    node,
    store,
    anchorer,
    intelligence,
    endpoints,
    async stop() {
      await flows.stop();
      await node.stop();
      await anchorer.stop();
      await store.close();
    },
  };
}

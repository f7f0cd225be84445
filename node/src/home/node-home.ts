import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE, loadNodeConfig, parseNodeConfig, type NodeConfig } from '../config/node-config';
import { ConfigError, InvalidInputError } from '../errors';
import { createCertificateAuthority, loadSigningIdentity, writeMspFolder } from '../identity';
import type { SigningIdentity } from '../identity/signing-identity';
import type { ChannelOrganization, CollectionDefinition } from '../ledger/embedded/channel-config';
import { openLedger, type OpenedLedger } from '../ledger';
import { issueTransportCertificate } from '../../../adapters/transport/tls-certificates';

/**
 * A node's data folder ("home"): config.json, the organisation's CA, the MSP folders of the node
 * identity and of the local users (one per role), and the ledger. `initNodeHome` creates it;
 * `openNodeHome` loads and validates it and opens the ledger.
 */

export const USER_ROLES = ['single-window', 'officer', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface InitOptions {
  mspId: string;
  organization: string;
  collections?: readonly CollectionDefinition[];
  /** Overwrite an existing config and identities (never the ledger). */
  force?: boolean;
}

export interface NodeHome {
  dataDir: string;
  config: Readonly<NodeConfig>;
  nodeIdentity: SigningIdentity;
  users: ReadonlyMap<UserRole, SigningIdentity>;
  organizations: readonly ChannelOrganization[];
  ledger: OpenedLedger;
  close(): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The default collections: the project's network-config/collections.json. */
export async function defaultCollections(): Promise<CollectionDefinition[]> {
  const file = path.resolve(__dirname, '../../../../network-config/collections.json');
  return JSON.parse(await readFile(file, 'utf8')) as CollectionDefinition[];
}

export async function initNodeHome(dataDir: string, options: InitOptions): Promise<{ created: string[] }> {
  const configFile = path.join(dataDir, CONFIG_FILE);
  if ((await exists(configFile)) && !options.force) {
    throw new ConfigError(`${configFile} already exists; pass --force to create new identities (the ledger is kept)`);
  }
  await mkdir(dataDir, { recursive: true });
  const created: string[] = [];
  const ca = await createCertificateAuthority({ mspId: options.mspId, organization: options.organization });
  const caDir = path.join(dataDir, 'msp', 'ca');
  await mkdir(caDir, { recursive: true });
  await writeFile(path.join(caDir, 'ca.pem'), ca.caCertificatePem);
  await writeFile(path.join(caDir, 'ca-key.pem'), ca.privateKeyPem, { mode: 0o600 });
  created.push(caDir);

  const node = await ca.issue({ commonName: `node.${options.mspId.toLowerCase()}`, nodeOU: 'peer' });
  const nodeDir = path.join(dataDir, 'msp', 'node');
  await writeMspFolder(nodeDir, { caCertificatePem: ca.caCertificatePem, ...node });
  created.push(nodeDir);
  // Transport identities: a P-256 TLS certificate for http, an Ed25519 one whose key is the libp2p peer key.
  for (const [kind, keyType] of [
    ['http', 'P-256'],
    ['libp2p', 'Ed25519'],
  ] as const) {
    const issued = await issueTransportCertificate(ca, {
      commonName: `${kind}.${options.mspId.toLowerCase()}`,
      keyType,
    });
    const dir = path.join(dataDir, 'msp', 'tls', kind);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'cert.pem'), issued.certificatePem);
    await writeFile(path.join(dir, 'key.pem'), issued.privateKeyPem, { mode: 0o600 });
    if (issued.peerId) await writeFile(path.join(dir, 'peer-id'), issued.peerId + '\n');
    created.push(dir);
  }
  for (const role of USER_ROLES) {
    const user = await ca.issue({ commonName: `${role}.${options.mspId.toLowerCase()}`, nodeOU: 'client', role });
    const userDir = path.join(dataDir, 'msp', 'users', role);
    await writeMspFolder(userDir, { caCertificatePem: ca.caCertificatePem, ...user });
    created.push(userDir);
  }
  const config = parseNodeConfig(
    {
      node: { mspId: options.mspId, organization: options.organization },
      collections: options.collections ?? (await defaultCollections()),
    },
    'generated configuration',
  );
  await writeFile(configFile, JSON.stringify(config, null, 2) + '\n');
  created.push(configFile);
  return { created };
}

export async function openNodeHome(
  dataDir: string,
  hooks: { onRecovery?: (message: string) => void } = {},
): Promise<NodeHome> {
  const config = await loadNodeConfig(dataDir);
  const resolve = (p: string) => path.resolve(dataDir, p);
  const nodeIdentity = await loadSigningIdentity(resolve(config.node.mspDir), config.node.mspId);
  const users = new Map<UserRole, SigningIdentity>();
  for (const role of USER_ROLES) {
    const dir = path.join(resolve(config.node.usersDir), role);
    if (await exists(dir)) users.set(role, await loadSigningIdentity(dir, config.node.mspId));
  }
  const ownRoot = await readFile(resolve('msp/ca/ca.pem'), 'utf8');
  const organizations: ChannelOrganization[] = [{ mspId: config.node.mspId, rootCertificatesPem: [ownRoot] }];
  for (const org of config.organizations) {
    const roots = await Promise.all(org.rootCertificateFiles.map((f) => readFile(resolve(f), 'utf8')));
    organizations.push({ mspId: org.mspId, rootCertificatesPem: roots });
  }
  const ledger = await openLedger({
    kind: config.ledger.kind,
    directory: resolve(config.ledger.directory),
    channelId: config.ledger.channelId,
    chaincodeName: config.ledger.chaincodeName,
    chaincodeVersion: config.ledger.chaincodeVersion,
    maxBlockTransactions: config.ledger.maxBlockTransactions,
    maxBlockWaitMs: config.ledger.maxBlockWaitMs,
    nodeIdentity,
    nodeOrganization: organizations[0] as ChannelOrganization,
    organizations,
    collections: config.collections,
    onRecovery: (report) =>
      hooks.onRecovery?.(
        `ledger recovered: ${report.replayedBlocks} block(s) replayed into the state` +
          (report.truncated
            ? `; a torn block was cut off at ${report.truncated.offset} of blockfile ${report.truncated.file} (${report.truncated.reason})`
            : ''),
      ),
  });
  return {
    dataDir,
    config,
    nodeIdentity,
    users,
    organizations,
    ledger,
    close: () => ledger.close(),
  };
}

/** The identity the CLI or API acts as for `role`, with an error that says how to get one. */
export function userIdentity(home: NodeHome, role: string): SigningIdentity {
  const identity = home.users.get(role as UserRole);
  if (!identity) {
    throw new InvalidInputError(
      `no local user with role '${role}' in ${path.join(home.dataDir, home.config.node.usersDir)}; roles available: ${[...home.users.keys()].join(', ') || 'none (run gnc init)'}`,
    );
  }
  return identity;
}

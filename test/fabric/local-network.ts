import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSigningIdentity, loadCertificateAuthority } from '../../node/src/identity';
import type { SigningIdentity } from '../../node/src/identity/signing-identity';
import type { LocalNetworkDescription } from '../../node/src/ledger/fabric-gateway';
import type { LedgerClient } from '../../node/src/ledger/ledger-client';
import type { LedgerFixture, OrgName, Role } from '../compliance/ledger-suite';

/** The repository root, from dist/test/fabric or test/fabric alike. */
export const REPO_DIR = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);
export const FABRIC_DIR = path.join(REPO_DIR, 'network-config', 'fabric');
export const RUN_DIR = process.env.GNC_FABRIC_RUN ?? path.join(FABRIC_DIR, 'run');

export const ORGS: readonly OrgName[] = ['customsA', 'customsB', 'auditor'];
const ROLES: readonly Role[] = ['single-window', 'officer', 'auditor', 'none'];

/** run/network.json, written by `npm run fabric:up`. */
export function readNetwork(): LocalNetworkDescription {
  const file = path.join(RUN_DIR, 'network.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalNetworkDescription;
  } catch (error) {
    throw new Error(`no running Fabric network (${file}): run 'npm run fabric:up' first`, { cause: error });
  }
}

/**
 * Users with role attributes, issued now from each organisation's cryptogen CA key: real
 * certificates that the peers' MSPs accept (OU=client under NodeOUs).
 */
export async function issueUsers(network: LocalNetworkDescription): Promise<Map<string, SigningIdentity>> {
  const users = new Map<string, SigningIdentity>();
  for (const org of ORGS) {
    const entry = network.organizations[org];
    if (!entry) throw new Error(`network.json has no organisation ${org}`);
    const ca = await loadCertificateAuthority(
      readFileSync(entry.caCertPath, 'utf8'),
      readFileSync(entry.caKeyPath, 'utf8'),
    );
    for (const role of ROLES) {
      const issued = await ca.issue({
        commonName: `${role}.${org}.test`,
        nodeOU: 'client',
        ...(role === 'none' ? {} : { role }),
      });
      users.set(`${org}/${role}`, createSigningIdentity({ mspId: entry.mspId, ...issued }));
    }
  }
  return users;
}

/** Something that hands out clients for identities and closes its connection at the end. */
export interface ClientSource<C extends LedgerClient> {
  client(identity: SigningIdentity): C;
  close(): Promise<void>;
}

/** The compliance suite's fixture over one connection per organisation (each to its own peer). */
export async function fabricFixture<C extends LedgerClient>(
  connect: (org: OrgName, network: LocalNetworkDescription) => Promise<ClientSource<C>>,
): Promise<LedgerFixture & { clientOf(org: OrgName, role: Role): C; network: LocalNetworkDescription }> {
  const network = readNetwork();
  const users = await issueUsers(network);
  const sources = new Map<OrgName, ClientSource<C>>();
  for (const org of ORGS) sources.set(org, await connect(org, network));
  const clientOf = (org: OrgName, role: Role): C => {
    const identity = users.get(`${org}/${role}`);
    const source = sources.get(org);
    if (!identity || !source) throw new Error(`no identity for ${org}/${role}`);
    return source.client(identity);
  };
  return {
    network,
    clientOf,
    client: clientOf,
    mspIdOf: (org) => network.organizations[org]?.mspId ?? org,
    async teardown() {
      await Promise.all([...sources.values()].map((source) => source.close()));
    },
  };
}

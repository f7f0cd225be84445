import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCertificateAuthority, createSigningIdentity } from '../../node/src/identity';
import type { SigningIdentity } from '../../node/src/identity/signing-identity';
import type { ChannelOrganization } from '../../node/src/ledger/embedded/channel-config';

/**
 * The organisations of the test channel, with real certificates made at test time: two customs
 * administrations and an auditor organisation, each with its own CA, and users per role.
 */

export type OrgName = 'customsA' | 'customsB' | 'auditor';
export type Role = 'single-window' | 'officer' | 'auditor' | 'none';

export const MSP_IDS: Record<OrgName, string> = {
  customsA: 'CustomsAMSP',
  customsB: 'CustomsBMSP',
  auditor: 'AuditorMSP',
};

export interface TestOrganizations {
  organizations: ChannelOrganization[];
  /** The node's own identity: a peer of CustomsAMSP. */
  node: SigningIdentity;
  nodeOrganization: ChannelOrganization;
  user(org: OrgName, role: Role): Promise<SigningIdentity>;
  /** Certificate and key of a user, to hand to another process. */
  userMaterial(org: OrgName, role: Role): Promise<IdentityMaterial>;
  nodeMaterial: IdentityMaterial;
}

export interface IdentityMaterial {
  mspId: string;
  certificatePem: string;
  privateKeyPem: string;
}

export async function createTestOrganizations(): Promise<TestOrganizations> {
  const cas = new Map<OrgName, Awaited<ReturnType<typeof createCertificateAuthority>>>();
  for (const org of Object.keys(MSP_IDS) as OrgName[]) {
    cas.set(org, await createCertificateAuthority({ mspId: MSP_IDS[org], organization: `${org} administration` }));
  }
  const caOf = (org: OrgName) => {
    const ca = cas.get(org);
    if (!ca) throw new Error(`no CA for ${org}`);
    return ca;
  };
  const organizations = (Object.keys(MSP_IDS) as OrgName[]).map((org) => ({
    mspId: MSP_IDS[org],
    rootCertificatesPem: [caOf(org).caCertificatePem],
  }));
  const nodeCert = await caOf('customsA').issue({ commonName: 'node.customsa', nodeOU: 'peer' });
  const node = createSigningIdentity({ mspId: MSP_IDS.customsA, ...nodeCert });
  const materials = new Map<string, IdentityMaterial>();
  const users = new Map<string, SigningIdentity>();
  const userMaterial = async (org: OrgName, role: Role): Promise<IdentityMaterial> => {
    const id = `${org}/${role}`;
    let material = materials.get(id);
    if (!material) {
      const issued = await caOf(org).issue({
        commonName: `${role}.${org}`,
        nodeOU: 'client',
        ...(role === 'none' ? {} : { role }),
      });
      material = { mspId: MSP_IDS[org], ...issued };
      materials.set(id, material);
    }
    return material;
  };
  return {
    organizations,
    node,
    nodeMaterial: { mspId: MSP_IDS.customsA, ...nodeCert },
    nodeOrganization: organizations[0] as ChannelOrganization,
    userMaterial,
    async user(org, role) {
      const id = `${org}/${role}`;
      let identity = users.get(id);
      if (!identity) {
        identity = createSigningIdentity(await userMaterial(org, role));
        users.set(id, identity);
      }
      return identity;
    },
  };
}

/** A fresh temporary folder, removed by the returned function. */
export async function temporaryDirectory(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `gnc-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

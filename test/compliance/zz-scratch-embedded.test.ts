// TEMPORARY scratch fixture (chaincode engineer): deleted before hand-over.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { contracts, CHAINCODE_NAME } from '../../chaincode/src';
import { createCertificateAuthority, createSigningIdentity } from '../../node/src/identity';
import { EmbeddedLedger } from '../../node/src/ledger/embedded/embedded-ledger';
import type { LedgerClient } from '../../node/src/ledger/ledger-client';
import { runLedgerComplianceSuite, type OrgName, type Role } from './ledger-suite';

const MSP: Record<OrgName, string> = { customsA: 'CustomsAMSP', customsB: 'CustomsBMSP', auditor: 'AuditorMSP' };

runLedgerComplianceSuite('embedded (scratch)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gnc-scratch-'));
  const cas = Object.fromEntries(
    await Promise.all(
      (Object.keys(MSP) as OrgName[]).map(async (org) => [
        org,
        await createCertificateAuthority({ mspId: MSP[org], organization: org }),
      ]),
    ),
  ) as Record<OrgName, Awaited<ReturnType<typeof createCertificateAuthority>>>;
  const nodeCert = await cas.customsA.issue({ commonName: 'peer0', nodeOU: 'peer' });
  const nodeIdentity = createSigningIdentity({ mspId: MSP.customsA, ...nodeCert });
  const ledger = await EmbeddedLedger.open({
    directory: dir,
    channelId: 'gnc',
    chaincodeName: CHAINCODE_NAME,
    chaincodeVersion: '1.0',
    contracts: contracts as never,
    nodeIdentity,
    nodeOrganization: { mspId: MSP.customsA, rootCertificatesPem: [cas.customsA.caCertificatePem] },
    organizations: (Object.keys(MSP) as OrgName[]).map((org) => ({
      mspId: MSP[org],
      rootCertificatesPem: [cas[org].caCertificatePem],
    })),
    collections: [
      {
        name: 'AgreementAB',
        policy: "OR('CustomsAMSP.member','CustomsBMSP.member')",
        memberOnlyRead: true,
        memberOnlyWrite: true,
      },
    ],
  });
  const clients = new Map<string, LedgerClient>();
  const identities = new Map<string, ReturnType<typeof createSigningIdentity>>();
  for (const org of Object.keys(MSP) as OrgName[]) {
    for (const role of ['single-window', 'officer', 'auditor', 'none'] as Role[]) {
      const cert = await cas[org].issue({
        commonName: `${role}@${org}`,
        nodeOU: 'client',
        ...(role === 'none' ? {} : { role }),
      });
      identities.set(`${org}/${role}`, createSigningIdentity({ mspId: MSP[org], ...cert }));
    }
  }
  return {
    client(org: OrgName, role: Role) {
      const key = `${org}/${role}`;
      let client = clients.get(key);
      if (!client) {
        client = ledger.client(identities.get(key)!);
        clients.set(key, client);
      }
      return client;
    },
    mspIdOf: (org: OrgName) => MSP[org],
    async teardown() {
      for (const c of clients.values()) await c.close();
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

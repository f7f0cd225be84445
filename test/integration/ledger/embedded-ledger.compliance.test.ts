import { runLedgerComplianceSuite } from '../../compliance/ledger-suite';
import { openTestLedger } from '../../support/embedded-ledger-fixture';
import { createTestOrganizations, MSP_IDS, temporaryDirectory } from '../../support/test-organizations';
import type { SigningIdentity } from '../../../node/src/identity/signing-identity';

// The contract compliance suite on the embedded ledger: a real LevelDB and blockfile in a
// temporary folder, real certificates for two customs administrations and an auditor org.
runLedgerComplianceSuite('embedded', async () => {
  const orgs = await createTestOrganizations();
  const tmp = await temporaryDirectory('compliance');
  const ledger = await openTestLedger({
    directory: tmp.dir,
    node: orgs.node,
    nodeOrganization: orgs.nodeOrganization,
    organizations: orgs.organizations,
  });
  const identities = new Map<string, SigningIdentity>();
  for (const org of ['customsA', 'customsB', 'auditor'] as const) {
    for (const role of ['single-window', 'officer', 'auditor', 'none'] as const) {
      identities.set(`${org}/${role}`, await orgs.user(org, role));
    }
  }
  return {
    client(org, role) {
      const identity = identities.get(`${org}/${role}`);
      if (!identity) throw new Error(`no identity for ${org}/${role}`);
      return ledger.client(identity).withIdentity(identity);
    },
    mspIdOf: (org) => MSP_IDS[org],
    async teardown() {
      await ledger.close();
      await tmp.remove();
    },
  };
});

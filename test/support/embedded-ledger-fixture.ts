import '../../node/src/ledger/embedded/fabric-logging';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contracts } from '../../chaincode/src';
import type { SigningIdentity } from '../../node/src/identity/signing-identity';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from '../../node/src/ledger/embedded/embedded-ledger';
import type { ChannelOrganization, CollectionDefinition } from '../../node/src/ledger/embedded/channel-config';
import { createTestOrganizations, temporaryDirectory, type TestOrganizations } from './test-organizations';

/** The collections every test channel has: the project's own network-config/collections.json. */
export function projectCollections(): CollectionDefinition[] {
  const file = path.resolve(__dirname, '../../../network-config/collections.json');
  return JSON.parse(readFileSync(file, 'utf8')) as CollectionDefinition[];
}

/** Opens an embedded ledger with the gnc contracts in `directory`, as `gnc start` would. */
export function openTestLedger(options: {
  directory: string;
  node: SigningIdentity;
  nodeOrganization: ChannelOrganization;
  organizations: readonly ChannelOrganization[];
  overrides?: Partial<EmbeddedLedgerOptions>;
}): Promise<EmbeddedLedger> {
  return EmbeddedLedger.open({
    directory: options.directory,
    channelId: 'gnc',
    chaincodeName: 'gnc',
    chaincodeVersion: '1.0',
    contracts,
    nodeIdentity: options.node,
    nodeOrganization: options.nodeOrganization,
    organizations: options.organizations,
    collections: projectCollections(),
    ...options.overrides,
  });
}

/** Test organisations and an embedded ledger of their own in a new temporary directory. */
export interface ScratchLedger {
  orgs: TestOrganizations;
  ledger: EmbeddedLedger;
  /** The temporary directory: the ledger is in its `ledger/` folder, the rest is the caller's. */
  directory: string;
  /** Closes the ledger and deletes the directory. */
  remove(): Promise<void>;
}

/** For a bench or a test that needs a ledger and the organisations to act on it, and nothing else set up. */
export async function openScratchLedger(
  prefix: string,
  overrides?: Partial<EmbeddedLedgerOptions>,
): Promise<ScratchLedger> {
  const orgs = await createTestOrganizations();
  const tmp = await temporaryDirectory(prefix);
  const ledger = await openTestLedger({
    directory: path.join(tmp.dir, 'ledger'),
    node: orgs.node,
    nodeOrganization: orgs.nodeOrganization,
    organizations: orgs.organizations,
    ...(overrides ? { overrides } : {}),
  }).catch(async (error: unknown) => {
    await tmp.remove();
    throw error;
  });
  return {
    orgs,
    ledger,
    directory: tmp.dir,
    async remove() {
      await ledger.close();
      await tmp.remove();
    },
  };
}

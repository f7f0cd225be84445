import '../../node/src/ledger/embedded/fabric-logging';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contracts } from '../../chaincode/src';
import type { SigningIdentity } from '../../node/src/identity/signing-identity';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from '../../node/src/ledger/embedded/embedded-ledger';
import type { ChannelOrganization, CollectionDefinition } from '../../node/src/ledger/embedded/channel-config';

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

import type { LedgerOpenOptions, OpenedLedger } from '..';
import { ConfigError } from '../../errors';
import type { FabricLedgerOptions } from '../fabric-gateway/fabric-connection';
import { createFabricNetworkConnection } from './fabric-network-client';

export {
  createFabricNetworkConnection,
  type FabricNetworkClient,
  type FabricNetworkConnection,
} from './fabric-network-client';
export { connectionProfileOf } from './connection-profile';

/**
 * The 'fabric-network' entry of ledgerImplementations: the legacy fabric-network 2.2 SDK with a
 * generated connection profile, for existing Fabric 2.x networks (not for BFT ordering).
 */
export function openFabricNetworkLedger(options: LedgerOpenOptions & FabricLedgerOptions): Promise<OpenedLedger> {
  const fabric = options.fabric;
  if (!fabric) {
    return Promise.reject(new ConfigError("ledger kind 'fabric-network' needs the 'fabric' connection options"));
  }
  const connection = createFabricNetworkConnection(fabric);
  return Promise.resolve({
    kind: 'fabric-network',
    client: (identity) => connection.client(identity),
    close: () => connection.close(),
  });
}

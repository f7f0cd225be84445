import type { LedgerOpenOptions, OpenedLedger } from '..';
import { ConfigError } from '../../errors';
import { createFabricGatewayConnection } from './fabric-gateway-client';
import type { FabricLedgerOptions } from './fabric-connection';

export {
  createFabricGatewayConnection,
  type FabricGatewayClient,
  type FabricGatewayConnection,
  type FabricTransactionRequest,
} from './fabric-gateway-client';
export {
  connectionFromDescription,
  type FabricConnectionOptions,
  type FabricLedgerOptions,
  type LocalNetworkDescription,
} from './fabric-connection';

/** The 'fabric-gateway' entry of ledgerImplementations: @hyperledger/fabric-gateway to one peer's gateway. */
export function openFabricGatewayLedger(options: LedgerOpenOptions & FabricLedgerOptions): Promise<OpenedLedger> {
  const fabric = options.fabric;
  if (!fabric) {
    return Promise.reject(new ConfigError("ledger kind 'fabric-gateway' needs the 'fabric' connection options"));
  }
  const connection = createFabricGatewayConnection(fabric);
  return Promise.resolve({
    kind: 'fabric-gateway',
    client: (identity) => connection.client(identity),
    close: () => connection.close(),
  });
}

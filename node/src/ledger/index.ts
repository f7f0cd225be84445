import './embedded/fabric-logging';
import { contracts } from '../../../chaincode/src';
import type { SigningIdentity } from '../identity/signing-identity';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from './embedded/embedded-ledger';
import type { LedgerClient } from './ledger-client';

export type {
  LedgerClient,
  TransactionRequest,
  SubmittedTransaction,
  LedgerChaincodeEvent,
  LedgerBlock,
} from './ledger-client';
export * from './ledger-errors';
export { EmbeddedLedger, type EmbeddedLedgerOptions } from './embedded/embedded-ledger';

/** A ledger opened by the node: clients for any identity, and the implementation behind them. */
export interface OpenedLedger {
  readonly kind: string;
  client(identity: SigningIdentity): LedgerClient;
  /** Present for the embedded ledger: block files and state for audit and key listings. */
  readonly embedded?: EmbeddedLedger;
  close(): Promise<void>;
}

export type LedgerOpenOptions = Omit<EmbeddedLedgerOptions, 'contracts'> & { kind: string };

type LedgerFactory = (options: LedgerOpenOptions) => Promise<OpenedLedger>;

/**
 * The one table of ledger implementations, chosen by `ledger.kind` in the node's config. The
 * Fabric clients (fabric-gateway, fabric-network) register here beside the embedded ledger.
 */
export const ledgerImplementations: Readonly<Record<string, LedgerFactory>> = {
  embedded: async (options) => {
    const embedded = await EmbeddedLedger.open({ ...options, contracts });
    return {
      kind: 'embedded',
      embedded,
      client: (identity) => embedded.client(identity).withIdentity(identity),
      close: () => embedded.close(),
    };
  },
  // Loaded on first use, so nodes on the embedded ledger never load the gRPC and SDK modules.
  'fabric-gateway': async (options) => (await import('./fabric-gateway/index.js')).openFabricGatewayLedger(options),
  'fabric-network': async (options) => (await import('./fabric-network/index.js')).openFabricNetworkLedger(options),
};

export async function openLedger(options: LedgerOpenOptions): Promise<OpenedLedger> {
  const factory = ledgerImplementations[options.kind];
  if (!factory) {
    throw new Error(`unknown ledger kind '${options.kind}'; known: ${Object.keys(ledgerImplementations).join(', ')}`);
  }
  return factory(options);
}

import type { SigningIdentity } from '../identity/signing-identity';

/**
 * The one interface every ledger implementation offers: the embedded ledger (default), and the
 * Fabric clients (fabric-gateway, fabric-network). The contract compliance suite in
 * test/compliance/ledger-suite.ts runs unchanged against each of them.
 */
export interface LedgerClient {
  /** Which implementation this is ('embedded', 'fabric-gateway', 'fabric-network'). */
  readonly kind: string;
  /** The identity whose proposals this client signs. */
  readonly identity: SigningIdentity;

  /**
   * Endorses, orders and commits a transaction; resolves once it is durably committed and valid.
   * Rejects with a LedgerError subclass: LedgerEndorsementError (the contract refused it),
   * LedgerCommitError (committed but invalid, e.g. MVCC_READ_CONFLICT), LedgerTimeoutError.
   */
  submit(request: TransactionRequest, options?: CallOptions): Promise<SubmittedTransaction>;

  /** Runs a transaction function without ordering it (a query); resolves with its result bytes. */
  evaluate(request: TransactionRequest, options?: CallOptions): Promise<Uint8Array>;

  /** Chaincode events of committed valid transactions, in block order, from `startBlock` (default: next block). */
  chaincodeEvents(options?: EventOptions): CloseableAsyncIterable<LedgerChaincodeEvent>;

  /** Committed blocks in Fabric's common.Block encoding, from `startBlock` (default: next block). */
  blocks(options?: EventOptions): CloseableAsyncIterable<LedgerBlock>;

  /** Number of blocks committed (the next block's number). */
  height(): Promise<bigint>;

  /** The same connection, acting as another identity (as Gateway.connect with another identity does). */
  withIdentity(identity: SigningIdentity): LedgerClient;

  /** Releases what this client holds; the underlying ledger closes when its last client closes. */
  close(): Promise<void>;
}

export interface TransactionRequest {
  /** Contract name inside the chaincode, e.g. 'Declaration'. */
  contract: string;
  /** Transaction function, PascalCase, e.g. 'Lodge'. */
  name: string;
  /** String arguments, as the contract's parameters expect them (JSON for objects). */
  args?: readonly string[];
  /** Transient data: reaches the contract but is never written into a block (private data inputs). */
  transient?: Readonly<Record<string, Uint8Array>>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Deadline for the whole call in milliseconds (default: DEFAULT_SUBMIT_MS or DEFAULT_EVALUATE_MS). */
  timeoutMs?: number;
}

/** The deadline of a submit (endorse, order, commit) over a network when the caller gives none. */
export const DEFAULT_SUBMIT_MS = 60_000;
/** The deadline of an evaluate (a query on one peer) over a network when the caller gives none. */
export const DEFAULT_EVALUATE_MS = 30_000;

export interface EventOptions {
  startBlock?: bigint;
  signal?: AbortSignal;
}

export interface SubmittedTransaction {
  txId: string;
  blockNumber: bigint;
  /** What the transaction function returned (serialized by the contract). */
  result: Uint8Array;
}

export interface LedgerChaincodeEvent {
  txId: string;
  blockNumber: bigint;
  chaincodeName: string;
  eventName: string;
  payload: Uint8Array;
}

export interface LedgerBlock {
  number: bigint;
  /** The block as common.Block protobuf bytes. */
  bytes: Uint8Array;
}

/** An async iterable that must be closed when the consumer stops early (for await ... finally close()). */
export interface CloseableAsyncIterable<T> extends AsyncIterable<T> {
  close(): void;
}

import { common } from '@hyperledger/fabric-protos';
import {
  DefaultEventHandlerStrategies,
  Gateway,
  type CommitEvent,
  type ContractEvent,
  type BlockEvent,
  type Network,
} from 'fabric-network';
import type { SigningIdentity } from '../../identity/signing-identity';
import type { FabricConnectionOptions } from '../fabric-gateway/fabric-connection';
import type { FabricTransactionRequest } from '../fabric-gateway/fabric-gateway-client';
import { endorsementErrorFrom } from '../fabric-gateway/fabric-errors';
import {
  type CallOptions,
  type CloseableAsyncIterable,
  type EventOptions,
  type LedgerBlock,
  type LedgerChaincodeEvent,
  type LedgerClient,
  type SubmittedTransaction,
  type TransactionRequest,
  DEFAULT_EVALUATE_MS,
  DEFAULT_SUBMIT_MS,
} from '../ledger-client';
import {
  LedgerCommitError,
  LedgerEndorsementError,
  LedgerError,
  LedgerTimeoutError,
  LedgerUnavailableError,
} from '../ledger-errors';
import { connectionProfileOf } from './connection-profile';
import { pushIterable } from './push-iterable';
import { sdkIdentityOf, signingIdentityProvider } from './sdk-identity';

/** fabric-network Gateways (one per identity, each with its own peer connections) on one connection profile. */
export interface FabricNetworkConnection {
  client(identity: SigningIdentity): FabricNetworkClient;
  close(): Promise<void>;
}

export interface FabricNetworkClient extends LedgerClient {
  submit(request: FabricTransactionRequest, options?: CallOptions): Promise<SubmittedTransaction>;
  withIdentity(identity: SigningIdentity): FabricNetworkClient;
}

/** 'peer=..., status=500, message=CODE: text' lines of fabric-network's endorsement failure. */
const PEER_RESPONSE = /status=(\d+), message=(.*)$/gm;

/** Opens nothing yet: each identity's Gateway connects (with discovery) on its first call. */
export function createFabricNetworkConnection(options: FabricConnectionOptions): FabricNetworkConnection {
  const profile = connectionProfileOf(options);
  const clients = new Map<SigningIdentity, NetworkLedgerClient>();
  let closed = false;
  const connection = {
    client(identity: SigningIdentity): FabricNetworkClient {
      if (closed) throw new LedgerUnavailableError('the fabric-network connection is closed');
      let client = clients.get(identity);
      if (!client) {
        client = new NetworkLedgerClient(connection, options, profile, identity, () => clients.delete(identity));
        clients.set(identity, client);
      }
      return client;
    },
    async close() {
      closed = true;
      await Promise.all([...clients.values()].map((client) => client.close()));
    },
  };
  return connection;
}

class NetworkLedgerClient implements FabricNetworkClient {
  readonly kind = 'fabric-network';
  readonly #gateway = new Gateway();
  readonly #network: Promise<Network>;
  #closed = false;

  constructor(
    private readonly connection: FabricNetworkConnection,
    private readonly options: FabricConnectionOptions,
    profile: Record<string, unknown>,
    readonly identity: SigningIdentity,
    private readonly onClose: () => void,
  ) {
    this.#network = this.#gateway
      .connect(profile, {
        identity: sdkIdentityOf(identity),
        identityProvider: signingIdentityProvider(),
        discovery: { enabled: true, asLocalhost: false },
        // submit() resolves once every peer of the channel committed the transaction, so a read on
        // any organisation's peer afterwards sees it (the commit listener adds the block number).
        eventHandlerOptions: {
          strategy: DefaultEventHandlerStrategies.NETWORK_SCOPE_ALLFORTX,
          endorseTimeout: DEFAULT_SUBMIT_MS / 1000,
          commitTimeout: DEFAULT_SUBMIT_MS / 1000,
        },
        queryHandlerOptions: { timeout: DEFAULT_EVALUATE_MS / 1000 },
      })
      .then(() => this.#gateway.getNetwork(options.channel));
    // A failed connect surfaces on the first call; do not let it go unhandled meanwhile.
    this.#network.catch(() => undefined);
  }

  async submit(request: FabricTransactionRequest, options?: CallOptions): Promise<SubmittedTransaction> {
    const network = await this.#ready();
    const transaction = network.getContract(this.options.chaincode, request.contract).createTransaction(request.name);
    const txId = transaction.getTransactionId();
    if (request.transient) transaction.setTransient(toBuffers(request.transient));
    if (request.endorsingOrganizations) transaction.setEndorsingOrganizations(...request.endorsingOrganizations);

    let settle: (event: CommitEvent | Error) => void = () => undefined;
    const committed = new Promise<CommitEvent | Error>((resolve) => {
      settle = resolve;
    });
    const localPeers = network.getChannel().getEndorsers(this.options.peerMspId);
    const listener = await network.addCommitListener(
      (error, event) => settle(error ?? event ?? new Error('empty commit event')),
      localPeers,
      txId,
    );
    try {
      return await this.#withDeadline(txId, options, DEFAULT_SUBMIT_MS, async () => {
        const result = await transaction.submit(...(request.args ?? []));
        const outcome = await committed;
        if (outcome instanceof Error) throw outcome;
        if (!outcome.isValid) throw new LedgerCommitError(outcome.status, txId);
        return { txId, blockNumber: BigInt(outcome.getBlockEvent().blockNumber.toString()), result };
      });
    } finally {
      network.removeCommitListener(listener);
    }
  }

  async evaluate(request: TransactionRequest, options?: CallOptions): Promise<Uint8Array> {
    const network = await this.#ready();
    const transaction = network.getContract(this.options.chaincode, request.contract).createTransaction(request.name);
    if (request.transient) transaction.setTransient(toBuffers(request.transient));
    return this.#withDeadline(transaction.getTransactionId(), options, DEFAULT_EVALUATE_MS, () =>
      transaction.evaluate(...(request.args ?? [])),
    );
  }

  chaincodeEvents(options: EventOptions = {}): CloseableAsyncIterable<LedgerChaincodeEvent> {
    return pushIterable<LedgerChaincodeEvent>(async (push) => {
      const network = await this.#ready();
      const contract = network.getContract(this.options.chaincode);
      const listener = await contract.addContractListener(
        (event: ContractEvent) => {
          const tx = event.getTransactionEvent();
          push({
            txId: tx.transactionId,
            blockNumber: BigInt(tx.getBlockEvent().blockNumber.toString()),
            chaincodeName: event.chaincodeId,
            eventName: event.eventName,
            payload: new Uint8Array(event.payload ?? Buffer.alloc(0)),
          });
          return Promise.resolve();
        },
        { type: 'full', ...(options.startBlock === undefined ? {} : { startBlock: options.startBlock.toString() }) },
      );
      return () => contract.removeContractListener(listener);
    }, options.signal);
  }

  /**
   * Block numbers come from a filtered block listener; each block's exact bytes are then read with
   * qscc GetBlockByNumber (fabric-network hands listeners decoded blocks, not their encoding).
   */
  blocks(options: EventOptions = {}): CloseableAsyncIterable<LedgerBlock> {
    const numbers = pushIterable<bigint>(async (push) => {
      const network = await this.#ready();
      const listener = await network.addBlockListener(
        (event: BlockEvent) => {
          push(BigInt(event.blockNumber.toString()));
          return Promise.resolve();
        },
        {
          type: 'filtered',
          ...(options.startBlock === undefined ? {} : { startBlock: options.startBlock.toString() }),
        },
      );
      return () => network.removeBlockListener(listener);
    }, options.signal);
    const blockBytes = (number: bigint) =>
      this.evaluateSystem('GetBlockByNumber', this.options.channel, number.toString());
    return {
      close: () => numbers.close(),
      async *[Symbol.asyncIterator]() {
        for await (const number of numbers) {
          yield { number, bytes: await blockBytes(number) };
        }
      },
    };
  }

  async height(): Promise<bigint> {
    const info = await this.evaluateSystem('GetChainInfo', this.options.channel);
    return BigInt(common.BlockchainInfo.deserializeBinary(info).getHeight());
  }

  withIdentity(identity: SigningIdentity): FabricNetworkClient {
    return this.connection.client(identity);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.onClose();
      this.#gateway.disconnect();
    }
    return Promise.resolve();
  }

  /** A query of the peer's ledger system chaincode (qscc). */
  async evaluateSystem(name: string, ...args: string[]): Promise<Uint8Array> {
    const network = await this.#ready();
    const transaction = network.getContract('qscc').createTransaction(name);
    return this.#withDeadline(undefined, undefined, DEFAULT_EVALUATE_MS, () => transaction.evaluate(...args));
  }

  async #ready(): Promise<Network> {
    if (this.#closed) throw new LedgerUnavailableError('this fabric-network client is closed');
    try {
      return await this.#network;
    } catch (error) {
      throw new LedgerUnavailableError(`fabric-network could not connect to ${this.options.peerAddress}`, {
        cause: error,
      });
    }
  }

  /** Runs a call under its deadline and abort signal, turning SDK errors into the ledger's typed errors. */
  async #withDeadline<T>(
    txId: string | undefined,
    options: CallOptions | undefined,
    defaultMs: number,
    run: () => Promise<T>,
  ): Promise<T> {
    options?.signal?.throwIfAborted();
    const timeoutMs = options?.timeoutMs ?? defaultMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      const fail = (why: string) =>
        reject(new LedgerTimeoutError(`${why}${txId ? ` (transaction ${txId})` : ''}`, { txId }));
      timer = setTimeout(() => fail(`no outcome within ${timeoutMs} ms`), timeoutMs);
      onAbort = () => fail('call aborted');
      options?.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run(), expired]);
    } catch (error) {
      throw toLedgerError(error, txId);
    } finally {
      clearTimeout(timer);
      if (onAbort) options?.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function toBuffers(transient: Readonly<Record<string, Uint8Array>>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(transient).map(([key, value]) => [key, Buffer.from(value)]));
}

function toLedgerError(error: unknown, txId: string | undefined): unknown {
  if (error instanceof LedgerError) return error;
  if (!(error instanceof Error)) return error;
  // fabric-network's TransactionError and TimeoutError are types only (not exported at run time)
  const transactionCode = (error as { transactionCode?: unknown }).transactionCode;
  if (typeof transactionCode === 'string' && txId)
    return new LedgerCommitError(transactionCode, txId, { cause: error });
  if (error.name === 'TimeoutError') return new LedgerTimeoutError(error.message, { txId, cause: error });
  // evaluate: the peer's response is copied onto the error (status, message = the contract's text)
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400) {
    return new LedgerEndorsementError(error.message, { txId, cause: error });
  }
  // submit: 'No valid responses from any peers. Errors: peer=..., status=500, message=...'
  const messages: string[] = [];
  for (const match of error.message.matchAll(PEER_RESPONSE)) {
    if (match[2] !== undefined && Number(match[1]) >= 400) messages.push(`chaincode response ${match[1]}, ${match[2]}`);
  }
  return endorsementErrorFrom(messages, txId, error) ?? error;
}

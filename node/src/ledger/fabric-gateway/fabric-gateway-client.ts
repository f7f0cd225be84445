import * as grpc from '@grpc/grpc-js';
import {
  connect,
  EndorseError,
  GatewayError,
  hash,
  StatusCode,
  type Gateway,
  type Proposal,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import type { SigningIdentity } from '../../identity/signing-identity';
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
import { LedgerCommitError, LedgerError, LedgerTimeoutError, LedgerUnavailableError } from '../ledger-errors';
import { closeableMap } from './closeable';
import type { FabricConnectionOptions } from './fabric-connection';
import { deadlineOf, endorsementErrorFrom } from './fabric-errors';

/** A transaction request with Fabric-only choices (tests use it to endorse with one organisation). */
export interface FabricTransactionRequest extends TransactionRequest {
  /** Endorse only with peers of these MSPs instead of the plan the gateway derives. */
  endorsingOrganizations?: readonly string[];
}

/** A gRPC connection to one peer's gateway service, shared by every identity acting through it. */
export interface FabricGatewayConnection {
  client(identity: SigningIdentity): FabricGatewayClient;
  close(): Promise<void>;
}

export interface FabricGatewayClient extends LedgerClient {
  submit(request: FabricTransactionRequest, options?: CallOptions): Promise<SubmittedTransaction>;
  withIdentity(identity: SigningIdentity): FabricGatewayClient;
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_CANCELLED = 1;
const GRPC_UNAVAILABLE = 14;

/** Opens a TLS gRPC connection to the peer's gateway; clients for any identity share it. */
export function createFabricGatewayConnection(options: FabricConnectionOptions): FabricGatewayConnection {
  const channelOptions: grpc.ChannelOptions = options.peerHostname
    ? { 'grpc.ssl_target_name_override': options.peerHostname }
    : {};
  const grpcClient = new grpc.Client(
    options.peerAddress,
    grpc.credentials.createSsl(Buffer.from(options.tlsRootCertificatePem)),
    channelOptions,
  );
  const open = new Set<GatewayLedgerClient>();
  let closed = false;
  return {
    client(identity) {
      if (closed) throw new LedgerUnavailableError('the fabric-gateway connection is closed');
      return new GatewayLedgerClient(grpcClient, options, identity, open);
    },
    async close() {
      closed = true;
      await Promise.all([...open].map((client) => client.close()));
      grpcClient.close();
    },
  };
}

class GatewayLedgerClient implements FabricGatewayClient {
  readonly kind = 'fabric-gateway';
  readonly #gateway: Gateway;
  #closed = false;

  constructor(
    private readonly grpcClient: grpc.Client,
    private readonly options: FabricConnectionOptions,
    readonly identity: SigningIdentity,
    private readonly open: Set<GatewayLedgerClient>,
  ) {
    // hash.none: the SigningIdentity hashes (SHA-256) the message itself before signing.
    this.#gateway = connect({
      client: grpcClient,
      identity: { mspId: identity.mspId, credentials: Buffer.from(identity.certificatePem) },
      signer: (message) => identity.signAsync(message),
      hash: hash.none,
    });
    open.add(this);
  }

  async submit(request: FabricTransactionRequest, options?: CallOptions): Promise<SubmittedTransaction> {
    const deadline = deadlineOf(options, DEFAULT_SUBMIT_MS);
    const proposal = this.#proposal(request);
    const txId = proposal.getTransactionId();
    return this.#call(txId, options?.signal, async () => {
      const transaction = await proposal.endorse({ deadline });
      const result = transaction.getResult();
      const commit = await transaction.submit({ deadline });
      const status = await commit.getStatus({ deadline });
      if (!status.successful) {
        throw new LedgerCommitError(validationCodeName(status.code), txId);
      }
      return { txId, blockNumber: status.blockNumber, result };
    });
  }

  async evaluate(request: TransactionRequest, options?: CallOptions): Promise<Uint8Array> {
    const deadline = deadlineOf(options, DEFAULT_EVALUATE_MS);
    const proposal = this.#proposal(request);
    return this.#call(proposal.getTransactionId(), options?.signal, () => proposal.evaluate({ deadline }));
  }

  chaincodeEvents(options: EventOptions = {}): CloseableAsyncIterable<LedgerChaincodeEvent> {
    return closeableMap(
      () =>
        this.#network().getChaincodeEvents(this.options.chaincode, {
          ...(options.startBlock === undefined ? {} : { startBlock: options.startBlock }),
        }),
      (event) => ({
        txId: event.transactionId,
        blockNumber: event.blockNumber,
        chaincodeName: event.chaincodeName,
        eventName: event.eventName,
        payload: event.payload,
      }),
      options.signal,
    );
  }

  blocks(options: EventOptions = {}): CloseableAsyncIterable<LedgerBlock> {
    return closeableMap(
      () =>
        this.#network().getBlockEvents({
          ...(options.startBlock === undefined ? {} : { startBlock: options.startBlock }),
        }),
      (block: common.Block) => ({
        number: BigInt(block.getHeader()?.getNumber() ?? 0),
        bytes: block.serializeBinary(),
      }),
      options.signal,
    );
  }

  async height(): Promise<bigint> {
    const info = await this.#call(undefined, undefined, () =>
      this.#network().getContract('qscc').evaluateTransaction('GetChainInfo', this.options.channel),
    );
    return BigInt(common.BlockchainInfo.deserializeBinary(info).getHeight());
  }

  withIdentity(identity: SigningIdentity): FabricGatewayClient {
    return new GatewayLedgerClient(this.grpcClient, this.options, identity, this.open);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#gateway.close();
      this.open.delete(this);
    }
    return Promise.resolve();
  }

  #network() {
    if (this.#closed) throw new LedgerUnavailableError('this fabric-gateway client is closed');
    return this.#gateway.getNetwork(this.options.channel);
  }

  #proposal(request: FabricTransactionRequest): Proposal {
    const contract = this.#network().getContract(this.options.chaincode, request.contract);
    return contract.newProposal(request.name, {
      arguments: [...(request.args ?? [])],
      ...(request.transient ? { transientData: { ...request.transient } } : {}),
      ...(request.endorsingOrganizations ? { endorsingOrganizations: [...request.endorsingOrganizations] } : {}),
    });
  }

  /** Runs a gateway call, turning its errors into the ledger's typed errors. */
  async #call<T>(txId: string | undefined, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new LedgerTimeoutError(`call aborted${txId ? ` (transaction ${txId})` : ''}`, { txId }));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run(), aborted]);
    } catch (error) {
      throw toLedgerError(error, txId);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** 'MVCC_READ_CONFLICT' for 11: the name of a peer.TxValidationCode. */
function validationCodeName(code: number): string {
  return Object.entries(StatusCode).find(([, value]) => value === code)?.[0] ?? `TX_VALIDATION_CODE_${code}`;
}

function toLedgerError(error: unknown, txId: string | undefined): unknown {
  if (error instanceof LedgerError) return error;
  if (error instanceof GatewayError) {
    const id = error instanceof EndorseError ? error.transactionId : txId;
    const refused = endorsementErrorFrom([...error.details.map((detail) => detail.message), error.message], id, error);
    if (refused) return refused;
    if (error.code === GRPC_DEADLINE_EXCEEDED || error.code === GRPC_CANCELLED) {
      return new LedgerTimeoutError(`${error.message}${id ? ` (transaction ${id})` : ''}`, { txId: id, cause: error });
    }
    if (error.code === GRPC_UNAVAILABLE) {
      return new LedgerUnavailableError(`peer unavailable: ${error.message}`, { cause: error });
    }
  }
  return error;
}

import './fabric-logging';
import path from 'node:path';
import { common, peer } from '@hyperledger/fabric-protos';
import type ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';
import ChaincodeStub from 'fabric-shim/lib/stub';
import { blockDataHash, blockHeaderHash } from '../../fabric/block-hash';
import { newBlock } from '../../fabric/blockfile';
import { createMspVerifier, type MspVerifier } from '../../identity/msp-verifier';
import { signsWithCheckedKey, verifySignatureAsync } from '../../identity/signer';
import type { SigningIdentity } from '../../identity/signing-identity';
import { asError } from '../../errors';
import type {
  CallOptions,
  CloseableAsyncIterable,
  EventOptions,
  LedgerBlock,
  LedgerChaincodeEvent,
  LedgerClient,
  SubmittedTransaction,
  TransactionRequest,
} from '../ledger-client';
import {
  LedgerCommitError,
  LedgerEndorsementError,
  LedgerError,
  LedgerTimeoutError,
  LedgerUnavailableError,
} from '../ledger-errors';
import { BlockStore } from './block-store';
import { createContractRuntime } from './contract-runtime';
import {
  buildGenesisConfigEnvelope,
  collectionAccess,
  signBlockMetadata,
  type ChannelOrganization,
  type CollectionDefinition,
} from './channel-config';
import { encodeVersioned, HISTORY_ENTRY_IN_BLOCK, StateStore, type BatchOp, type BlockLocation } from './state-store';
import {
  buildProposal,
  chaincodeEventBytes,
  endorseTransaction,
  timestampFields,
  type BuiltProposal,
} from './transaction-builder';
import { decodePrivateWrites, decodeTxEffects, type TxEffects } from './tx-effects';
import {
  compareKeys,
  sha256,
  TxSimulator,
  type CollectionAccess,
  type RecordedRangeQuery,
  type Version,
} from './tx-simulator';

/**
 * The embedded ledger: the gnc contracts run in-process through fabric-shim's own
 * ChaincodeFromContract and ChaincodeStub, over LevelDB, with Fabric's semantics — endorsement
 * produces a signed read/write set, an ordering step cuts blocks, validation applies MVCC and
 * phantom-read checks, and committed blocks are appended in Fabric's blockfile format, signed by
 * the node as an orderer would sign them.
 *
 * Durability order for each block: private data staged (LevelDB, synced) -> block appended
 * (fsync) -> state, history and indexes (LevelDB, synced) -> callers acknowledged. A crash at any
 * point leaves the blockfile ahead of or equal to the state, never behind; open() replays the
 * difference and cuts off a torn last block.
 */

const VALID = peer.TxValidationCode.VALID;
const MVCC_READ_CONFLICT = peer.TxValidationCode.MVCC_READ_CONFLICT;
const PHANTOM_READ_CONFLICT = peer.TxValidationCode.PHANTOM_READ_CONFLICT;
const DUPLICATE_TXID = peer.TxValidationCode.DUPLICATE_TXID;

const DEFAULT_MAX_BLOCK_TRANSACTIONS = 500;
const DEFAULT_MAX_BLOCK_WAIT_MS = 10;

/** A contract class as fabric-contract-api expects it. */
export type ContractClass = new () => object;

export interface EmbeddedLedgerOptions {
  /** Folder holding the blockfiles (chains/chains/<channel>/) and the LevelDB (state/). */
  directory: string;
  channelId: string;
  chaincodeName: string;
  chaincodeVersion: string;
  contracts: readonly ContractClass[];
  /** Signs endorsements and blocks: the node acts as the endorsing peer and the orderer. */
  nodeIdentity: SigningIdentity;
  /** The organisation of the node identity, recorded as the orderer organisation. */
  nodeOrganization: ChannelOrganization;
  /** Application organisations whose members may transact. */
  organizations: readonly ChannelOrganization[];
  collections: readonly CollectionDefinition[];
  /** Upper bound of transactions in one block. */
  maxBlockTransactions?: number;
  /**
   * Upper bound, in milliseconds, of how long a queued transaction waits for the ones still
   * being endorsed to join its block (see blockFilled).
   */
  maxBlockWaitMs?: number;
  maxBlockfileBytes?: number;
  /** Told what open() repaired (replayed blocks, a torn block cut off). */
  onRecovery?: (report: RecoveryReport) => void;
}

export interface RecoveryReport {
  replayedBlocks: number;
  truncated?: { file: number; offset: number; reason: string };
}

interface PendingTx {
  txId: string;
  envelopeBytes: Uint8Array;
  /** What the envelope's read/write set and event say, as built with it (not decoded back). */
  effects: TxEffects;
  reads: Map<string, Version | null>;
  rangeQueries: RecordedRangeQuery[];
  hashedReads: Array<{ collection: string; key: string; version: Version | null }>;
  privateRwSet: Uint8Array | undefined;
  resolve: (outcome: { blockNumber: number; code: number }) => void;
  reject: (error: Error) => void;
}

/**
 * A block appended to the blockfile whose state, history and indexes are still being written:
 * what it changes, so the next block validates against it as if it were committed.
 */
interface BlockInFlight {
  /** Public keys written (null: deleted) by the block's valid transactions, with their versions. */
  updated: Map<string, Version | null>;
  /** Private data hashes written, by collection and key hash (see hashedId). */
  hashedUpdated: Map<string, Version | null>;
  /** Transaction ids the block puts into the transaction index. */
  txIds: Set<string>;
}

interface Simulation {
  built: BuiltProposal;
  simulator: TxSimulator;
  response: { status: number; message: string; payload: Buffer };
  event: { bytes: Uint8Array; fields: NonNullable<TxEffects['event']> } | undefined;
}

export class EmbeddedLedger {
  private readonly chaincode: ChaincodeFromContract;
  private readonly verifier: MspVerifier;
  private readonly collections: Map<string, CollectionAccess>;
  private readonly queue: PendingTx[] = [];
  private committing: Promise<void> | undefined;
  /** Committed height: blocks whose state is written (what readers and events see). */
  private heightValue = 0;
  private previousHash: Buffer = Buffer.alloc(0);
  private lastLocation: BlockLocation | undefined;
  /** The number and header hash the next block cut gets (appended blocks run ahead of heightValue). */
  private nextBlockNumber = 0;
  private lastAppendedHash: Buffer = Buffer.alloc(0);
  /** Appended blocks whose state writes are under way, oldest first. */
  private readonly inFlight: BlockInFlight[] = [];
  /**
   * The state write of the last block appended. State writes run one after the other in block
   * order, each after the one before has succeeded: after a failed one, none is written.
   */
  private lastStateWrite: Promise<void> = Promise.resolve();
  private readonly recentBlocks = new Map<number, common.Block>();
  private commitWaiters: Array<() => void> = [];
  /** Submits between their start and their arrival in the queue (simulating, signing). */
  private endorsing = 0;
  /** Set while the commit loop waits for a block to fill; cuts it now. */
  private cutBlock: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;

  private constructor(
    private readonly options: EmbeddedLedgerOptions,
    private readonly state: StateStore,
    private readonly blocks: BlockStore,
  ) {
    this.chaincode = createContractRuntime(options.contracts, options.chaincodeName, options.chaincodeVersion);
    this.verifier = createMspVerifier(options.organizations);
    this.collections = new Map(options.collections.map((c) => [c.name, collectionAccess(c)]));
    state.readHistoryFrom((blockNumber) => this.readBlock(blockNumber));
  }

  static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    const state = await StateStore.open(path.join(options.directory, 'state'));
    let blocks: BlockStore | undefined;
    try {
      blocks = await BlockStore.open(
        path.join(options.directory, 'chains', 'chains', options.channelId),
        options.maxBlockfileBytes,
      );
      const ledger = new EmbeddedLedger(options, state, blocks);
      await ledger.recover();
      return ledger;
    } catch (error) {
      await blocks?.close();
      await state.close();
      throw error;
    }
  }

  get channelId(): string {
    return this.options.channelId;
  }

  get height(): number {
    return this.heightValue;
  }

  /** A LedgerClient acting as `identity` on this ledger. */
  client(identity: SigningIdentity): LedgerClient {
    return new EmbeddedLedgerClient(this, identity, true);
  }

  /** The state database, for audit and key listings (read-only use). */
  get stateStore(): StateStore {
    return this.state;
  }

  get blockDirectory(): string {
    return this.blocks.directory;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cutBlockIfFilled();
    await this.committing;
    await this.lastStateWrite.catch(() => undefined);
    for (const pending of this.queue.splice(0)) {
      pending.reject(new LedgerUnavailableError('ledger closed before the transaction was ordered'));
    }
    this.wakeWaiters();
    await this.blocks.close();
    await this.state.close();
  }

  // ---- endorsement --------------------------------------------------------------------------

  private async simulate(
    identity: SigningIdentity,
    request: TransactionRequest,
    readOnly: boolean,
  ): Promise<Simulation> {
    this.assertOpen();
    const args = [`${request.contract}:${request.name}`, ...(request.args ?? [])].map((a) => Buffer.from(a, 'utf8'));
    const built = await buildProposal({
      channelId: this.options.channelId,
      chaincodeName: this.options.chaincodeName,
      args,
      transient: request.transient,
      creator: identity,
    });
    // What a peer checks before it runs a proposal: a creator of a channel organisation, and
    // the creator's signature over the proposal.
    try {
      this.verifier.validateIdentity(identity.mspId, identity.certificatePem, built.timestamp);
    } catch (error) {
      throw new LedgerEndorsementError(`FORBIDDEN: ${asError(error).message}`, { txId: built.txId, cause: error });
    }
    // The proposal was signed a moment ago, in this process, by `identity`. A peer verifies the
    // signature because a proposal reaches it from a client over the network; here it never left
    // the process, and an identity made by createSigningIdentity had its key checked against its
    // certificate, so the signature verifies by construction and checking it again would cost an
    // ECDSA verification (more than two signatures) per transaction. Any other SigningIdentity is
    // checked as a peer would. See docs/architecture.md, "Transactions are Fabric transactions".
    // The check runs on the crypto worker while the contract runs here.
    const signatureValid = signsWithCheckedKey(identity)
      ? true
      : verifySignatureAsync(
          identity.certificatePem,
          built.signedProposal.getProposalBytes_asU8(),
          built.signedProposal.getSignature_asU8(),
        );
    // The crypto worker answers a whole turn's proposal signatures in one message, so their
    // contracts would all run in that message's turn and the verifications asked for meanwhile
    // would reach the worker only after the last of them, a whole round trip on every caller's
    // path. Running the contract in the next turn sends the verifications first: the worker
    // checks them while the contracts run. With no verification asked for, there is nothing to
    // let go first.
    if (signatureValid !== true) await new Promise<void>((resolve) => setImmediate(resolve));
    const simulator = new TxSimulator(
      this.state,
      this.options.chaincodeName,
      identity.mspId,
      (name) => this.collections.get(name),
      readOnly,
    );
    const stub = new ChaincodeStub(simulator, this.options.channelId, built.txId, built.input, built.signedProposal);
    const result = await this.chaincode.Invoke(stub);
    if (!(await signatureValid)) {
      throw new LedgerEndorsementError('FORBIDDEN: the proposal signature does not verify', { txId: built.txId });
    }
    const response = {
      status: result.status,
      message: result.message ?? '',
      payload: Buffer.from(result.payload ?? new Uint8Array()),
    };
    if (response.status >= 400) {
      throw new LedgerEndorsementError(response.message || `chaincode returned status ${response.status}`, {
        txId: built.txId,
      });
    }
    let event: Simulation['event'];
    if (stub.chaincodeEvent) {
      // As the peer does: the shim sets name and payload, the peer adds chaincode id and tx id.
      const fields = {
        chaincodeName: this.options.chaincodeName,
        eventName: stub.chaincodeEvent.getEventName(),
        payload: Buffer.from(stub.chaincodeEvent.getPayload_asU8()),
      };
      event = { bytes: chaincodeEventBytes({ ...fields, txId: built.txId }), fields };
    }
    return { built, simulator, response, event };
  }

  async evaluate(identity: SigningIdentity, request: TransactionRequest): Promise<Uint8Array> {
    const simulation = await this.simulate(identity, request, true);
    return simulation.response.payload;
  }

  async submit(
    identity: SigningIdentity,
    request: TransactionRequest,
    options: CallOptions = {},
  ): Promise<SubmittedTransaction> {
    this.endorsing += 1;
    let endorsed: { tx: Omit<PendingTx, 'resolve' | 'reject'>; result: Buffer };
    try {
      endorsed = await this.endorseForOrdering(identity, request);
    } catch (error) {
      this.endorsing -= 1;
      this.cutBlockIfFilled();
      throw error;
    }
    // In the same turn as the decrement: the block cutter sees this one either endorsing or queued.
    this.endorsing -= 1;
    const outcome = await this.order(endorsed.tx, options);
    if (outcome.code !== VALID) {
      throw new LedgerCommitError(validationCodeName(outcome.code), endorsed.tx.txId);
    }
    return { txId: endorsed.tx.txId, blockNumber: BigInt(outcome.blockNumber), result: endorsed.result };
  }

  /** Simulation, endorsement and the signed envelope: what a client sends to ordering. */
  private async endorseForOrdering(
    identity: SigningIdentity,
    request: TransactionRequest,
  ): Promise<{ tx: Omit<PendingTx, 'resolve' | 'reject'>; result: Buffer }> {
    const { built, simulator, response, event } = await this.simulate(identity, request, false);
    const rwset = simulator.buildPublicRwSet();
    const { envelopeBytes } = await endorseTransaction({
      proposal: built,
      chaincodeName: this.options.chaincodeName,
      chaincodeVersion: this.options.chaincodeVersion,
      results: rwset.bytes,
      events: event?.bytes,
      status: response.status,
      message: response.message,
      payload: response.payload,
      endorser: this.options.nodeIdentity,
      creator: identity,
    });
    const hashedReads: PendingTx['hashedReads'] = [];
    for (const [collection, set] of simulator.collections) {
      for (const [key, version] of set.reads) hashedReads.push({ collection, key, version });
    }
    const tx = {
      txId: built.txId,
      envelopeBytes,
      effects: {
        txId: built.txId,
        headerType: common.HeaderType.ENDORSER_TRANSACTION,
        timestamp: timestampFields(built.timestamp),
        namespace: this.options.chaincodeName,
        writes: rwset.writes,
        hashedWrites: rwset.hashedWrites,
        event: event?.fields,
      },
      reads: simulator.reads,
      rangeQueries: simulator.rangeQueries,
      hashedReads,
      privateRwSet: rwset.privateRwSet,
    };
    return { tx, result: response.payload };
  }

  // ---- ordering and commit ------------------------------------------------------------------

  private order(
    tx: Omit<PendingTx, 'resolve' | 'reject'>,
    options: CallOptions,
  ): Promise<{ blockNumber: number; code: number }> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () =>
        fail(
          new LedgerTimeoutError(`transaction ${tx.txId} was not committed in time; it may still commit`, {
            txId: tx.txId,
          }),
        );
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      if (options.timeoutMs !== undefined) timer = setTimeout(onAbort, options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push({
        ...tx,
        resolve: (outcome) => {
          cleanup();
          resolve(outcome);
        },
        reject: fail,
      });
      this.scheduleCommit();
      this.cutBlockIfFilled();
    });
  }

  /**
   * Block cutting. Callers acknowledged together by one block submit their next transactions
   * together, and their endorsements reach the queue together (the crypto worker answers a whole
   * turn's signatures in one message), so transactions arrive in waves. Cutting whatever is queued
   * the moment the previous block is durable either makes blocks of one or two transactions, each
   * paying a block's fsyncs, signature and LevelDB write, or one block of the whole wave, during
   * whose commit every caller waits and the main thread idles. Like an orderer's batch timeout,
   * but adaptive: the cutter waits while more transactions are being endorsed than are queued (at
   * most maxBlockWaitMs, not at all when the block is full or nothing else is being endorsed), and
   * the block is what was queued at that moment, so a wave is split in two blocks: the callers of
   * the first endorse again while the second commits.
   *
   * Resolves to the number of queued transactions the block takes.
   */
  private blockFilled(): Promise<number> {
    if (this.blockIsFilled()) return Promise.resolve(this.blockSize());
    return new Promise((resolve) => {
      const cut = () => {
        clearTimeout(timer);
        this.cutBlock = undefined;
        resolve(this.blockSize());
      };
      const timer = setTimeout(cut, this.options.maxBlockWaitMs ?? DEFAULT_MAX_BLOCK_WAIT_MS);
      this.cutBlock = cut;
    });
  }

  private blockSize(): number {
    return Math.min(this.queue.length, this.options.maxBlockTransactions ?? DEFAULT_MAX_BLOCK_TRANSACTIONS);
  }

  private blockIsFilled(): boolean {
    return (
      this.closed ||
      this.queue.length >= (this.options.maxBlockTransactions ?? DEFAULT_MAX_BLOCK_TRANSACTIONS) ||
      this.queue.length >= this.endorsing
    );
  }

  private cutBlockIfFilled(): void {
    if (this.cutBlock && this.blockIsFilled()) this.cutBlock();
  }

  private scheduleCommit(): void {
    if (this.committing) return;
    this.committing = (async () => {
      try {
        // Group commit: while one block is being made durable, the next one fills up.
        while (this.queue.length > 0 && !this.failure) {
          const batch = this.queue.splice(0, await this.blockFilled());
          if (batch.length === 0) continue;
          try {
            await this.commitBlock(batch);
          } catch (error) {
            // A failed write leaves the ledger in an unknown state on disk: stop taking
            // transactions; reopening recovers from the blockfile.
            this.failure ??= new LedgerUnavailableError(`block commit failed: ${asError(error).message}`, {
              cause: error,
            });
            for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(this.failure);
          }
        }
      } finally {
        this.committing = undefined;
      }
    })();
  }

  /**
   * Validates a block, appends it to the blockfile (fsync) and starts writing its state without
   * waiting for that write: the next block is validated against this one's writes and appended
   * while LevelDB syncs, so the two fsyncs of consecutive blocks overlap. The order on disk stays
   * the one recovery relies on (a block's state is written only after the block is durable, and
   * the state writes follow the block order), and callers are answered only after their block's
   * state is written.
   */
  private async commitBlock(batch: PendingTx[]): Promise<void> {
    const blockNumber = this.nextBlockNumber;
    const { codes, effects, overlay } = await this.validate(blockNumber, batch);
    const envelopes = batch.map((tx) => tx.envelopeBytes);
    const staged: BatchOp[] = [];
    batch.forEach((tx, i) => {
      if (codes[i] === VALID && tx.privateRwSet) {
        staged.push({
          type: 'put',
          key: StateStore.pendingPrivateKey(blockNumber, i),
          value: Buffer.from(tx.privateRwSet),
        });
      }
    });
    if (staged.length > 0) await this.state.write(staged);

    // The state write of an earlier block may have failed while this one was validated: then the
    // state on disk is unknown and no further block may become durable (its callers would be told
    // it failed while recovery commits it).
    if (this.failure) throw this.failure;
    const block = newBlock(BigInt(blockNumber), this.lastAppendedHash, envelopes);
    signBlockMetadata(block, this.options.nodeIdentity, 0, codes);
    const location = await this.blocks.append(block);
    this.nextBlockNumber = blockNumber + 1;
    this.lastAppendedHash = blockHeaderHash(block.getHeader() ?? new common.BlockHeader());
    const pending = new Map<number, Buffer>();
    for (const op of staged) if (op.type === 'put') pending.set(op.key.readUInt32BE(9), op.value);

    const written = this.lastStateWrite.then(async () => {
      await this.applyBlock(block, location, pending, effects);
      batch.forEach((tx, i) => tx.resolve({ blockNumber, code: codes[i] ?? VALID }));
    });
    this.lastStateWrite = written;
    this.inFlight.push(overlay);
    written.then(
      () => {
        this.inFlight.splice(this.inFlight.indexOf(overlay), 1);
      },
      (error: unknown) => {
        // As a failed append: the state on disk is unknown, stop taking transactions; reopening
        // recovers from the blockfile.
        this.failure ??= new LedgerUnavailableError(`block commit failed: ${asError(error).message}`, {
          cause: error,
        });
        for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(this.failure);
      },
    );
  }

  /**
   * MVCC and phantom-read validation of a block's transactions, in order, as a peer's committer
   * does, against the committed state with the writes of the blocks still in flight on top.
   * Returns what the block itself changes, for the blocks validated while it is in flight.
   */
  private async validate(
    blockNumber: number,
    batch: PendingTx[],
  ): Promise<{
    codes: number[];
    effects: Array<TxEffects | undefined>;
    overlay: BlockInFlight;
  }> {
    // What a read sees when a block in flight or an earlier transaction of this block wrote the
    // key: blocks oldest first, so the latest write wins. Taken before the committed state is
    // read: a block whose write lands in between is then seen twice, never missed.
    const inFlight = [...this.inFlight];
    const updated = new Map<string, Version | null>();
    const hashedUpdated = new Map<string, Version | null>();
    for (const block of inFlight) {
      for (const [key, version] of block.updated) updated.set(key, version);
      for (const [id, version] of block.hashedUpdated) hashedUpdated.set(id, version);
    }
    const ns = this.options.chaincodeName;
    const readKeys = new Set<string>();
    for (const tx of batch) for (const key of tx.reads.keys()) readKeys.add(key);
    const keyList = [...readKeys];
    const committed = new Map<string, Version | null>();
    const versions = await this.state.getVersions(keyList.map((k) => StateStore.stateKey(ns, k)));
    keyList.forEach((key, i) => committed.set(key, versions[i] ?? null));

    const hashedReadIds = new Map<PendingTx['hashedReads'][number], string>();
    const hashedKeys = new Map<string, { collection: string; keyHash: Buffer }>();
    for (const tx of batch) {
      for (const read of tx.hashedReads) {
        const keyHash = sha256(Buffer.from(read.key, 'utf8'));
        const id = hashedId(read.collection, keyHash);
        hashedReadIds.set(read, id);
        hashedKeys.set(id, { collection: read.collection, keyHash });
      }
    }
    const hashedList = [...hashedKeys.entries()];
    const hashedVersions = await this.state.getVersions(
      hashedList.map(([, r]) => StateStore.privateHashKey(r.collection, r.keyHash)),
    );
    const hashedCommitted = new Map<string, Version | null>();
    hashedList.forEach(([id], i) => hashedCommitted.set(id, hashedVersions[i] ?? null));

    const txIndexLookups = await this.state.txLocations(batch.map((tx) => tx.txId));
    const overlay: BlockInFlight = {
      updated: new Map(),
      hashedUpdated: new Map(),
      txIds: new Set(),
    };
    const seen = new Set<string>();
    const codes: number[] = [];
    const allEffects: Array<TxEffects | undefined> = [];

    for (const [i, tx] of batch.entries()) {
      let code: number = VALID;
      if (seen.has(tx.txId) || txIndexLookups[i] || inFlight.some((block) => block.txIds.has(tx.txId))) {
        code = DUPLICATE_TXID;
      }
      if (code === VALID) {
        for (const [key, version] of tx.reads) {
          const current = updated.has(key) ? (updated.get(key) ?? null) : (committed.get(key) ?? null);
          if (!sameVersion(current, version)) {
            code = MVCC_READ_CONFLICT;
            break;
          }
        }
      }
      if (code === VALID) {
        for (const read of tx.hashedReads) {
          const id = hashedReadIds.get(read) ?? '';
          const current = hashedUpdated.has(id) ? (hashedUpdated.get(id) ?? null) : (hashedCommitted.get(id) ?? null);
          if (!sameVersion(current, read.version)) {
            code = MVCC_READ_CONFLICT;
            break;
          }
        }
      }
      if (code === VALID) {
        for (const query of tx.rangeQueries) {
          if (!(await this.rangeUnchanged(query, updated))) {
            code = PHANTOM_READ_CONFLICT;
            break;
          }
        }
      }
      seen.add(tx.txId);
      if (code !== DUPLICATE_TXID) overlay.txIds.add(tx.txId);
      codes.push(code);
      if (code !== VALID) {
        allEffects.push(undefined);
        continue;
      }
      const effects = tx.effects;
      allEffects.push(effects);
      const version = { block: blockNumber, tx: i };
      for (const write of effects.writes) {
        const written = write.value === null ? null : version;
        updated.set(write.key, written);
        overlay.updated.set(write.key, written);
      }
      for (const write of effects.hashedWrites) {
        const id = hashedId(write.collection, write.keyHash);
        const written = write.valueHash === null ? null : version;
        hashedUpdated.set(id, written);
        overlay.hashedUpdated.set(id, written);
      }
    }
    return { codes, effects: allEffects, overlay };
  }

  /**
   * Re-runs a recorded range query against committed state plus the writes of the blocks in flight
   * and of this block's earlier transactions (`updated`).
   */
  private async rangeUnchanged(query: RecordedRangeQuery, updated: Map<string, Version | null>): Promise<boolean> {
    const ns = this.options.chaincodeName;
    const rows = await this.state.getRange(ns, query.start, query.end, query.reads.length + 1 + updated.size);
    const now = new Map<string, Version>();
    for (const row of rows) now.set(row.key, row.version);
    for (const [key, version] of updated) {
      const inRange = compareKeys(key, query.start) >= 0 && (!query.end || compareKeys(key, query.end) < 0);
      if (!inRange) continue;
      if (version === null) now.delete(key);
      else now.set(key, version);
    }
    const current = [...now.entries()].sort((a, b) => compareKeys(a[0], b[0]));
    if (current.length !== query.reads.length) return false;
    return current.every(([key, version], i) => {
      const read = query.reads[i];
      return read !== undefined && read.key === key && sameVersion(read.version, version);
    });
  }

  /** Applies a stored block to state, history and indexes; used by commit and by recovery. */
  private async applyBlock(
    block: common.Block,
    location: BlockLocation,
    pendingPrivate: Map<number, Buffer>,
    /** Effects already decoded during validation, by transaction number. */
    knownEffects: ReadonlyArray<TxEffects | undefined> = [],
  ): Promise<void> {
    const header = block.getHeader();
    if (!header) throw new LedgerUnavailableError('block without header');
    const blockNumber = header.getNumber();
    const codes =
      block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
    const ops: BatchOp[] = [];
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    for (const [i, envelope] of envelopes.entries()) {
      const code = codes[i] ?? VALID;
      const effects = knownEffects[i] ?? decodeTxEffects(envelope);
      if (effects.txId && !(code === DUPLICATE_TXID)) {
        ops.push({
          type: 'put',
          key: StateStore.txKey(effects.txId),
          value: StateStore.encodeTxLocation({ block: blockNumber, tx: i, validationCode: code }),
        });
      }
      if (code !== VALID) continue;
      this.effectsToOps(effects, { block: blockNumber, tx: i }, pendingPrivate.get(i), ops);
    }
    const headerHash = blockHeaderHash(header);
    ops.push({ type: 'put', key: StateStore.blockKey(blockNumber), value: StateStore.encodeBlockLocation(location) });
    ops.push({
      type: 'put',
      key: StateStore.savepointKey,
      value: StateStore.encodeSavepoint({ block: blockNumber, headerHash }),
    });
    for (const i of pendingPrivate.keys()) ops.push({ type: 'del', key: StateStore.pendingPrivateKey(blockNumber, i) });
    await this.state.write(ops);

    this.heightValue = blockNumber + 1;
    this.previousHash = headerHash;
    this.lastLocation = location;
    this.recentBlocks.set(blockNumber, block);
    this.recentBlocks.delete(blockNumber - 64);
    this.wakeWaiters();
  }

  private effectsToOps(effects: TxEffects, version: Version, privateRwSet: Buffer | undefined, ops: BatchOp[]): void {
    const ns = effects.namespace;
    for (const write of effects.writes) {
      const key = StateStore.stateKey(ns, write.key);
      if (write.value === null) ops.push({ type: 'del', key });
      else ops.push({ type: 'put', key, value: encodeVersioned(version, write.value) });
      // As in Fabric's history database, the entry only says which transaction wrote the key;
      // the value, transaction id, timestamp and delete flag are read back from that block.
      ops.push({ type: 'put', key: StateStore.historyKey(ns, write.key, version), value: HISTORY_ENTRY_IN_BLOCK });
    }
    for (const write of effects.hashedWrites) {
      const key = StateStore.privateHashKey(write.collection, write.keyHash);
      if (write.valueHash === null) ops.push({ type: 'del', key });
      else ops.push({ type: 'put', key, value: encodeVersioned(version, write.valueHash) });
    }
    if (privateRwSet) {
      for (const write of decodePrivateWrites(privateRwSet)) {
        const key = StateStore.privateKey(write.collection, write.key);
        if (write.value === null) ops.push({ type: 'del', key });
        else ops.push({ type: 'put', key, value: encodeVersioned(version, write.value) });
      }
    }
  }

  // ---- recovery -----------------------------------------------------------------------------

  private async recover(): Promise<void> {
    const savepoint = await this.state.savepoint();
    let from = { file: 0, offset: 0 };
    if (savepoint) {
      const location = await this.state.blockLocation(savepoint.block);
      if (!location)
        throw new LedgerUnavailableError(`state savepoint names block ${savepoint.block} but the block index lacks it`);
      from = { file: location.file, offset: location.offset + location.length };
      this.heightValue = savepoint.block + 1;
      this.previousHash = savepoint.headerHash;
      this.lastLocation = location;
    }
    const tail = await this.blocks.recoverTail(from);
    let replayed = 0;
    for (const { block, location } of tail.blocks) {
      const header = block.getHeader();
      const number = header?.getNumber() ?? -1;
      if (number !== this.heightValue) {
        throw new LedgerUnavailableError(
          `blockfile holds block ${number} where block ${this.heightValue} was expected; the ledger folder is inconsistent`,
        );
      }
      if (number > 0 && !Buffer.from(header?.getPreviousHash_asU8() ?? []).equals(this.previousHash)) {
        throw new LedgerUnavailableError(
          `block ${number} does not chain to block ${number - 1}; the blockfile is damaged`,
        );
      }
      if (
        !blockDataHash(block.getData()?.getDataList_asU8() ?? []).equals(Buffer.from(header?.getDataHash_asU8() ?? []))
      ) {
        throw new LedgerUnavailableError(`block ${number} does not match its data hash; the blockfile is damaged`);
      }
      await this.applyBlock(block, location, await this.state.pendingPrivate(number));
      replayed += 1;
    }
    if (this.heightValue === 0) await this.commitGenesis();
    this.nextBlockNumber = this.heightValue;
    this.lastAppendedHash = this.previousHash;
    if (replayed > 0 || tail.truncated) {
      this.options.onRecovery?.({ replayedBlocks: replayed, ...(tail.truncated ? { truncated: tail.truncated } : {}) });
    }
  }

  private async commitGenesis(): Promise<void> {
    const envelope = buildGenesisConfigEnvelope({
      channelId: this.options.channelId,
      organizations: this.options.organizations,
      ordererOrganization: this.options.nodeOrganization,
      signer: this.options.nodeIdentity,
    });
    const block = newBlock(0n, new Uint8Array(), [envelope]);
    signBlockMetadata(block, this.options.nodeIdentity, 0, [VALID]);
    const location = await this.blocks.append(block);
    await this.applyBlock(block, location, new Map());
  }

  // ---- reading blocks and events ------------------------------------------------------------

  async readBlock(number: number): Promise<common.Block> {
    const recent = this.recentBlocks.get(number);
    if (recent) return recent;
    const location = await this.state.blockLocation(number);
    if (!location)
      throw new LedgerError('GNC_LEDGER_BLOCK_NOT_FOUND', `block ${number} does not exist`, { httpStatus: 404 });
    return this.blocks.read(location);
  }

  /** Blocks from `start` on, waiting for new ones, until `signal` aborts or the ledger closes. */
  async *blocksFrom(start: number, signal: AbortSignal): AsyncGenerator<common.Block> {
    let next = start;
    while (!signal.aborted && !this.closed) {
      if (next < this.heightValue) {
        yield await this.readBlock(next);
        next += 1;
        continue;
      }
      await this.nextCommit(signal);
    }
  }

  private nextCommit(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.commitWaiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeWaiters(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const wake of waiters) wake();
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerUnavailableError('the ledger is closed');
    if (this.failure) throw this.failure;
  }

  /** Where the last block ended, for diagnostics. */
  get lastBlockLocation(): BlockLocation | undefined {
    return this.lastLocation;
  }
}

class EmbeddedLedgerClient implements LedgerClient {
  readonly kind = 'embedded';

  constructor(
    private readonly ledger: EmbeddedLedger,
    readonly identity: SigningIdentity,
    private readonly owner: boolean,
  ) {}

  submit(request: TransactionRequest, options?: CallOptions): Promise<SubmittedTransaction> {
    return this.ledger.submit(this.identity, request, options);
  }

  evaluate(request: TransactionRequest): Promise<Uint8Array> {
    return this.ledger.evaluate(this.identity, request);
  }

  chaincodeEvents(options: EventOptions = {}): CloseableAsyncIterable<LedgerChaincodeEvent> {
    const ledger = this.ledger;
    return closeable(options, ledger.height, async function* (start, signal) {
      for await (const block of ledger.blocksFrom(start, signal)) {
        const number = BigInt(block.getHeader()?.getNumber() ?? 0);
        const codes = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
        for (const [i, envelope] of (block.getData()?.getDataList_asU8() ?? []).entries()) {
          if ((codes?.[i] ?? VALID) !== VALID) continue;
          const effects = decodeTxEffects(envelope);
          if (!effects.event) continue;
          yield { txId: effects.txId, blockNumber: number, ...effects.event };
        }
      }
    });
  }

  blocks(options: EventOptions = {}): CloseableAsyncIterable<LedgerBlock> {
    const ledger = this.ledger;
    return closeable(options, ledger.height, async function* (start, signal) {
      for await (const block of ledger.blocksFrom(start, signal)) {
        yield { number: BigInt(block.getHeader()?.getNumber() ?? 0), bytes: block.serializeBinary() };
      }
    });
  }

  height(): Promise<bigint> {
    return Promise.resolve(BigInt(this.ledger.height));
  }

  withIdentity(identity: SigningIdentity): LedgerClient {
    return new EmbeddedLedgerClient(this.ledger, identity, false);
  }

  async close(): Promise<void> {
    // Clients made by withIdentity share the owner's ledger; only the owner closes it.
    if (this.owner) await this.ledger.close();
  }
}

/** Wraps a generator so the consumer can stop it from outside (close) or through a signal. */
function closeable<T>(
  options: EventOptions,
  defaultStart: number,
  generator: (start: number, signal: AbortSignal) => AsyncGenerator<T>,
): CloseableAsyncIterable<T> {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const start = options.startBlock !== undefined ? Number(options.startBlock) : defaultStart;
  const iterator = generator(start, controller.signal);
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => controller.abort(),
  };
}

/** Private data is versioned by (collection, key hash), as the hashed write sets name it. */
function hashedId(collection: string, keyHash: Buffer): string {
  return `${collection}\u0000${keyHash.toString('hex')}`;
}

function sameVersion(a: Version | null | undefined, b: Version | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.block === b.block && a.tx === b.tx;
}

export function validationCodeName(code: number): string {
  for (const [name, value] of Object.entries(peer.TxValidationCode)) if (value === code) return name;
  return `CODE_${code}`;
}

export { keyModificationBytes } from './tx-effects';

import { createHash } from 'node:crypto';
import { ledger, peer } from '@hyperledger/fabric-protos';
import { HistoryQueryIterator, StateQueryIterator } from 'fabric-shim/lib/iterators';
import type { HashedWrite, PublicWrite } from './tx-effects';

/**
 * The peer side of the chaincode shim for one transaction, backed by the embedded state.
 * fabric-shim's ChaincodeStub calls these handle* methods exactly as it would send messages to a
 * peer; we answer with the same protobuf structures a peer would, and record the read/write set
 * with Fabric's rules: reads see committed state only (no read-your-writes), reads record the
 * committed version, writes are last-wins per key, range queries are recorded for phantom checks,
 * private data is recorded as hashes in the public set and as values in the private set.
 */

export interface Version {
  block: number;
  tx: number;
}

export interface VersionedValue {
  value: Buffer;
  version: Version;
}

export interface RangeResult {
  key: string;
  value: Buffer;
  version: Version;
}

/** What the simulator needs from the committed state. */
export interface StateReader {
  getState(namespace: string, key: string): Promise<VersionedValue | undefined>;
  getPrivateData(collection: string, key: string): Promise<VersionedValue | undefined>;
  /** Hash of the private value and its version, readable by members and non-members alike. */
  getPrivateDataHash(collection: string, key: string): Promise<{ valueHash: Buffer; version: Version } | undefined>;
  /** Keys in [start, end) (end '' = no upper bound) in byte order, at most `limit`. */
  getRange(namespace: string, start: string, end: string, limit: number): Promise<RangeResult[]>;
  /** KeyModification protobuf bytes, newest first (as Fabric 2.x returns them). */
  getHistory(namespace: string, key: string): Promise<Uint8Array[]>;
}

export interface CollectionAccess {
  members: ReadonlySet<string>;
  memberOnlyRead: boolean;
  memberOnlyWrite: boolean;
}

export interface RecordedRangeQuery {
  start: string;
  end: string;
  exhausted: boolean;
  reads: Array<{ key: string; version: Version }>;
}

export interface SimulatedRwSet {
  /** TxReadWriteSet bytes (public, with private data as hashes). */
  bytes: Uint8Array;
  /** TxPvtReadWriteSet bytes, when private data was written. */
  privateRwSet: Uint8Array | undefined;
  /** The public writes, as they appear in `bytes`. */
  writes: PublicWrite[];
  /** The private data hashes written, as they appear in `bytes`. */
  hashedWrites: HashedWrite[];
}

interface CollectionRwSet {
  reads: Map<string, Version | null>;
  writes: Map<string, Buffer | null>;
}

/** Fabric's total query limit: no single range query returns more than this many records. */
const TOTAL_QUERY_LIMIT = 100_000;

export class SimulatorError extends Error {}

export class TxSimulator {
  readonly reads = new Map<string, Version | null>();
  readonly writes = new Map<string, Buffer | null>();
  readonly rangeQueries: RecordedRangeQuery[] = [];
  readonly collections = new Map<string, CollectionRwSet>();
  private nextIteratorId = 0;

  constructor(
    private readonly state: StateReader,
    private readonly namespace: string,
    private readonly creatorMspId: string,
    private readonly collectionAccess: (name: string) => CollectionAccess | undefined,
    /** Endorsement of a read-only call (evaluate) may use pagination; an update may not. */
    private readonly readOnly: boolean,
  ) {}

  async handleGetState(collection: string, key: string): Promise<Buffer> {
    if (collection) {
      this.checkAccess(collection, 'read');
      const found = await this.state.getPrivateData(collection, key);
      this.collectionSet(collection).reads.set(key, found?.version ?? null);
      return found?.value ?? Buffer.alloc(0);
    }
    const found = await this.state.getState(this.namespace, key);
    if (!this.reads.has(key)) this.reads.set(key, found?.version ?? null);
    return found?.value ?? Buffer.alloc(0);
  }

  handlePutState(collection: string, key: string, value: Buffer): Promise<void> {
    if (collection) {
      this.checkAccess(collection, 'write');
      this.collectionSet(collection).writes.set(key, Buffer.from(value));
    } else {
      this.writes.set(key, Buffer.from(value));
    }
    return Promise.resolve();
  }

  handleDeleteState(collection: string, key: string): Promise<void> {
    if (collection) {
      this.checkAccess(collection, 'write');
      this.collectionSet(collection).writes.set(key, null);
    } else {
      this.writes.set(key, null);
    }
    return Promise.resolve();
  }

  handlePurgeState(): Promise<void> {
    return Promise.reject(new SimulatorError('PurgePrivateData is not supported by the embedded ledger'));
  }

  async handleGetPrivateDataHash(collection: string, key: string): Promise<Buffer> {
    this.collectionDefined(collection);
    const found = await this.state.getPrivateDataHash(collection, key);
    this.collectionSet(collection).reads.set(key, found?.version ?? null);
    return found?.valueHash ?? Buffer.alloc(0);
  }

  handlePutStateMetadata(): Promise<void> {
    return Promise.reject(
      new SimulatorError('key-level endorsement policies are not supported by the embedded ledger'),
    );
  }

  handleGetStateMetadata(): Promise<Record<string, Buffer>> {
    return Promise.resolve({});
  }

  async handleGetStateByRange(
    collection: string,
    startKey: string,
    endKey: string,
    channelId: string,
    txId: string,
    metadata?: Uint8Array,
  ): Promise<{ iterator: unknown; metadata?: { bookmark: string; fetchedRecordsCount: number } }> {
    if (collection) {
      throw new SimulatorError('range queries over private data are not supported by the embedded ledger');
    }
    let pageSize = 0;
    let start = startKey;
    if (metadata && metadata.length > 0) {
      if (!this.readOnly) {
        throw new SimulatorError('paginated queries are supported only for read-only transactions');
      }
      const query = peer.QueryMetadata.deserializeBinary(metadata);
      pageSize = query.getPagesize();
      if (query.getBookmark()) start = query.getBookmark();
    }
    const limit = pageSize > 0 ? pageSize + 1 : TOTAL_QUERY_LIMIT + 1;
    const rows = await this.state.getRange(this.namespace, start, endKey, limit);
    let page = rows;
    let bookmark = '';
    if (pageSize > 0 && rows.length > pageSize) {
      page = rows.slice(0, pageSize);
      bookmark = rows[pageSize]?.key ?? '';
    } else if (pageSize === 0 && rows.length > TOTAL_QUERY_LIMIT) {
      throw new SimulatorError(`range query over [${startKey}, ${endKey}) exceeds ${TOTAL_QUERY_LIMIT} records`);
    }
    if (pageSize === 0) {
      this.rangeQueries.push({
        start: startKey,
        end: endKey,
        exhausted: true,
        reads: page.map((r) => ({ key: r.key, version: r.version })),
      });
    }
    const response = this.queryResponse(
      page.map((r) => {
        const kv = new ledger.queryresult.KV();
        kv.setNamespace(this.namespace);
        kv.setKey(r.key);
        kv.setValue(r.value);
        return kv.serializeBinary();
      }),
    );
    if (pageSize > 0) {
      const responseMetadata = new peer.QueryResponseMetadata();
      responseMetadata.setBookmark(bookmark);
      responseMetadata.setFetchedRecordsCount(page.length);
      response.setMetadata(responseMetadata.serializeBinary());
    }
    const iterator = new StateQueryIterator(this, channelId, txId, response);
    return pageSize > 0 ? { iterator, metadata: { bookmark, fetchedRecordsCount: page.length } } : { iterator };
  }

  handleQueryStateNext(): Promise<never> {
    // Every response carries all its results (has_more is false), so the shim never asks for more.
    return Promise.reject(new SimulatorError('no further results'));
  }

  handleQueryStateClose(): Promise<peer.QueryResponse> {
    return Promise.resolve(new peer.QueryResponse());
  }

  handleGetQueryResult(): Promise<never> {
    return Promise.reject(new SimulatorError('rich queries are not supported on a LevelDB state database'));
  }

  async handleGetHistoryForKey(key: string, channelId: string, txId: string): Promise<unknown> {
    const modifications = await this.state.getHistory(this.namespace, key);
    return new HistoryQueryIterator(this, channelId, txId, this.queryResponse(modifications));
  }

  handleInvokeChaincode(): Promise<never> {
    return Promise.reject(new SimulatorError('chaincode-to-chaincode calls are not supported by the embedded ledger'));
  }

  /** True when the transaction wrote anything (public or private). */
  hasWrites(): boolean {
    if (this.writes.size > 0) return true;
    for (const set of this.collections.values()) if (set.writes.size > 0) return true;
    return false;
  }

  /**
   * The public read/write set, as a peer puts it into the proposal response (TxReadWriteSet),
   * the private one, and the writes both carry in the order they appear in the bytes: what the
   * committer applies is built from the same lists as what goes into the block.
   */
  buildPublicRwSet(): SimulatedRwSet {
    const kv = new ledger.rwset.kvrwset.KVRWSet();
    kv.setReadsList(
      [...this.reads.keys()].sort(compareKeys).map((key) => {
        const read = new ledger.rwset.kvrwset.KVRead();
        read.setKey(key);
        const version = this.reads.get(key);
        if (version) read.setVersion(toProtoVersion(version));
        return read;
      }),
    );
    kv.setRangeQueriesInfoList(
      this.rangeQueries.map((query) => {
        const info = new ledger.rwset.kvrwset.RangeQueryInfo();
        info.setStartKey(query.start);
        info.setEndKey(query.end);
        info.setItrExhausted(query.exhausted);
        const raw = new ledger.rwset.kvrwset.QueryReads();
        raw.setKvReadsList(
          query.reads.map((r) => {
            const read = new ledger.rwset.kvrwset.KVRead();
            read.setKey(r.key);
            read.setVersion(toProtoVersion(r.version));
            return read;
          }),
        );
        info.setRawReads(raw);
        return info;
      }),
    );
    const writes = sortedWrites(this.writes);
    kv.setWritesList(writes.map(toKvWrite));

    const ns = new ledger.rwset.NsReadWriteSet();
    ns.setNamespace(this.namespace);
    ns.setRwset(kv.serializeBinary());

    const privateNamespace = new ledger.rwset.NsPvtReadWriteSet();
    privateNamespace.setNamespace(this.namespace);
    const hashedSets: ledger.rwset.CollectionHashedReadWriteSet[] = [];
    const privateSets: ledger.rwset.CollectionPvtReadWriteSet[] = [];
    const hashedWrites: HashedWrite[] = [];
    for (const name of [...this.collections.keys()].sort(compareKeys)) {
      const set = this.collections.get(name);
      if (!set) continue;
      const hashed = new ledger.rwset.kvrwset.HashedRWSet();
      hashed.setHashedReadsList(
        [...set.reads.keys()].sort(compareKeys).map((key) => {
          const read = new ledger.rwset.kvrwset.KVReadHash();
          read.setKeyHash(sha256(Buffer.from(key, 'utf8')));
          const version = set.reads.get(key);
          if (version) read.setVersion(toProtoVersion(version));
          return read;
        }),
      );
      const collectionWrites = sortedWrites(set.writes);
      hashed.setHashedWritesList(
        collectionWrites.map(({ key, value }) => {
          const hashedWrite: HashedWrite = {
            collection: name,
            keyHash: sha256(Buffer.from(key, 'utf8')),
            valueHash: value === null ? null : sha256(value),
          };
          hashedWrites.push(hashedWrite);
          const write = new ledger.rwset.kvrwset.KVWriteHash();
          write.setKeyHash(hashedWrite.keyHash);
          if (hashedWrite.valueHash === null) write.setIsDelete(true);
          else write.setValueHash(hashedWrite.valueHash);
          return write;
        }),
      );
      const hashedSet = new ledger.rwset.CollectionHashedReadWriteSet();
      hashedSet.setCollectionName(name);
      hashedSet.setHashedRwset(hashed.serializeBinary());
      if (collectionWrites.length > 0) {
        const pvtKv = new ledger.rwset.kvrwset.KVRWSet();
        pvtKv.setWritesList(collectionWrites.map(toKvWrite));
        const pvtBytes = pvtKv.serializeBinary();
        hashedSet.setPvtRwsetHash(sha256(pvtBytes));
        const pvtSet = new ledger.rwset.CollectionPvtReadWriteSet();
        pvtSet.setCollectionName(name);
        pvtSet.setRwset(pvtBytes);
        privateSets.push(pvtSet);
      }
      hashedSets.push(hashedSet);
    }
    ns.setCollectionHashedRwsetList(hashedSets);

    const txRwSet = new ledger.rwset.TxReadWriteSet();
    txRwSet.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
    txRwSet.setNsRwsetList([ns]);

    let privateRwSet: Uint8Array | undefined;
    if (privateSets.length > 0) {
      privateNamespace.setCollectionPvtRwsetList(privateSets);
      const pvt = new ledger.rwset.TxPvtReadWriteSet();
      pvt.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
      pvt.setNsPvtRwsetList([privateNamespace]);
      privateRwSet = pvt.serializeBinary();
    }
    return { bytes: txRwSet.serializeBinary(), privateRwSet, writes, hashedWrites };
  }

  private queryResponse(results: Uint8Array[]): peer.QueryResponse {
    const response = new peer.QueryResponse();
    response.setResultsList(
      results.map((bytes) => {
        const result = new peer.QueryResultBytes();
        result.setResultbytes(bytes);
        return result;
      }),
    );
    response.setHasMore(false);
    response.setId(String(this.nextIteratorId++));
    return response;
  }

  private collectionSet(name: string): CollectionRwSet {
    let set = this.collections.get(name);
    if (!set) {
      set = { reads: new Map(), writes: new Map() };
      this.collections.set(name, set);
    }
    return set;
  }

  private collectionDefined(name: string): CollectionAccess {
    const access = this.collectionAccess(name);
    if (!access) throw new SimulatorError(`collection ${name} could not be found for chaincode ${this.namespace}`);
    return access;
  }

  private checkAccess(name: string, mode: 'read' | 'write'): void {
    const access = this.collectionDefined(name);
    const memberOnly = mode === 'read' ? access.memberOnlyRead : access.memberOnlyWrite;
    if (memberOnly && !access.members.has(this.creatorMspId)) {
      // The wording follows the peer's, so callers see one message on either ledger.
      throw new SimulatorError(
        `tx creator does not have ${mode} access permission on privatedata in chaincodeName:${this.namespace} collectionName: ${name}`,
      );
    }
  }
}

/** Writes in canonical (key byte) order; a deleted key has the value null. */
function sortedWrites(writes: ReadonlyMap<string, Buffer | null>): PublicWrite[] {
  return [...writes.keys()].sort(compareKeys).map((key) => ({ key, value: writes.get(key) ?? null }));
}

function toKvWrite({ key, value }: PublicWrite): ledger.rwset.kvrwset.KVWrite {
  const write = new ledger.rwset.kvrwset.KVWrite();
  write.setKey(key);
  if (value === null) write.setIsDelete(true);
  else write.setValue(value);
  return write;
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function toProtoVersion(version: Version): ledger.rwset.kvrwset.Version {
  const v = new ledger.rwset.kvrwset.Version();
  v.setBlockNum(version.block);
  v.setTxNum(version.tx);
  return v;
}

/** Fabric orders keys by their UTF-8 bytes; compare the same way so rwsets are canonical. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

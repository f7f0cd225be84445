import { hash } from 'node:crypto';
import { ledger, peer } from '@hyperledger/fabric-protos';
import { ProtoWriter } from '../../fabric/proto-writer';
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

/** TxReadWriteSet.DataModel.KV. */
const TX_RWSET_DATA_MODEL_KV = ledger.rwset.TxReadWriteSet.DataModel.KV;

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
    // One pass per message into one buffer (see ProtoWriter), fields in field-number order:
    // TxReadWriteSet{data_model=1, ns_rwset=2}, NsReadWriteSet{namespace=1, rwset=2,
    // collection_hashed_rwset=3}, KVRWSet{reads=1, range_queries_info=2, writes=3}.
    const w = new ProtoWriter();
    w.uint(1, TX_RWSET_DATA_MODEL_KV);
    w.begin(2).string(1, this.namespace);
    w.begin(2);
    for (const key of [...this.reads.keys()].sort(compareKeys)) {
      w.begin(1).string(1, key);
      const version = this.reads.get(key);
      if (version) writeVersion(w, 2, version);
      w.end();
    }
    for (const query of this.rangeQueries) {
      // RangeQueryInfo{start_key=1, end_key=2, itr_exhausted=3, raw_reads=4}, QueryReads{kv_reads=1}.
      w.begin(2).string(1, query.start).string(2, query.end).bool(3, query.exhausted);
      w.begin(4);
      for (const r of query.reads) {
        w.begin(1).string(1, r.key);
        writeVersion(w, 2, r.version);
        w.end();
      }
      w.end().end();
    }
    const writes = sortedWrites(this.writes);
    for (const write of writes) writeKvWrite(w, 3, write);
    // rwset is a bytes field: an empty KVRWSet leaves it out.
    w.end(true);

    // Made when the first collection with writes comes up: most transactions write no private data.
    let privateWriter: ProtoWriter | undefined;
    const hashedWrites: HashedWrite[] = [];
    for (const name of [...this.collections.keys()].sort(compareKeys)) {
      const set = this.collections.get(name);
      if (!set) continue;
      // CollectionHashedReadWriteSet{collection_name=1, hashed_rwset=2, pvt_rwset_hash=3},
      // HashedRWSet{hashed_reads=1, hashed_writes=2}, KVReadHash{key_hash=1, version=2},
      // KVWriteHash{key_hash=1, is_delete=2, value_hash=3}.
      w.begin(3).string(1, name);
      const hashed = new ProtoWriter(256);
      for (const key of [...set.reads.keys()].sort(compareKeys)) {
        hashed.begin(1).bytes(1, sha256(Buffer.from(key, 'utf8')));
        const version = set.reads.get(key);
        if (version) writeVersion(hashed, 2, version);
        hashed.end();
      }
      const collectionWrites = sortedWrites(set.writes);
      for (const { key, value } of collectionWrites) {
        const hashedWrite: HashedWrite = {
          collection: name,
          keyHash: sha256(Buffer.from(key, 'utf8')),
          valueHash: value === null ? null : sha256(value),
        };
        hashedWrites.push(hashedWrite);
        hashed.begin(2).bytes(1, hashedWrite.keyHash);
        if (hashedWrite.valueHash === null) hashed.bool(2, true);
        else hashed.bytes(3, hashedWrite.valueHash);
        hashed.end();
      }
      w.bytes(2, hashed.finish());
      if (collectionWrites.length > 0) {
        const pvtKv = new ProtoWriter();
        for (const write of collectionWrites) writeKvWrite(pvtKv, 3, write);
        const pvtBytes = pvtKv.finish();
        w.bytes(3, sha256(pvtBytes));
        // CollectionPvtReadWriteSet{collection_name=1, rwset=2}, inside the namespace below.
        if (!privateWriter) {
          privateWriter = new ProtoWriter();
          privateWriter.uint(1, TX_RWSET_DATA_MODEL_KV);
          // NsPvtReadWriteSet{namespace=1, collection_pvt_rwset=2}.
          privateWriter.begin(2).string(1, this.namespace);
        }
        privateWriter.begin(2).string(1, name).bytes(2, pvtBytes).end();
      }
      w.end();
    }
    w.end();

    const privateRwSet = privateWriter?.end().finish();
    return { bytes: w.finish(), privateRwSet, writes, hashedWrites };
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

/** KVWrite{key=1, is_delete=2, value=3} as field `field`. */
function writeKvWrite(w: ProtoWriter, field: number, { key, value }: PublicWrite): void {
  w.begin(field).string(1, key);
  if (value === null) w.bool(2, true);
  else w.bytes(3, value);
  w.end();
}

export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

/** Version{block_num=1, tx_num=2} as field `field`. */
function writeVersion(w: ProtoWriter, field: number, version: Version): void {
  w.begin(field).uint(1, version.block).uint(2, version.tx).end();
}

/** Fabric orders keys by their UTF-8 bytes; compare the same way so rwsets are canonical. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

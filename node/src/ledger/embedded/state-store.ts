import type { common } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { LedgerUnavailableError } from '../ledger-errors';
import { decodeTxEffects, keyModificationBytes } from './tx-effects';
import type { RangeResult, StateReader, Version, VersionedValue } from './tx-simulator';
import { sha256 } from './tx-simulator';

/**
 * The embedded ledger's LevelDB: world state, private data and its hashes, key history, the
 * transaction and block indexes, and the savepoint (the last block whose effects are in here).
 * The blockfile is the source of truth; everything here can be rebuilt from it (plus the
 * private data staged before each block, since private values never enter a block).
 *
 * Key layout (one prefix byte each):
 *   s<ns>\0<key>            -> version(12) | value                 public state
 *   p<collection>\0<key>    -> version(12) | value                 private data
 *   h<collection>\0<sha256(key)> -> version(12) | sha256(value)    private data hashes
 *   y<ns>\0<len32><key><block8><tx4> -> empty                     history (the write is in the block)
 *   t<txId>                 -> block8 | tx4 | validationCode1      transaction index
 *   b<block8>               -> file4 | offset8 | length4           block locations
 *   q<block8><tx4>          -> TxPvtReadWriteSet bytes             private data staged for a block
 *   m savepoint             -> block8 | headerHash32
 */

type Key = Buffer;
export type BatchOp = { type: 'put'; key: Key; value: Buffer } | { type: 'del'; key: Key };

const SEP = Buffer.from([0]);

/**
 * The value of a history entry: empty, as in Fabric's history database, which keeps only which
 * transaction of which block wrote a key; getHistory reads the write back from that block. Every
 * value is then written once to LevelDB (state) instead of twice. Ledgers written before this
 * kept the whole KeyModification as the value, and getHistory still returns those as stored.
 */
export const HISTORY_ENTRY_IN_BLOCK: Buffer = Buffer.alloc(0);

/** Reads a committed block by number (the ledger's block index and blockfile). */
export type BlockSource = (blockNumber: number) => Promise<common.Block>;

/** LevelDB memtable size (LevelDB's default is 4 MiB); see StateStore.open. */
const WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

export interface Savepoint {
  block: number;
  headerHash: Buffer;
}

export interface TxLocation {
  block: number;
  tx: number;
  validationCode: number;
}

export interface BlockLocation {
  file: number;
  offset: number;
  length: number;
}

export class StateStore implements StateReader {
  private blockSource: BlockSource | undefined;

  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>) {}

  /** Where getHistory reads the writes its entries point at; the ledger sets it once open. */
  readHistoryFrom(source: BlockSource): void {
    this.blockSource = source;
  }

  static async open(location: string): Promise<StateStore> {
    const db = new ClassicLevel<Buffer, Buffer>(location, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      // Every transaction writes its state, history and index entries: with LevelDB's 4 MiB
      // memtable a burst flushed a level-0 file every ~1,000 transactions (measured while history
      // entries still held the values too), and the compactions
      // that follow ran on this machine's two cores beside the node. A larger memtable flushes
      // and compacts less often; the write-ahead log and its sync are unchanged.
      writeBufferSize: WRITE_BUFFER_BYTES,
    });
    await db.open();
    return new StateStore(db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  // ---- keys -------------------------------------------------------------------------------

  // Keys are written straight into one buffer of their size: they are made for every read and
  // write of every transaction, and the concatenation of three buffers allocated four.
  static stateKey(namespace: string, key: string): Key {
    return prefixedKey(0x73 /* s */, namespace, key);
  }
  static privateKey(collection: string, key: string): Key {
    return prefixedKey(0x70 /* p */, collection, key);
  }
  static privateHashKey(collection: string, keyHash: Uint8Array): Key {
    return Buffer.concat([Buffer.from('h' + collection, 'utf8'), SEP, keyHash]);
  }
  /** The part of every history key of one state key: the keys of its versions sort after it, in version order. */
  static historyPrefix(namespace: string, key: string): Key {
    return historyKeyOf(namespace, key, undefined);
  }
  static historyKey(namespace: string, key: string, version: Version): Key {
    return historyKeyOf(namespace, key, version);
  }
  static txKey(txId: string): Key {
    return Buffer.from('t' + txId, 'utf8');
  }
  static blockKey(block: number): Key {
    const key = Buffer.alloc(9);
    key.write('b', 0);
    key.writeBigUInt64BE(BigInt(block), 1);
    return key;
  }
  static pendingPrivateKey(block: number, tx: number): Key {
    const key = Buffer.alloc(13);
    key.write('q', 0);
    key.writeBigUInt64BE(BigInt(block), 1);
    key.writeUInt32BE(tx, 9);
    return key;
  }
  static readonly savepointKey: Key = Buffer.from('msavepoint', 'utf8');

  // ---- StateReader ------------------------------------------------------------------------
  // Point reads during simulation use LevelDB's synchronous get: the value comes from LevelDB's
  // block cache or the OS page cache in about a microsecond, while an asynchronous get spends
  // over ten microseconds of main-thread time on thread-pool dispatch and promise settling, more
  // than the read itself. The price is that a read missing the page cache holds the event loop
  // for one disk read.

  getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return this.readVersioned(StateStore.stateKey(namespace, key));
  }

  getPrivateData(collection: string, key: string): Promise<VersionedValue | undefined> {
    return this.readVersioned(StateStore.privateKey(collection, key));
  }

  async getPrivateDataHash(collection: string, key: string) {
    const found = await this.readVersioned(StateStore.privateHashKey(collection, sha256(Buffer.from(key, 'utf8'))));
    return found ? { valueHash: found.value, version: found.version } : undefined;
  }

  private readVersioned(key: Key): Promise<VersionedValue | undefined> {
    // A throwing getSync (a closed database) becomes a rejection, as with an asynchronous get.
    return new Promise((resolve) => resolve(decodeVersioned(this.db.getSync(key))));
  }

  async getRange(namespace: string, start: string, end: string, limit: number): Promise<RangeResult[]> {
    const prefix = Buffer.concat([Buffer.from('s' + namespace, 'utf8'), SEP]);
    const gte = Buffer.concat([prefix, Buffer.from(start, 'utf8')]);
    const lt = end
      ? Buffer.concat([prefix, Buffer.from(end, 'utf8')])
      : Buffer.from('s' + namespace + '\u0001', 'utf8');
    const rows: RangeResult[] = [];
    for await (const [key, value] of this.db.iterator({ gte, lt, limit })) {
      const decoded = decodeVersioned(value);
      if (!decoded) continue;
      rows.push({ key: key.subarray(prefix.length).toString('utf8'), ...decoded });
    }
    return rows;
  }

  async getHistory(namespace: string, key: string): Promise<Uint8Array[]> {
    const prefix = StateStore.historyPrefix(namespace, key);
    const out: Uint8Array[] = [];
    // A key written often is written by neighbouring transactions of one block: decode each
    // block once per query.
    const blocks = new Map<number, readonly Uint8Array[]>();
    for await (const [entryKey, value] of this.db.iterator({ gte: prefix, lt: prefixEnd(prefix), reverse: true })) {
      if (value.length > 0) {
        out.push(value);
        continue;
      }
      const version = decodeVersion(entryKey.subarray(entryKey.length - 12));
      if (!version) throw new LedgerUnavailableError(`history entry of ${key} has no block and transaction number`);
      let envelopes = blocks.get(version.block);
      if (!envelopes) {
        if (!this.blockSource)
          throw new LedgerUnavailableError('history is read from the blocks, and no block source is set');
        envelopes = (await this.blockSource(version.block)).getData()?.getDataList_asU8() ?? [];
        blocks.set(version.block, envelopes);
      }
      const envelope = envelopes[version.tx];
      const effects = envelope && decodeTxEffects(envelope);
      // A transaction writes a key once; were it written twice, the state kept the last write.
      const writes = effects?.namespace === namespace ? effects.writes.filter((w) => w.key === key) : [];
      const write = writes[writes.length - 1];
      if (!effects || !write) {
        throw new LedgerUnavailableError(
          `history of ${key} names transaction ${version.tx} of block ${version.block}, which does not write it`,
        );
      }
      out.push(keyModificationBytes(effects.txId, write.value, effects.timestamp));
    }
    return out;
  }

  // ---- what the committer needs -----------------------------------------------------------

  // The committer's lookups read synchronously too, for the reason given above: a block's few
  // hundred reads cost well under a millisecond of main-thread time, while getMany's answer waits
  // behind whatever the main thread is running, and every caller of the block waits with it.

  getVersions(keys: Key[]): Promise<Array<Version | null>> {
    return new Promise((resolve) => resolve(keys.map((key) => decodeVersion(this.db.getSync(key)))));
  }

  async savepoint(): Promise<Savepoint | undefined> {
    const value = await this.db.get(StateStore.savepointKey);
    if (!value) return undefined;
    return { block: Number(value.readBigUInt64BE(0)), headerHash: Buffer.from(value.subarray(8, 40)) };
  }

  static encodeSavepoint(savepoint: Savepoint): Buffer {
    const value = Buffer.alloc(40);
    value.writeBigUInt64BE(BigInt(savepoint.block), 0);
    Buffer.from(savepoint.headerHash).copy(value, 8);
    return value;
  }

  async txLocation(txId: string): Promise<TxLocation | undefined> {
    return decodeTxLocation(await this.db.get(StateStore.txKey(txId)));
  }

  /** txLocation of many transactions (the committer's duplicate check). */
  txLocations(txIds: readonly string[]): Promise<Array<TxLocation | undefined>> {
    return new Promise((resolve) =>
      resolve(txIds.map((txId) => decodeTxLocation(this.db.getSync(StateStore.txKey(txId))))),
    );
  }

  static encodeTxLocation(location: TxLocation): Buffer {
    const value = Buffer.alloc(13);
    value.writeBigUInt64BE(BigInt(location.block), 0);
    value.writeUInt32BE(location.tx, 8);
    value.writeUInt8(location.validationCode, 12);
    return value;
  }

  async blockLocation(block: number): Promise<BlockLocation | undefined> {
    const value = await this.db.get(StateStore.blockKey(block));
    if (!value) return undefined;
    return { file: value.readUInt32BE(0), offset: Number(value.readBigUInt64BE(4)), length: value.readUInt32BE(12) };
  }

  static encodeBlockLocation(location: BlockLocation): Buffer {
    const value = Buffer.alloc(16);
    value.writeUInt32BE(location.file, 0);
    value.writeBigUInt64BE(BigInt(location.offset), 4);
    value.writeUInt32BE(location.length, 12);
    return value;
  }

  async pendingPrivate(block: number): Promise<Map<number, Buffer>> {
    const start = StateStore.pendingPrivateKey(block, 0);
    const end = StateStore.pendingPrivateKey(block + 1, 0);
    const out = new Map<number, Buffer>();
    for await (const [key, value] of this.db.iterator({ gte: start, lt: end })) {
      out.set(key.readUInt32BE(9), value);
    }
    return out;
  }

  /** Every key of the public namespace with its value (for `gnc ledger keys` and state comparison). */
  async *entries(namespace: string, prefixFilter = ''): AsyncGenerator<{ key: string; value: Buffer }> {
    const prefix = Buffer.concat([Buffer.from('s' + namespace, 'utf8'), SEP]);
    const gte = Buffer.concat([prefix, Buffer.from(prefixFilter, 'utf8')]);
    for await (const [key, value] of this.db.iterator({ gte, lt: prefixEnd(gte) })) {
      const decoded = decodeVersioned(value);
      if (decoded) yield { key: key.subarray(prefix.length).toString('utf8'), value: decoded.value };
    }
  }

  async write(ops: BatchOp[]): Promise<void> {
    // sync: the batch is on disk when this resolves; a commit is acknowledged only after it.
    await this.db.batch(ops, { sync: true });
  }
}

export function encodeVersion(version: Version): Buffer {
  const out = Buffer.allocUnsafe(12);
  writeVersion(out, 0, version);
  return out;
}

export function encodeVersioned(version: Version, value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + value.length);
  writeVersion(out, 0, version);
  out.set(value, 12);
  return out;
}

/** block as 8 bytes and tx as 4, big-endian (block numbers stay below 2^53). */
/**
 * 'y' namespace 0x00 keyLength(4, BE) key [version]: the key's length comes before the key so that
 * one key's history never shares a prefix with a longer key's. Written in one buffer because the
 * committer builds one of these for every write.
 */
function historyKeyOf(namespace: string, key: string, version: Version | undefined): Key {
  const namespaceLength = Buffer.byteLength(namespace, 'utf8');
  const keyLength = Buffer.byteLength(key, 'utf8');
  const out = Buffer.allocUnsafe(1 + namespaceLength + 1 + 4 + keyLength + (version === undefined ? 0 : 12));
  out[0] = 0x79; // y
  let at = 1 + out.write(namespace, 1, 'utf8');
  out[at++] = 0;
  out.writeUInt32BE(keyLength, at);
  at += 4;
  at += out.write(key, at, 'utf8');
  if (version !== undefined) writeVersion(out, at, version);
  return out;
}

function writeVersion(out: Buffer, at: number, version: Version): void {
  out.writeUInt32BE(Math.floor(version.block / 0x1_0000_0000), at);
  out.writeUInt32BE(version.block >>> 0, at + 4);
  out.writeUInt32BE(version.tx, at + 8);
}

/** <prefix byte><name>\0<key>, names and keys as UTF-8. */
function prefixedKey(prefix: number, name: string, key: string): Buffer {
  const nameLength = Buffer.byteLength(name, 'utf8');
  const out = Buffer.allocUnsafe(2 + nameLength + Buffer.byteLength(key, 'utf8'));
  out[0] = prefix;
  out.write(name, 1, 'utf8');
  out[1 + nameLength] = 0;
  out.write(key, 2 + nameLength, 'utf8');
  return out;
}

function decodeVersioned(stored: Buffer | undefined): VersionedValue | undefined {
  if (!stored || stored.length < 12) return undefined;
  return {
    version: { block: Number(stored.readBigUInt64BE(0)), tx: stored.readUInt32BE(8) },
    value: Buffer.from(stored.subarray(12)),
  };
}

function decodeVersion(stored: Buffer | undefined): Version | null {
  if (!stored || stored.length < 12) return null;
  return { block: Number(stored.readBigUInt64BE(0)), tx: stored.readUInt32BE(8) };
}

function decodeTxLocation(value: Buffer | undefined): TxLocation | undefined {
  if (!value) return undefined;
  return { block: Number(value.readBigUInt64BE(0)), tx: value.readUInt32BE(8), validationCode: value.readUInt8(12) };
}

/** The smallest key greater than every key starting with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.concat([prefix, Buffer.from([0xff])]);
}

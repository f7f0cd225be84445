import { randomUUID } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { GncError } from '../errors';
import { GroupCommitter, type StoreOp } from './group-commit';
import { KeyFilter } from './key-filter';
import { OutboxCache } from './outbox-cache';
import { ReadBatcher } from './read-batcher';
import { digestOf } from './receipts';

/**
 * Store-and-forward on LevelDB: the outbox (per partner, in order), the inbox the domestic side
 * reads and acknowledges, the archive of raw bytes as received and as sent (non-repudiation),
 * the dedupe index of inbound message ids, receipts, dead letters and each message's status.
 * Every change that belongs together is one atomic batch, written durably (group commit)
 * before the caller is answered: a receipt is only sent for a message that is on disk.
 *
 * Keys (a store written before 2026-11 still reads: the older forms are noted):
 *   o!<partner>!<seq>            outbox entry; its bytes are the archive's (older: a copy in the entry)
 *   i!<seq>                      inbox entry; its envelope is in the dedupe record (older: in the entry)
 *   s!<messageId>                status; for a message sent in a batch frame, also which batch
 *                                receipt (q!) and entry answer it (older: under e!<id>); for a
 *                                message exchanged since 2026-11, which pending record (n!) took
 *                                its digest
 *   d!<partner>!<id>             dedupe record of a message received: digest of the bytes, first
 *                                receipt, and the message as accepted: canonical envelope, raw bytes
 *   a!out!<id>                   raw archive of a message sent
 *   a!in!<partner>!<id>          (older) raw archive of a message received, now in d!
 *   r!<id>                       receipt received for a message sent alone
 *   q!<receiptId>                batch receipt received for a batch frame sent (once for all its messages)
 *   x!<seq>                      dead letter
 *   m!seq                        last sequence number
 *   n!<seq>                      digests waiting to be anchored: those of one partner written together
 *   b!<batchId>                  anchor batch: leaves, root (older: also the ledger transaction once anchored)
 *   c!<batchId>                  the ledger transaction that anchored batch b!<batchId>
 *   l!<seq>                      which batch took pending record n!<seq>, and the leaf of its first digest
 *   p!<dir>!<id>                 which batch and leaf holds a digest not written with its message's
 *                                status (Anchorer.add), or any digest of a store before 2026-11
 *   g!<index>!<value>!<id>       what partners shared, indexed (container, declaration)
 */

export type MessageState = 'queued' | 'sent' | 'receipted' | 'dead' | 'received' | 'acknowledged';

export interface MessageStatus {
  messageId: string;
  direction: 'in' | 'out';
  partnerId: string;
  utilityBlock: string;
  state: MessageState;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  lastError?: { code: string; message: string };
}

/** Which batch receipt (q!<receiptId>) answered an outbound message, and the index of its entry. */
interface BatchReceiptReference {
  receiptId: string;
  index: number;
}

/**
 * A status as stored: an outbound message receipted in a batch frame also names its batch
 * receipt; an exchanged message names the pending record (n!<seq>) its digest was written in,
 * which leads to its anchor batch through l!<seq> (one key per record, not per message).
 */
type StoredStatus = MessageStatus & { batchReceipt?: BatchReceiptReference; anchorRecord?: number };

/**
 * A pending record written with the messages it holds (since 2026-11): one partner, one time,
 * and each message's direction, id and digest; every message's status names the record. Records
 * of earlier versions (and those of Anchorer.add) are a JSON array of PendingDigest.
 */
interface LinkedPendingRecord {
  partnerId: string;
  at: number;
  leaves: Array<[direction: 'in' | 'out', messageId: string, digest: string]>;
}

/** Which anchor batch took a pending record (l!<seq>), and the leaf index of its first digest. */
interface PendingRecordLink {
  batchId: string;
  first: number;
}

export interface OutboxEntry {
  seq: number;
  messageId: string;
  partnerId: string;
  utilityBlock: string;
  /** The sealed bytes: sealed once, so every retry sends the same bytes. */
  bytes: Buffer;
  attempts: number;
  nextAttemptAt: number;
  /** When it was queued; lets status updates be written without reading the old status. */
  createdAt?: number;
  /** The last failure, kept so a later status write does not need to read it back. */
  lastError?: { code: string; message: string };
}

export interface InboxEntry {
  seq: number;
  messageId: string;
  partnerId: string;
  utilityBlock: string;
  receivedAt: number;
  /** The canonical envelope (gnc.v1.Envelope protobuf). */
  envelope: Buffer;
}

export interface DeadLetter {
  seq: number;
  messageId: string;
  partnerId: string;
  reason: { code: string; message: string };
  deadAt: number;
}

/** A message digest waiting to go into an anchor batch. */
export interface PendingDigest {
  direction: 'in' | 'out';
  partnerId: string;
  messageId: string;
  /** SHA-256 of the bytes as sent or received (hex). */
  digest: string;
  at: number;
}

export interface AnchorBatchRecord {
  batchId: string;
  partnerId: string;
  merkleRoot: string;
  leaves: Array<{ direction: 'in' | 'out'; messageId: string; digest: string }>;
  firstMessageAt: number;
  lastMessageAt: number;
  /** Set once AnchorBatch committed. */
  anchor?: { txId: string; blockNumber: number };
}

/**
 * How a message was first receipted, as the dedupe record keeps it: the whole Receipt when it
 * came alone, or the encoded ReceiptInfo of its entry when it came in a batch frame (the batch
 * receipt itself is the sender's to keep; its entry is what a later copy is answered with).
 */
export type FirstReceipt = { receipt: Buffer } | { receiptInfo: Buffer };

export class DuplicateMessageError extends GncError {
  constructor(
    readonly messageId: string,
    readonly first: FirstReceipt,
  ) {
    super('GNC_EXCHANGE_DUPLICATE', `message ${messageId} was already received`, { httpStatus: 409 });
  }

  /** The first receipt, when the message first came alone (the same bytes are answered again). */
  get receipt(): Buffer | undefined {
    return 'receipt' in this.first ? this.first.receipt : undefined;
  }
}

/** One message of an inbound batch frame that passed the node's checks, ready to be accepted. */
export interface InboundCandidate {
  messageId: string;
  utilityBlock: string;
  /** The message's bytes as they came in the frame (archived as they are). */
  raw: Buffer;
  /** SHA-256 of `raw`. */
  digest: Buffer;
  /** The canonical envelope (gnc.v1.Envelope protobuf). */
  envelope: Buffer;
  /** The encoded ReceiptInfo of its ACCEPTED entry, kept for answering later copies. */
  receiptInfo: Buffer;
  /** What it shared, indexed (partner intelligence): written with it when it is accepted. */
  shared?: SharedIndex;
}

/**
 * A received message's entries in the index of what partners shared (`g!<index>!<value>!<id>`),
 * all holding `record`. Written in the same synced batch as the message it describes, so neither
 * is on disk without the other, and a frame costs one synced write, not two.
 */
export interface SharedIndex {
  entries: ReadonlyArray<{ index: string; value: string }>;
  record: Buffer;
}

/** What acceptInboundBatch did with one candidate. */
export type InboundOutcome =
  | { kind: 'accepted'; entry: InboxEntry }
  | { kind: 'duplicate'; first: FirstReceipt }
  | { kind: 'replay'; error: ReplayedMessageError };

/** A message id already received from this partner, now with other bytes. */
export class ReplayedMessageError extends GncError {
  constructor(messageId: string, partnerId: string) {
    super(
      'GNC_EXCHANGE_REPLAY',
      `message id ${messageId} from ${partnerId} was already received with other content; refused as a replay`,
      { httpStatus: 409 },
    );
  }
}

/**
 * The dedupe record of an inbound message (d!<partner>!<id>): the digest of its bytes and its
 * first receipt and, written since 2026-11, the message as accepted: its canonical envelope
 * (which its inbox entry and what partners shared refer to) and its raw bytes (the archive).
 * Records of earlier versions hold the receipt alone; their message is in i! and a!in.
 */
interface DedupeHeader {
  digest: string;
  /** 'info': the receipt is a batch entry's ReceiptInfo; absent: a whole Receipt. */
  kind?: 'info';
  /** Set when the record holds the message: the receipt's and the envelope's lengths (the raw bytes follow). */
  receiptLength?: number;
  envelopeLength?: number;
}

interface DedupeRecord {
  digest: string;
  first: FirstReceipt;
  /** The canonical envelope and raw bytes, in records that hold them. */
  message?: { envelope: Buffer; raw: Buffer };
}

function encodeDedupe(digest: string, first: FirstReceipt, message: { envelope: Buffer; raw: Buffer }): Buffer {
  const receipt = 'receipt' in first ? first.receipt : first.receiptInfo;
  const header: DedupeHeader = {
    digest,
    ...('receiptInfo' in first ? { kind: 'info' as const } : {}),
    receiptLength: receipt.length,
    envelopeLength: message.envelope.length,
  };
  return encodeEntry(header, receipt, message.envelope, message.raw);
}

function decodeDedupe(value: Buffer): DedupeRecord {
  const { header, bytes } = decodeEntry<DedupeHeader>(value);
  const receiptLength = header.receiptLength ?? bytes.length;
  const receipt = bytes.subarray(0, receiptLength);
  const first: FirstReceipt = header.kind === 'info' ? { receiptInfo: receipt } : { receipt };
  if (header.receiptLength === undefined || header.envelopeLength === undefined)
    return { digest: header.digest, first };
  const envelopeEnd = receiptLength + header.envelopeLength;
  return {
    digest: header.digest,
    first,
    message: { envelope: bytes.subarray(receiptLength, envelopeEnd), raw: bytes.subarray(envelopeEnd) },
  };
}

/** An outbox entry as stored: since 2026-11 its bytes are in the message's archive (`bytesIn`). */
type StoredOutboxHeader = Omit<OutboxEntry, 'bytes'> & { bytesIn?: 'archive' };

/** An inbox entry as stored: since 2026-11 its envelope is in the message's dedupe record (`envelopeIn`). */
type StoredInboxHeader = Omit<InboxEntry, 'envelope'> & { envelopeIn?: 'dedupe' };

const seqKey = (seq: number) => seq.toString(16).padStart(16, '0');

/**
 * The layout of the store's entries (and of partner-intelligence records): a 4-byte big-endian
 * length, that many bytes of JSON header, then the entry's bytes.
 */
export function encodeEntry(header: object, ...parts: Uint8Array[]): Buffer {
  // One buffer, written in place: no copy of the header's bytes, no length buffer, no list to concat.
  const json = JSON.stringify(header);
  const jsonLength = Buffer.byteLength(json, 'utf8');
  let total = 4 + jsonLength;
  for (let i = 0; i < parts.length; i++) total += parts[i]!.length;
  const entry = Buffer.allocUnsafe(total);
  entry.writeUInt32BE(jsonLength, 0);
  let offset = 4 + entry.write(json, 4, 'utf8');
  for (let i = 0; i < parts.length; i++) {
    entry.set(parts[i]!, offset);
    offset += parts[i]!.length;
  }
  return entry;
}

export function decodeEntry<T>(value: Buffer): { header: T; bytes: Buffer } {
  const length = value.readUInt32BE(0);
  return {
    header: JSON.parse(value.subarray(4, 4 + length).toString('utf8')) as T,
    // A view, not a copy: every value LevelDB hands out is a buffer of its own.
    bytes: value.subarray(4 + length),
  };
}

export class MessageStore {
  private seq = 0;
  private readonly committer: GroupCommitter;
  /** The dedupe lookups of inbound messages, made together. */
  private readonly dedupeReads: ReadBatcher;
  /**
   * Every dedupe key on disk (and a few more): a key it has never seen is not read from disk.
   * Filled from the index when the store opens, and as keys are written.
   */
  private dedupeFilter = new KeyFilter(0);
  /** Inbound ids being accepted right now: a second copy waits, then sees the first. */
  private readonly accepting = new Map<string, Promise<unknown>>();
  /** The outbox entries this process wrote, so the sender need not read them back (see OutboxCache). */
  private outboxCache = new OutboxCache(0);
  /** The tail of the enqueueOutbound calls whose message id must be checked (see enqueueOutbound). */
  private checkedEnqueues: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: ClassicLevel<string, Buffer>) {
    this.dedupeReads = new ReadBatcher(db);
    // The sequence high-water mark goes with every write, so it is never below a stored key.
    this.committer = new GroupCommitter(db, () => {
      const value = Buffer.alloc(8);
      value.writeBigUInt64BE(BigInt(this.seq));
      return [{ type: 'put', key: 'm!seq', value }];
    });
  }

  static async open(location: string): Promise<MessageStore> {
    const db = new ClassicLevel<string, Buffer>(location, {
      valueEncoding: 'buffer',
      // Twice LevelDB's 4 MB memtable: fewer level-0 files to compact, measured at ~14% less
      // compaction CPU over 200,000 messages; it costs at most 2 x 8 MB while one is written out.
      writeBufferSize: 8 * 1024 * 1024,
    });
    await db.open();
    const store = new MessageStore(db);
    const last = await db.get('m!seq');
    store.seq = last ? Number(last.readBigUInt64BE(0)) : 0;
    store.outboxCache = new OutboxCache(store.seq);
    await store.loadDedupeFilter();
    return store;
  }

  /**
   * Reads the keys of the dedupe index into the filter (keys only, a thousand a native call). Two
   * passes, one to size the filter and one to fill it, so that start-up holds one chunk of keys
   * at a time, not every message id the store has ever received.
   */
  private async loadDedupeFilter(): Promise<void> {
    let count = 0;
    await this.forEachDedupeKey(() => count++);
    // Room for what is there and as many messages again before it fills up.
    const filter = new KeyFilter(count * 2 + 1_000_000);
    await this.forEachDedupeKey((key) => filter.add(key));
    this.dedupeFilter = filter;
  }

  private async forEachDedupeKey(visit: (key: string) => void): Promise<void> {
    const iterator = this.db.keys({ gt: 'd!', lt: 'd!~' });
    try {
      for (;;) {
        const chunk = await iterator.nextv(1000);
        if (chunk.length === 0) break;
        for (const key of chunk) visit(key);
      }
    } finally {
      await iterator.close();
    }
  }

  /** The dedupe record of an inbound message: read from disk only when the filter says it may be there. */
  private async dedupeRecord(key: string): Promise<Buffer | undefined> {
    return this.dedupeFilter.mightHave(key) ? this.dedupeReads.get(key) : undefined;
  }

  /** Writes a dedupe record; the filter learns the key first, so no later lookup can skip it. */
  private dedupeOp(key: string, value: Buffer): StoreOp {
    this.dedupeFilter.add(key);
    return { type: 'put', key, value };
  }

  async close(): Promise<void> {
    await this.committer.drain();
    await this.db.close();
  }

  /** Taken synchronously, so concurrent callers are ordered by when they called. */
  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** The status record; `batchReceipt` (an outbound message receipted in a batch frame) is kept with it, not shown by status(). */
  private statusOp(status: MessageStatus, batchReceipt?: BatchReceiptReference, anchorRecord?: number): StoreOp {
    const record: StoredStatus = {
      ...status,
      ...(batchReceipt ? { batchReceipt } : {}),
      ...(anchorRecord !== undefined ? { anchorRecord } : {}),
    };
    return { type: 'put', key: `s!${status.messageId}`, value: Buffer.from(JSON.stringify(record), 'utf8') };
  }

  /** The status of a message just accepted from a partner, written in the batch that accepts it. */
  private receivedStatusOp(entry: InboxEntry, anchorRecord: number): StoreOp {
    const status: MessageStatus = {
      messageId: entry.messageId,
      direction: 'in',
      partnerId: entry.partnerId,
      utilityBlock: entry.utilityBlock,
      state: 'received',
      attempts: 1,
      createdAt: entry.receivedAt,
      updatedAt: entry.receivedAt,
    };
    return this.statusOp(status, undefined, anchorRecord);
  }

  private async storedStatus(messageId: string): Promise<StoredStatus | undefined> {
    const value = await this.db.get(`s!${messageId}`);
    return value ? (JSON.parse(value.toString('utf8')) as StoredStatus) : undefined;
  }

  async status(messageId: string): Promise<MessageStatus | undefined> {
    const stored = await this.storedStatus(messageId);
    if (!stored) return undefined;
    const { batchReceipt: _reference, anchorRecord: _record, ...status } = stored;
    return status;
  }

  // ---- outbound -----------------------------------------------------------------------------

  /**
   * Queues a sealed message for a partner; durable when this resolves. A message id already in
   * use is refused, unless `idMinted` says the caller has just drawn it with randomUUID (122
   * random bits: it cannot collide), which saves a read that misses on every message.
   */
  async enqueueOutbound(
    entry: {
      messageId: string;
      partnerId: string;
      utilityBlock: string;
      bytes: Buffer;
    },
    { idMinted = false }: { idMinted?: boolean } = {},
  ): Promise<OutboxEntry> {
    if (idMinted) return this.writeOutbound(entry);
    // An id from the caller is checked and written one call at a time, in call order: two calls
    // with the same id must not both see it free, and calls made together queue in the order made.
    const turn = this.checkedEnqueues.then(async () => {
      if (await this.status(entry.messageId)) {
        throw new GncError('GNC_EXCHANGE_DUPLICATE', `message id ${entry.messageId} is already in use`, {
          httpStatus: 409,
        });
      }
      return this.writeOutbound(entry);
    });
    this.checkedEnqueues = turn.catch(() => undefined);
    return turn;
  }

  private async writeOutbound(entry: {
    messageId: string;
    partnerId: string;
    utilityBlock: string;
    bytes: Buffer;
  }): Promise<OutboxEntry> {
    // Taken right before the write is queued, so outbox entries become durable in sequence
    // order: a sender reading on from the last entry it took never misses an earlier one.
    const seq = this.nextSeq();
    const now = Date.now();
    const outbox: OutboxEntry = { ...entry, seq, attempts: 0, nextAttemptAt: now, createdAt: now };
    await this.committer.write([
      this.outboxOp(outbox),
      { type: 'put', key: `a!out!${entry.messageId}`, value: entry.bytes },
      this.statusOp({
        messageId: entry.messageId,
        direction: 'out',
        partnerId: entry.partnerId,
        utilityBlock: entry.utilityBlock,
        state: 'queued',
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      }),
    ]);
    this.outboxCache.added(outbox);
    return outbox;
  }

  /** An outbox entry as written since 2026-11: its bytes are those of its archive (a!out), not a copy. */
  private outboxOp(entry: OutboxEntry): StoreOp {
    const { bytes: _inArchive, ...header } = entry;
    const stored: StoredOutboxHeader = { ...header, bytesIn: 'archive' };
    return { type: 'put', key: `o!${entry.partnerId}!${seqKey(entry.seq)}`, value: encodeEntry(stored) };
  }

  /** The oldest queued messages for a partner (those queued after sequence number `after`), in queue order. */
  async outbox(partnerId: string, limit = 100, after = 0): Promise<OutboxEntry[]> {
    // The sender reads its window every time a frame is answered: what this process queued is in memory.
    const cached = this.outboxCache.read(partnerId, limit, after);
    if (cached) return cached;
    const prefix = `o!${partnerId}!`;
    // One native call for the whole range (all()), not one await per entry.
    const values = await this.db.values({ gt: `${prefix}${seqKey(after)}`, lt: `${prefix}~`, limit }).all();
    const entries = values.map((value) => decodeEntry<StoredOutboxHeader>(value));
    // Entries written since 2026-11 hold no bytes: they are in the message's archive.
    const elsewhere = entries.filter((entry) => entry.header.bytesIn === 'archive');
    const archived = await this.db.getMany(elsewhere.map(({ header }) => `a!out!${header.messageId}`));
    const bytesOf = new Map<StoredOutboxHeader, Buffer>();
    elsewhere.forEach(({ header }, index) => {
      const bytes = archived[index];
      if (!bytes) {
        throw new GncError(
          'GNC_EXCHANGE_STORE_DAMAGED',
          `outbox entry ${header.seq} (${header.messageId}) refers to an archive that is not there`,
          { httpStatus: 500 },
        );
      }
      bytesOf.set(header, bytes);
    });
    return entries.map(({ header, bytes }) => {
      const { bytesIn: _where, ...entry } = header;
      return { ...entry, bytes: bytesOf.get(header) ?? bytes };
    });
  }

  /**
   * The partner answered a batch frame with a valid batch receipt: the accepted messages leave
   * the outbox in one write, the batch receipt stored once and each message pointing at its
   * entry. `digest` (SHA-256 of the message's bytes) saves hashing them again when given.
   */
  async markReceiptedBatch(
    items: ReadonlyArray<{ entry: OutboxEntry; index: number; digest?: Buffer }>,
    receipt: Buffer,
  ): Promise<void> {
    if (items.length === 0) return;
    const receiptId = randomUUID();
    const now = Date.now();
    const ops: StoreOp[] = [{ type: 'put', key: `q!${receiptId}`, value: receipt }];
    const pending = new LinkedPendingRecords(() => this.nextSeq(), now);
    for (const { entry, index, digest } of items) {
      const status = await this.statusOf(entry);
      const anchorRecord = pending.add(
        'out',
        entry.partnerId,
        entry.messageId,
        (digest ?? digestOf(entry.bytes)).toString('hex'),
      );
      ops.push(
        { type: 'del', key: `o!${entry.partnerId}!${seqKey(entry.seq)}` },
        // The status names the batch receipt and the entry: one key a message, not two.
        this.statusOp(
          {
            ...(status ?? this.fallbackStatus(entry, 'out')),
            state: 'receipted',
            attempts: entry.attempts + 1,
            updatedAt: now,
          },
          { receiptId, index },
          anchorRecord,
        ),
      );
    }
    ops.push(...pending.ops());
    await this.committer.write(ops);
    for (const { entry } of items) this.outboxCache.removed(entry.partnerId, entry.seq);
  }

  /** The partner answered with a valid receipt: the message leaves the outbox. */
  async markReceipted(entry: OutboxEntry, receipt: Buffer, digest?: Buffer): Promise<void> {
    const status = await this.statusOf(entry);
    const now = Date.now();
    const pending = new LinkedPendingRecords(() => this.nextSeq(), now);
    const anchorRecord = pending.add(
      'out',
      entry.partnerId,
      entry.messageId,
      (digest ?? digestOf(entry.bytes)).toString('hex'),
    );
    await this.committer.write([
      { type: 'del', key: `o!${entry.partnerId}!${seqKey(entry.seq)}` },
      { type: 'put', key: `r!${entry.messageId}`, value: receipt },
      ...pending.ops(),
      this.statusOp(
        {
          ...(status ?? this.fallbackStatus(entry, 'out')),
          state: 'receipted',
          attempts: entry.attempts + 1,
          updatedAt: now,
        },
        undefined,
        anchorRecord,
      ),
    ]);
    this.outboxCache.removed(entry.partnerId, entry.seq);
  }

  /** A failed attempt: keep the message queued until `nextAttemptAt`. */
  async markAttemptFailed(
    entry: OutboxEntry,
    error: { code: string; message: string },
    nextAttemptAt: number,
  ): Promise<OutboxEntry> {
    const updated: OutboxEntry = { ...entry, attempts: entry.attempts + 1, nextAttemptAt, lastError: error };
    const status = await this.statusOf(entry);
    await this.committer.write([
      this.outboxOp(updated),
      this.statusOp({
        ...(status ?? this.fallbackStatus(entry, 'out')),
        state: 'queued',
        attempts: updated.attempts,
        updatedAt: Date.now(),
        lastError: error,
      }),
    ]);
    this.outboxCache.updated(updated);
    return updated;
  }

  /** Gives up on a message: out of the outbox, into the dead letters an operator sees and replays. */
  async deadLetter(entry: OutboxEntry, reason: { code: string; message: string }): Promise<void> {
    const seq = this.nextSeq();
    const status = await this.statusOf(entry);
    const letter: DeadLetter = {
      seq,
      messageId: entry.messageId,
      partnerId: entry.partnerId,
      reason,
      deadAt: Date.now(),
    };
    await this.committer.write([
      { type: 'del', key: `o!${entry.partnerId}!${seqKey(entry.seq)}` },
      {
        type: 'put',
        key: `x!${seqKey(seq)}`,
        value: encodeEntry({ ...letter, utilityBlock: entry.utilityBlock }, entry.bytes),
      },
      this.statusOp({
        ...(status ?? this.fallbackStatus(entry, 'out')),
        state: 'dead',
        attempts: entry.attempts + 1,
        updatedAt: Date.now(),
        lastError: reason,
      }),
    ]);
    this.outboxCache.removed(entry.partnerId, entry.seq);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const value of this.db.values({ gt: 'x!', lt: 'x!~', limit })) {
      out.push(decodeEntry<DeadLetter>(value).header);
    }
    return out;
  }

  /** Puts a dead letter back at the end of its partner's outbox, attempts reset. */
  async replayDeadLetter(messageId: string): Promise<OutboxEntry> {
    for await (const [key, value] of this.db.iterator({ gt: 'x!', lt: 'x!~' })) {
      const { header, bytes } = decodeEntry<DeadLetter & { utilityBlock: string }>(value);
      if (header.messageId !== messageId) continue;
      const status = await this.status(messageId);
      // As in enqueueOutbound: the sequence number is taken right before the write is queued.
      const seq = this.nextSeq();
      const entry: OutboxEntry = {
        seq,
        messageId,
        partnerId: header.partnerId,
        utilityBlock: header.utilityBlock,
        bytes,
        attempts: 0,
        nextAttemptAt: Date.now(),
      };
      const { bytes: _bytes, ...entryHeader } = entry;
      await this.committer.write([
        { type: 'del', key },
        { type: 'put', key: `o!${entry.partnerId}!${seqKey(seq)}`, value: encodeEntry(entryHeader, bytes) },
        this.statusOp({
          ...(status ?? this.fallbackStatus(entry, 'out')),
          state: 'queued',
          attempts: 0,
          updatedAt: Date.now(),
        }),
      ]);
      this.outboxCache.added(entry);
      return entry;
    }
    throw new GncError('GNC_EXCHANGE_NOT_FOUND', `no dead letter with message id ${messageId}`, { httpStatus: 404 });
  }

  // ---- inbound ------------------------------------------------------------------------------

  /**
   * Accepts an inbound message once: the raw bytes, the canonical envelope, the dedupe marker
   * and the receipt to answer with are written in one durable batch. A message id already
   * accepted from this partner throws DuplicateMessageError carrying the first receipt.
   */
  async acceptInbound(message: {
    messageId: string;
    partnerId: string;
    utilityBlock: string;
    raw: Buffer;
    /** SHA-256 of `raw`, when the caller has it already (the receipt names it). */
    digest?: Buffer;
    envelope: Buffer;
    receipt: Buffer;
    /** What it shared, indexed: written with it. */
    shared?: SharedIndex;
  }): Promise<InboxEntry> {
    const lockKey = `${message.partnerId}!${message.messageId}`;
    while (this.accepting.has(lockKey)) await this.accepting.get(lockKey)?.catch(() => undefined);
    const work = (async () => {
      const digest = (message.digest ?? digestOf(message.raw)).toString('hex');
      const seen = await this.dedupeRecord(`d!${lockKey}`);
      if (seen) {
        const first = decodeDedupe(seen);
        // The same bytes again is a sender retrying (it lost our receipt): answer with the first
        // receipt. Other bytes under a used message id are a replay or a forgery: refuse them.
        if (first.digest === digest) throw new DuplicateMessageError(message.messageId, first.first);
        throw new ReplayedMessageError(message.messageId, message.partnerId);
      }
      const now = Date.now();
      const seq = this.nextSeq();
      const pending = new LinkedPendingRecords(() => this.nextSeq(), now);
      const anchorRecord = pending.add('in', message.partnerId, message.messageId, digest);
      const entry: InboxEntry = {
        seq,
        messageId: message.messageId,
        partnerId: message.partnerId,
        utilityBlock: message.utilityBlock,
        receivedAt: now,
        envelope: message.envelope,
      };
      await this.committer.write([
        // The message itself (envelope, raw bytes) is written once, in its dedupe record.
        this.dedupeOp(
          `d!${lockKey}`,
          encodeDedupe(digest, { receipt: message.receipt }, { envelope: message.envelope, raw: message.raw }),
        ),
        this.inboxOp(entry),
        ...this.sharedIndexOps(message.messageId, message.shared),
        ...pending.ops(),
        this.receivedStatusOp(entry, anchorRecord),
      ]);
      return entry;
    })();
    this.accepting.set(lockKey, work);
    try {
      return await work;
    } finally {
      this.accepting.delete(lockKey);
    }
  }

  /**
   * Accepts the messages of one inbound batch frame: each is checked against the dedupe index
   * (a copy of a message received before, in this frame or earlier, is a duplicate answered with
   * its first receipt's content; other bytes under a used id are a replay), then `answer` is
   * called with every outcome (the node signs the batch receipt there), then all the accepted
   * messages are written in one durable batch, and only then does this resolve: the answer is
   * never given for a message that is not on disk.
   */
  async acceptInboundBatch<T>(
    partnerId: string,
    candidates: readonly InboundCandidate[],
    answer: (outcomes: readonly InboundOutcome[]) => Promise<T>,
  ): Promise<{ outcomes: InboundOutcome[]; answer: T }> {
    const lockKeys = [...new Set(candidates.map((c) => `${partnerId}!${c.messageId}`))];
    // Wait until none of these ids is being accepted by another call, then take them all at once
    // (never holding some while waiting for others, so two overlapping frames cannot deadlock).
    for (;;) {
      const busy = lockKeys.flatMap((key) => {
        const work = this.accepting.get(key);
        return work ? [work.catch(() => undefined)] : [];
      });
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const work = new Promise<void>((resolve) => (release = resolve));
    for (const key of lockKeys) this.accepting.set(key, work);
    try {
      const seen = await Promise.all(lockKeys.map((key) => this.dedupeRecord(`d!${key}`)));
      const stored = new Map<string, { digest: string; first: FirstReceipt }>();
      lockKeys.forEach((key, index) => {
        const value = seen[index];
        if (value) stored.set(key, decodeDedupe(value));
      });
      const now = Date.now();
      const ops: StoreOp[] = [];
      const pending = new LinkedPendingRecords(() => this.nextSeq(), now);
      const outcomes: InboundOutcome[] = candidates.map((candidate) => {
        const key = `${partnerId}!${candidate.messageId}`;
        const digest = candidate.digest.toString('hex');
        const earlier = stored.get(key);
        if (earlier) {
          return earlier.digest === digest
            ? { kind: 'duplicate', first: earlier.first }
            : { kind: 'replay', error: new ReplayedMessageError(candidate.messageId, partnerId) };
        }
        // The first copy in this frame is accepted; a later copy of it is a duplicate of it.
        stored.set(key, { digest, first: { receiptInfo: candidate.receiptInfo } });
        const seq = this.nextSeq();
        const entry: InboxEntry = {
          seq,
          messageId: candidate.messageId,
          partnerId,
          utilityBlock: candidate.utilityBlock,
          receivedAt: now,
          envelope: candidate.envelope,
        };
        const anchorRecord = pending.add('in', partnerId, candidate.messageId, digest);
        ops.push(
          // The message itself (envelope, raw bytes) is written once, in its dedupe record.
          this.dedupeOp(
            `d!${key}`,
            encodeDedupe(
              digest,
              { receiptInfo: candidate.receiptInfo },
              { envelope: candidate.envelope, raw: candidate.raw },
            ),
          ),
          this.inboxOp(entry),
          ...this.sharedIndexOps(candidate.messageId, candidate.shared),
          this.receivedStatusOp(entry, anchorRecord),
        );
        return { kind: 'accepted', entry };
      });
      ops.push(...pending.ops());
      // The answer (the batch receipt's signature) is made while the batch is being made durable,
      // and handed back only once both are done. The ids stay taken until the write has settled,
      // so a copy arriving meanwhile waits and then finds them on disk.
      const [answered, written] = await Promise.allSettled([
        answer(outcomes),
        ops.length > 0 ? this.committer.write(ops) : Promise.resolve(),
      ]);
      if (written.status === 'rejected') throw written.reason;
      if (answered.status === 'rejected') throw answered.reason;
      return { outcomes, answer: answered.value };
    } finally {
      for (const key of lockKeys) if (this.accepting.get(key) === work) this.accepting.delete(key);
      release();
    }
  }

  /** Messages received and not yet acknowledged by the domestic side, oldest first. */
  async inbox(limit = 100, after = 0): Promise<InboxEntry[]> {
    const values = await this.db.values({ gt: `i!${seqKey(after)}`, lt: 'i!~', limit }).all();
    const entries = values.map((value) => decodeEntry<StoredInboxHeader>(value));
    // Entries written since 2026-11 hold no envelope: it is in the message's dedupe record.
    const elsewhere = entries.filter((entry) => entry.header.envelopeIn === 'dedupe');
    const records = await this.db.getMany(elsewhere.map(({ header }) => `d!${header.partnerId}!${header.messageId}`));
    const envelopes = new Map<StoredInboxHeader, Buffer>();
    elsewhere.forEach(({ header }, index) => {
      const record = records[index];
      const envelope = record ? decodeDedupe(record).message?.envelope : undefined;
      if (!envelope) {
        throw new GncError(
          'GNC_EXCHANGE_STORE_DAMAGED',
          `inbox entry ${header.seq} (${header.messageId}) refers to a dedupe record without its message`,
          { httpStatus: 500 },
        );
      }
      envelopes.set(header, envelope);
    });
    return entries.map(({ header, bytes }) => {
      const { envelopeIn: _where, ...entry } = header;
      return { ...entry, envelope: envelopes.get(header) ?? bytes };
    });
  }

  /** The inbox entry of a message just accepted: its envelope is in its dedupe record, written with it. */
  private inboxOp(entry: InboxEntry): StoreOp {
    const { envelope: _inDedupeRecord, ...header } = entry;
    const stored: StoredInboxHeader = { ...header, envelopeIn: 'dedupe' };
    return { type: 'put', key: `i!${seqKey(entry.seq)}`, value: encodeEntry(stored) };
  }

  /**
   * The canonical envelope of a message received from a partner, as accepted (from its dedupe
   * record; undefined for a message not received, or received by a store of an earlier version).
   */
  async receivedEnvelope(partnerId: string, messageId: string): Promise<Buffer | undefined> {
    const record = await this.db.get(`d!${partnerId}!${messageId}`);
    return record ? decodeDedupe(record).message?.envelope : undefined;
  }

  /** The domestic side has taken the message: it leaves the inbox (the archive keeps it). */
  async acknowledge(seq: number): Promise<void> {
    const key = `i!${seqKey(seq)}`;
    const value = await this.db.get(key);
    if (!value) throw new GncError('GNC_EXCHANGE_NOT_FOUND', `no inbox entry ${seq}`, { httpStatus: 404 });
    const { header } = decodeEntry<Omit<InboxEntry, 'envelope'>>(value);
    // The stored record, not status(): what the status names besides (its anchor record) stays.
    const stored = await this.storedStatus(header.messageId);
    await this.committer.write([
      { type: 'del', key },
      ...(stored ? [this.statusOp({ ...stored, state: 'acknowledged', updatedAt: Date.now() })] : []),
    ]);
  }

  /** The raw bytes as received from (`in`) or sent to (`out`) a partner. */
  async archived(direction: 'in' | 'out', messageId: string, partnerId?: string): Promise<Buffer | undefined> {
    if (direction === 'out') return this.db.get(`a!out!${messageId}`);
    // Received since 2026-11: in the message's dedupe record; before, under a key of its own.
    const record = await this.db.get(`d!${partnerId ?? ''}!${messageId}`);
    const raw = record ? decodeDedupe(record).message?.raw : undefined;
    return raw ?? this.db.get(`a!in!${partnerId ?? ''}!${messageId}`);
  }

  /**
   * The receipt of an outbound message: its own Receipt, or the batch receipt that answered it
   * with the index of its entry (verifyStoredReceipt in receipts.ts checks either).
   */
  async receiptOf(messageId: string): Promise<{ bytes: Buffer; batchIndex?: number } | undefined> {
    const single = await this.db.get(`r!${messageId}`);
    if (single) return { bytes: single };
    let reference = (await this.storedStatus(messageId))?.batchReceipt;
    if (!reference) {
      // Stores of earlier versions keep the reference under a key of its own.
      const stored = await this.db.get(`e!${messageId}`);
      if (!stored) return undefined;
      reference = JSON.parse(stored.toString('utf8')) as BatchReceiptReference;
    }
    const { receiptId, index } = reference;
    const bytes = await this.db.get(`q!${receiptId}`);
    return bytes ? { bytes, batchIndex: index } : undefined;
  }

  /** Counts for metrics: queued outbound per partner, inbox depth, dead letters. */
  async depths(): Promise<{ outbox: Record<string, number>; inbox: number; deadLetters: number }> {
    const outbox: Record<string, number> = {};
    for await (const key of this.db.keys({ gt: 'o!', lt: 'o!~' })) {
      const partner = key.split('!')[1] ?? '';
      outbox[partner] = (outbox[partner] ?? 0) + 1;
    }
    let inbox = 0;
    for await (const _ of this.db.keys({ gt: 'i!', lt: 'i!~' })) inbox += 1;
    let deadLetters = 0;
    for await (const _ of this.db.keys({ gt: 'x!', lt: 'x!~' })) deadLetters += 1;
    return { outbox, inbox, deadLetters };
  }

  // ---- anchoring ----------------------------------------------------------------------------

  /**
   * Records digests to anchor; durable when this resolves. The digests of exchanged messages do
   * not come this way: acceptInbound and markReceipted write them in the same batch as the
   * message, so no crash can leave a message durable and its digest forgotten.
   */
  async addPendingDigests(items: readonly PendingDigest[]): Promise<void> {
    if (items.length === 0) return;
    await this.committer.write(this.pendingDigestOps(items));
  }

  /**
   * One record of pending digests per partner (a batch frame's messages share one key, written
   * once and deleted once by the anchor batch that takes them): a key never holds two partners'
   * digests, as each partner's anchor batch is saved on its own.
   */
  private pendingDigestOps(items: readonly PendingDigest[]): StoreOp[] {
    if (items.length === 0) return [];
    const byPartner = new Map<string, PendingDigest[]>();
    for (const item of items) {
      const group = byPartner.get(item.partnerId);
      if (group) group.push(item);
      else byPartner.set(item.partnerId, [item]);
    }
    return [...byPartner.values()].map((group) => ({
      type: 'put',
      key: `n!${seqKey(this.nextSeq())}`,
      value: Buffer.from(JSON.stringify(group), 'utf8'),
    }));
  }

  /**
   * The digests waiting to be anchored, oldest first, each with the key of the record holding it
   * (records are taken whole: past `limit` digests, no further record is read).
   */
  async pendingDigests(limit = 100_000): Promise<Array<PendingDigest & { key: string; linked?: true }>> {
    const out: Array<PendingDigest & { key: string; linked?: true }> = [];
    const iterator = this.db.iterator({ gt: 'n!', lt: 'n!~' });
    try {
      while (out.length < limit) {
        const chunk = await iterator.nextv(256);
        if (chunk.length === 0) break;
        for (const [key, value] of chunk) {
          if (out.length >= limit) break;
          // A record holds a partner's digests written together; stores of earlier versions hold one a record.
          const parsed = JSON.parse(value.toString('utf8')) as PendingDigest | PendingDigest[] | LinkedPendingRecord;
          if ('leaves' in parsed) {
            const { partnerId, at } = parsed;
            for (const [direction, messageId, digest] of parsed.leaves)
              out.push({ key, direction, partnerId, messageId, digest, at, linked: true });
          } else for (const item of Array.isArray(parsed) ? parsed : [parsed]) out.push({ key, ...item });
        }
      }
    } finally {
      await iterator.close();
    }
    return out;
  }

  /**
   * Stores a batch and drops its digests from pending, atomically. `pending` gives, for leaf i,
   * the pending record it came from (as pendingDigests returned it): a record whose messages'
   * statuses name it gets one l! key saying where its digests went; any other digest gets a p!
   * key of its own.
   */
  async saveAnchorBatch(
    batch: AnchorBatchRecord,
    pending: ReadonlyArray<{ key: string; linked?: boolean }>,
  ): Promise<void> {
    const ops: StoreOp[] = [
      { type: 'put', key: `b!${batch.batchId}`, value: Buffer.from(JSON.stringify(batch), 'utf8') },
    ];
    const firstLeafOf = new Map<string, number>();
    pending.forEach(({ key, linked }, index) => {
      if (linked) {
        if (!firstLeafOf.has(key)) firstLeafOf.set(key, index);
        return;
      }
      const leaf = batch.leaves[index];
      if (!leaf) return;
      ops.push({
        type: 'put',
        key: `p!${leaf.direction}!${leaf.messageId}`,
        value: Buffer.from(JSON.stringify({ batchId: batch.batchId, index }), 'utf8'),
      });
    });
    for (const [key, first] of firstLeafOf) {
      const link: PendingRecordLink = { batchId: batch.batchId, first };
      ops.push({ type: 'put', key: `l!${key.slice('n!'.length)}`, value: Buffer.from(JSON.stringify(link), 'utf8') });
    }
    for (const key of new Set(pending.map((item) => item.key))) ops.push({ type: 'del', key });
    await this.committer.write(ops);
  }

  async anchorBatch(batchId: string): Promise<AnchorBatchRecord | undefined> {
    const value = await this.db.get(`b!${batchId}`);
    if (!value) return undefined;
    const batch = JSON.parse(value.toString('utf8')) as AnchorBatchRecord;
    // Stores before 2026-11 rewrote the batch with its anchor; now the anchor has a key of its own.
    if (batch.anchor) return batch;
    const anchor = await this.db.get(`c!${batchId}`);
    return anchor ? { ...batch, anchor: JSON.parse(anchor.toString('utf8')) as AnchorBatchRecord['anchor'] } : batch;
  }

  /** Batches saved but not yet confirmed on the ledger (to submit again after a restart). */
  async unanchoredBatches(): Promise<AnchorBatchRecord[]> {
    const saved: AnchorBatchRecord[] = [];
    for await (const value of this.db.values({ gt: 'b!', lt: 'b!~' })) {
      const batch = JSON.parse(value.toString('utf8')) as AnchorBatchRecord;
      if (!batch.anchor) saved.push(batch);
    }
    const anchors = await this.db.getMany(saved.map((batch) => `c!${batch.batchId}`));
    return saved.filter((_, index) => anchors[index] === undefined);
  }

  /**
   * The batch is on the ledger: its anchor is written beside it (a small key), not by rewriting
   * the batch with all its leaves.
   */
  async markBatchAnchored(batchId: string, anchor: { txId: string; blockNumber: number }): Promise<void> {
    if (!(await this.db.has(`b!${batchId}`)))
      throw new GncError('GNC_EXCHANGE_NOT_FOUND', `no anchor batch ${batchId}`, { httpStatus: 404 });
    await this.committer.write([
      { type: 'put', key: `c!${batchId}`, value: Buffer.from(JSON.stringify(anchor), 'utf8') },
    ]);
  }

  /** Which batch and leaf hold a message's digest. */
  async anchorOf(
    direction: 'in' | 'out',
    messageId: string,
  ): Promise<{ batch: AnchorBatchRecord; index: number } | undefined> {
    // A message exchanged since 2026-11: its status names its pending record, l! where that went.
    const stored = await this.storedStatus(messageId);
    if (stored?.anchorRecord !== undefined && stored.direction === direction) {
      const link = await this.db.get(`l!${seqKey(stored.anchorRecord)}`);
      if (!link) return undefined; // still pending
      const { batchId, first } = JSON.parse(link.toString('utf8')) as PendingRecordLink;
      const batch = await this.anchorBatch(batchId);
      if (!batch) return undefined;
      for (let index = first; index < batch.leaves.length; index++) {
        const leaf = batch.leaves[index]!;
        if (leaf.messageId === messageId && leaf.direction === direction) return { batch, index };
      }
      return undefined;
    }
    const value = await this.db.get(`p!${direction}!${messageId}`);
    if (!value) return undefined;
    const { batchId, index } = JSON.parse(value.toString('utf8')) as { batchId: string; index: number };
    const batch = await this.anchorBatch(batchId);
    return batch ? { batch, index } : undefined;
  }

  /** A small named value of the node's own bookkeeping (e.g. the last ledger block a flow handled). */
  async meta(name: string): Promise<string | undefined> {
    return (await this.db.get(`m!meta!${name}`))?.toString('utf8');
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.committer.write([{ type: 'put', key: `m!meta!${name}`, value: Buffer.from(value, 'utf8') }]);
  }

  // ---- what partners shared -----------------------------------------------------------------

  /** Indexes a shared record under several index values (e.g. container ids), in one batch. */
  async indexShared(
    entries: ReadonlyArray<{ index: string; value: string; messageId: string; record: unknown }>,
  ): Promise<void> {
    // A record indexed under several values (a declaration and a container) is serialised once.
    const serialised = new Map<unknown, Buffer>();
    const valueOf = (record: unknown) => {
      let value = serialised.get(record);
      if (!value) serialised.set(record, (value = Buffer.from(JSON.stringify(record), 'utf8')));
      return value;
    };
    await this.committer.write(
      entries.map((e) => ({
        type: 'put' as const,
        key: `g!${e.index}!${e.value}!${e.messageId}`,
        value: valueOf(e.record),
      })),
    );
  }

  /**
   * Indexes one record, already encoded, under several index values, in one batch (the same
   * bytes under each key). Read back with sharedRecords.
   */
  async indexSharedRecord(
    entries: ReadonlyArray<{ index: string; value: string; messageId: string }>,
    record: Buffer,
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.committer.write(
      entries.map((e) => ({ type: 'put' as const, key: `g!${e.index}!${e.value}!${e.messageId}`, value: record })),
    );
  }

  private sharedIndexOps(messageId: string, shared: SharedIndex | undefined): StoreOp[] {
    if (!shared) return [];
    return shared.entries.map((e) => ({
      type: 'put' as const,
      key: `g!${e.index}!${e.value}!${messageId}`,
      value: shared.record,
    }));
  }

  /** The records indexed under an index value, as stored (indexSharedRecord, or indexShared's JSON). */
  async sharedRecords(index: string, value: string): Promise<Buffer[]> {
    const prefix = `g!${index}!${value}!`;
    return this.db.values({ gt: prefix, lt: `${prefix}~` }).all();
  }

  async shared(index: string, value: string): Promise<unknown[]> {
    const out: unknown[] = [];
    const prefix = `g!${index}!${value}!`;
    for await (const item of this.db.values({ gt: prefix, lt: `${prefix}~` }))
      out.push(JSON.parse(item.toString('utf8')));
    return out;
  }

  /**
   * The outbound status of a queue entry: rebuilt from the entry itself when it carries what the
   * status holds (the hot path: no read), read from the store otherwise (entries of older stores).
   */
  private async statusOf(entry: OutboxEntry): Promise<MessageStatus | undefined> {
    if (entry.createdAt === undefined) return this.status(entry.messageId);
    return {
      messageId: entry.messageId,
      direction: 'out',
      partnerId: entry.partnerId,
      utilityBlock: entry.utilityBlock,
      state: 'queued',
      attempts: entry.attempts,
      createdAt: entry.createdAt,
      updatedAt: entry.createdAt,
      ...(entry.lastError ? { lastError: entry.lastError } : {}),
    };
  }

  private fallbackStatus(
    entry: { messageId: string; partnerId: string; utilityBlock: string },
    direction: 'in' | 'out',
  ): MessageStatus {
    const now = Date.now();
    return { ...entry, direction, state: 'queued', attempts: 0, createdAt: now, updatedAt: now };
  }
}

/**
 * The pending records of messages being written: one per partner, its sequence number taken on
 * first use, so each message's status can name the record its digest is in.
 */
class LinkedPendingRecords {
  private readonly records = new Map<string, { seq: number; record: LinkedPendingRecord }>();

  constructor(
    private readonly nextSeq: () => number,
    private readonly at: number,
  ) {}

  /** Adds a digest; returns the sequence number of the record holding it. */
  add(direction: 'in' | 'out', partnerId: string, messageId: string, digest: string): number {
    let found = this.records.get(partnerId);
    if (!found) {
      found = { seq: this.nextSeq(), record: { partnerId, at: this.at, leaves: [] } };
      this.records.set(partnerId, found);
    }
    found.record.leaves.push([direction, messageId, digest]);
    return found.seq;
  }

  ops(): StoreOp[] {
    return [...this.records.values()].map(({ seq, record }) => ({
      type: 'put' as const,
      key: `n!${seqKey(seq)}`,
      value: Buffer.from(JSON.stringify(record), 'utf8'),
    }));
  }
}

/**
 * Fabric's on-disk block layout (`common/ledger/blkstorage/block_serialization.go`). A blockfile
 * is a sequence of records `varint(len) || block`, where `block` is NOT a serialised
 * `common.Block` but Fabric's own layout:
 *
 *     varint number
 *     varint len || data_hash          (data hash BEFORE previous hash, unlike the proto)
 *     varint len || previous_hash
 *     varint count, then count x (varint len || envelope)
 *     varint count, then count x (varint len || metadata entry)   (each entry's raw bytes)
 *
 * Reading follows Fabric's rules so that we accept exactly what a peer accepts: varints as
 * protowire decodes them, and bytes after the last metadata entry of a record ignored (Fabric's
 * `deserializeBlock` does not look at them). Writing is minimal varints throughout, which is what
 * Fabric writes, so a re-encoded block reproduces the original file bytes.
 */
import { common } from '@hyperledger/fabric-protos';
import { blockDataHash } from './block-hash';
import { BlockfileFormatError, VarintError } from './fabric-errors';
import { decodeVarint, encodedVarintLength, writeVarint } from './varint';

/** A block found in a blockfile, with the byte range of its record (length prefix included). */
export interface ScannedBlock {
  readonly block: common.Block;
  /** Offset of the record's length prefix. */
  readonly offset: number;
  /** Offset just after the record: where the next record starts. */
  readonly end: number;
}

/** Where and why a blockfile stops being readable. */
export interface TornRecord {
  /** Offset of the length prefix of the first record that could not be read. */
  readonly offset: number;
  readonly reason: string;
  /**
   * `true` when the file simply ends inside the record (a crash mid-append: Fabric's
   * `ErrUnexpectedEndOfBlockfile`, which a ledger repairs by truncating to `offset`); `false`
   * when a complete record does not parse, which is corruption, not a torn write.
   */
  readonly truncated: boolean;
}

/** Result of {@link scanBlockfile}. */
export interface BlockfileScan {
  readonly blocks: ScannedBlock[];
  /** Present when the bytes end with something that is not a complete, parseable record. */
  readonly torn?: TornRecord;
}

/**
 * Metadata slots in a Fabric block, by index (`common.BlockMetadataIndex`). Fabric's `NewBlock`
 * creates one empty entry per slot.
 */
export const BLOCK_METADATA_SLOTS = 5;

/**
 * Builds a block the way Fabric's orderer does: header with `number`, `previousHash` and the data
 * hash of `envelopes`, the envelopes as data, and `metadata` (by default the 5 empty entries of
 * `protoutil.NewBlock`: SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, COMMIT_HASH, ORDERER).
 *
 * @throws RangeError if `number` is not a safe integer (fabric-protos holds it in a JS number).
 */
export function newBlock(
  number: bigint,
  previousHash: Uint8Array,
  envelopes: readonly Uint8Array[],
  metadata: readonly Uint8Array[] = Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array(0)),
): common.Block {
  if (number < 0n || number > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`block number ${number} cannot be held by common.BlockHeader`);
  }
  const header = new common.BlockHeader();
  header.setNumber(Number(number));
  header.setPreviousHash(previousHash);
  header.setDataHash(blockDataHash(envelopes));
  return assembleBlock(header, [...envelopes], [...metadata]);
}

/**
 * The record Fabric's block store appends for `block`: `varint(len)` then the block in Fabric's
 * layout. Written in one allocation; envelopes are copied once, never re-serialised.
 *
 * @throws {@link BlockfileFormatError} if the block has no header.
 */
export function encodeBlockfileRecord(block: common.Block): Buffer {
  const header = block.getHeader();
  if (header === undefined) throw new BlockfileFormatError('cannot encode a block without a header');
  const number = header.getNumber();
  const dataHash = header.getDataHash_asU8();
  const previousHash = header.getPreviousHash_asU8();
  // Fabric would panic on a nil Data or Metadata; an absent one is written here as zero entries.
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  const metadata = block.getMetadata()?.getMetadataList_asU8() ?? [];

  let inner = encodedVarintLength(number) + bytesSize(dataHash) + bytesSize(previousHash);
  inner += encodedVarintLength(envelopes.length);
  for (const env of envelopes) inner += bytesSize(env);
  inner += encodedVarintLength(metadata.length);
  for (const entry of metadata) inner += bytesSize(entry);

  const out = Buffer.allocUnsafe(encodedVarintLength(inner) + inner);
  let pos = writeVarint(out, 0, inner);
  pos = writeVarint(out, pos, number);
  pos = writeBytes(out, pos, dataHash);
  pos = writeBytes(out, pos, previousHash);
  pos = writeVarint(out, pos, envelopes.length);
  for (const env of envelopes) pos = writeBytes(out, pos, env);
  pos = writeVarint(out, pos, metadata.length);
  for (const entry of metadata) pos = writeBytes(out, pos, entry);
  return out;
}

/**
 * Decodes one block in Fabric's layout (a record without its length prefix). The block's byte
 * fields are views into `bytes`, not copies, so `bytes` must not be modified afterwards.
 *
 * @throws {@link BlockfileFormatError} naming the part that could not be decoded, as Fabric's
 * `deserializeBlock` does.
 */
export function decodeBlockfileBlock(bytes: Uint8Array): common.Block {
  const reader = new FieldReader(bytes);
  const number = reader.varint('the block number');
  const dataHash = reader.bytes('the data hash');
  const previousHash = reader.bytes('the previous hash');
  const envelopes = reader.list('block data', 'the transaction envelope');
  const metadata = reader.list('block metadata', 'the block metadata');
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setDataHash(dataHash);
  header.setPreviousHash(previousHash);
  return assembleBlock(header, envelopes, metadata);
}

/**
 * Reads every complete block of a blockfile held in memory. Never throws on bad bytes: it stops
 * at the first record that is cut short or does not parse and reports its offset in `torn`, so a
 * ledger can truncate a torn last block and a verifier can name where the damage starts.
 */
export function scanBlockfile(bytes: Uint8Array): BlockfileScan {
  const blocks: ScannedBlock[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const record = nextRecord(bytes, offset);
    if (!('block' in record)) {
      // With the whole file in hand nextRecord never asks for more; the fallback only satisfies the type.
      return {
        blocks,
        torn: 'reason' in record ? record : { offset, reason: 'unexpected end of blockfile', truncated: true },
      };
    }
    blocks.push({ block: record.block, offset, end: record.end });
    offset = record.end;
  }
  return { blocks };
}

/**
 * Reads the record starting at `offset`: either the block and where the record ends, or why it
 * cannot be read. `atEof` says whether `bytes` holds the whole rest of the file; when it does not,
 * a record that runs past the end of `bytes` is reported as `{ needMore }` so a streaming reader
 * can fetch more and retry.
 *
 * @internal shared with the streaming reader.
 */
export function nextRecord(
  bytes: Uint8Array,
  offset: number,
  atEof = true,
): { block: common.Block; end: number } | TornRecord | { needMore: number } {
  let length: number;
  let prefix: number;
  try {
    const decoded = decodeVarint(bytes, offset);
    length = decoded.value;
    prefix = decoded.length;
  } catch (err) {
    if (err instanceof VarintError && err.problem === 'truncated') {
      // Fabric peeks at most 8 bytes for the length prefix; a varint still open at the end of
      // the file is a torn write.
      if (!atEof) return { needMore: offset + 10 - bytes.length };
      return { offset, reason: 'unexpected end of blockfile inside the length prefix', truncated: true };
    }
    return { offset, reason: `invalid record length prefix: ${describe(err)}`, truncated: false };
  }
  const end = offset + prefix + length;
  if (end > bytes.length) {
    if (!atEof) return { needMore: end - bytes.length };
    return {
      offset,
      reason: `unexpected end of blockfile: record needs ${prefix + length} bytes, ${bytes.length - offset} remain`,
      truncated: true,
    };
  }
  try {
    return { block: decodeBlockfileBlock(bytes.subarray(offset + prefix, end)), end };
  } catch (err) {
    return { offset, reason: describe(err), truncated: false };
  }
}

function assembleBlock(header: common.BlockHeader, envelopes: Uint8Array[], metadata: Uint8Array[]): common.Block {
  const data = new common.BlockData();
  data.setDataList(envelopes);
  const blockMetadata = new common.BlockMetadata();
  blockMetadata.setMetadataList(metadata);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  block.setMetadata(blockMetadata);
  return block;
}

function bytesSize(value: Uint8Array): number {
  return encodedVarintLength(value.length) + value.length;
}

function writeBytes(out: Buffer, offset: number, value: Uint8Array): number {
  const pos = writeVarint(out, offset, value.length);
  out.set(value, pos);
  return pos + value.length;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sequential reader over one record, with Fabric's error wording. */
class FieldReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  varint(what: string): number {
    try {
      const { value, length } = decodeVarint(this.buf, this.pos);
      this.pos += length;
      return value;
    } catch (err) {
      throw new BlockfileFormatError(`error decoding ${what}: ${describe(err)}`, { cause: err });
    }
  }

  bytes(what: string): Uint8Array {
    const length = this.varint(what);
    const start = this.pos;
    if (length > this.buf.length - start) {
      throw new BlockfileFormatError(
        `error decoding ${what}: ${length} bytes announced, ${this.buf.length - start} left`,
      );
    }
    this.pos = start + length;
    return this.buf.subarray(start, this.pos);
  }

  list(countWhat: string, itemWhat: string): Uint8Array[] {
    const count = this.varint(`the length of ${countWhat}`);
    // Not preallocated: a garbage count must not allocate; every item takes at least one byte,
    // so the loop fails as soon as the bytes run out, as Fabric's does.
    const items: Uint8Array[] = [];
    for (let i = 0; i < count; i++) items.push(this.bytes(itemWhat));
    return items;
  }
}

/**
 * A small protobuf writer for the messages the embedded ledger builds per transaction (envelope,
 * proposal response payload, read/write sets, history records): every field goes straight into one
 * growing buffer, nested messages included, instead of a google-protobuf object per message
 * serialised level by level (each level copying the one below into a new buffer).
 *
 * It writes what the generated @hyperledger/fabric-protos code writes for proto3 messages, so the
 * bytes are identical: fields in the order the caller writes them (the caller follows field
 * number order), scalar fields with their default value (0, false, empty string or bytes)
 * omitted, a sub-message that is set written even when empty, varints minimal.
 */
import { encodedVarintLength, writeVarint } from './varint';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const INITIAL_CAPACITY = 1024;

export class ProtoWriter {
  private buffer: Buffer;
  private pos = 0;
  /** Offsets of the one byte reserved for the length of each open sub-message. */
  private readonly open: number[] = [];
  /** Offsets of the tags of the open sub-messages. */
  private readonly openTags: number[] = [];

  constructor(capacity = INITIAL_CAPACITY) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** A length-delimited bytes field; omitted when empty (proto3 default). */
  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    this.tag(field, WIRE_BYTES);
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Bytes as they are, no tag or length: for putting a message together from serialised parts. */
  raw(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** A string field as UTF-8; omitted when empty. */
  string(field: number, value: string): this {
    if (value.length === 0) return this;
    const length = Buffer.byteLength(value, 'utf8');
    this.tag(field, WIRE_BYTES);
    this.varint(length);
    this.reserve(length);
    this.pos += this.buffer.write(value, this.pos, length, 'utf8');
    return this;
  }

  /**
   * A uint64, int64 (non-negative), uint32, int32 or enum field; omitted when 0. A negative int32
   * or enum is written sign-extended to 64 bits, as protobuf does.
   */
  uint(field: number, value: number): this {
    if (value === 0) return this;
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint value must be a safe integer, got ${value}`);
    this.tag(field, WIRE_VARINT);
    if (value < 0) {
      if (value < -0x80000000) throw new RangeError(`only int32 values may be negative, got ${value}`);
      this.reserve(10);
      this.pos = writeVarint(this.buffer, this.pos, BigInt.asUintN(64, BigInt(value)));
    } else {
      this.varint(value);
    }
    return this;
  }

  /** A bool field; omitted when false. */
  bool(field: number, value: boolean): this {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.reserve(1);
    this.buffer[this.pos++] = 1;
    return this;
  }

  /** Opens a sub-message field; it is written (even if it stays empty) when {@link end} closes it. */
  begin(field: number): this {
    this.openTags.push(this.pos);
    this.tag(field, WIRE_BYTES);
    this.reserve(1);
    this.open.push(this.pos);
    this.pos += 1;
    return this;
  }

  /**
   * Closes the innermost sub-message, writing its length in front of it. With `omitEmpty`, an empty
   * one is dropped, tag and all: for a `bytes` field that holds a serialised message (as
   * NsReadWriteSet.rwset holds a KVRWSet), which proto3 omits when the bytes are empty.
   */
  end(omitEmpty = false): this {
    const at = this.open.pop();
    const tagAt = this.openTags.pop();
    if (at === undefined || tagAt === undefined) throw new Error('ProtoWriter.end() without begin()');
    const length = this.pos - at - 1;
    if (length === 0 && omitEmpty) {
      this.pos = tagAt;
      return this;
    }
    const size = encodedVarintLength(length);
    if (size > 1) {
      // One byte was reserved; move the content up to make room for a longer length.
      this.reserve(size - 1);
      this.buffer.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    writeVarint(this.buffer, at, length);
    return this;
  }

  /** The message written so far, in a buffer of its own. */
  finish(): Buffer {
    this.assertClosed('finish');
    return Buffer.from(this.buffer.subarray(0, this.pos));
  }

  /**
   * The message written so far as a view into the writer's buffer, without a copy: valid until
   * the writer is written to or reset. For a scratch writer whose message is used right away.
   */
  view(): Buffer {
    this.assertClosed('view');
    return this.buffer.subarray(0, this.pos);
  }

  /** Starts a new message in the same buffer (see {@link view}). */
  reset(): this {
    this.pos = 0;
    this.open.length = 0;
    this.openTags.length = 0;
    return this;
  }

  private assertClosed(method: string): void {
    if (this.open.length > 0) {
      throw new Error(`ProtoWriter.${method}() with ${this.open.length} open sub-message(s)`);
    }
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    this.reserve(10);
    if (value < 0x80) this.buffer[this.pos++] = value;
    else this.pos = writeVarint(this.buffer, this.pos, value);
  }

  private reserve(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

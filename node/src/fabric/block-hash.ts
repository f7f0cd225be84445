/**
 * Fabric's block hashes, byte for byte as `protoutil` computes them (Fabric v2.x and v3.x):
 *
 * - header bytes: `asn1.Marshal(struct{ Number *big.Int; PreviousHash, DataHash []byte })`, i.e.
 *   DER `SEQUENCE { INTEGER number, OCTET STRING previousHash, OCTET STRING dataHash }`. Because
 *   the number is a `big.Int` (since FAB-15118), numbers >= 2^63 are encoded as positive 9-byte
 *   integers (a leading 0x00), never as negative int64s. A nil hash is an empty OCTET STRING.
 * - header hash: SHA-256 of the header bytes; it is what the next block carries as previous_hash.
 * - data hash: SHA-256 of the envelopes concatenated (`ComputeBlockDataHash`; no Merkle tree).
 *
 * The DER is written by hand: three fields do not justify an ASN.1 library, and the verifier
 * computes one of these per block.
 */
import { createHash } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';

/** The three header fields that Fabric hashes. */
export interface BlockHeaderFields {
  readonly number: bigint;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

const UINT64_LIMIT = 1n << 64n;
const DER_SEQUENCE = 0x30;
const DER_INTEGER = 0x02;
const DER_OCTET_STRING = 0x04;

/**
 * DER bytes of a block header, exactly as Fabric's `protoutil.BlockHeaderBytes`. These are also
 * the header bytes that orderers sign (after the metadata value and signature header).
 *
 * @throws RangeError if `number` is not a uint64.
 */
export function blockHeaderBytes(number: bigint, previousHash: Uint8Array, dataHash: Uint8Array): Buffer {
  const intContent = derUnsignedIntegerContent(number);
  const intLen = 1 + derLengthSize(intContent.length) + intContent.length;
  const prevLen = 1 + derLengthSize(previousHash.length) + previousHash.length;
  const dataLen = 1 + derLengthSize(dataHash.length) + dataHash.length;
  const bodyLen = intLen + prevLen + dataLen;
  const out = Buffer.allocUnsafe(1 + derLengthSize(bodyLen) + bodyLen);
  let pos = writeDerHeader(out, 0, DER_SEQUENCE, bodyLen);
  pos = writeDerHeader(out, pos, DER_INTEGER, intContent.length);
  out.set(intContent, pos);
  pos += intContent.length;
  pos = writeDerHeader(out, pos, DER_OCTET_STRING, previousHash.length);
  out.set(previousHash, pos);
  pos += previousHash.length;
  pos = writeDerHeader(out, pos, DER_OCTET_STRING, dataHash.length);
  out.set(dataHash, pos);
  return out;
}

/**
 * SHA-256 of {@link blockHeaderBytes}: Fabric's `protoutil.BlockHeaderHash`, the value the next
 * block must carry as its previous hash.
 */
export function blockHeaderHash(header: BlockHeaderFields | common.BlockHeader): Buffer {
  // Duck-typed, not `instanceof`: google-protobuf registers its classes on a global `proto`
  // object, so a second copy of fabric-protos (fabric-shim bundles one) replaces the classes and
  // decoded messages stop being instances of the ones imported here.
  const fields =
    typeof (header as Partial<BlockHeaderFields>).number === 'bigint'
      ? (header as BlockHeaderFields)
      : headerFields(header as common.BlockHeader);
  return createHash('sha256')
    .update(blockHeaderBytes(fields.number, fields.previousHash, fields.dataHash))
    .digest();
}

/**
 * Fabric's block data hash: SHA-256 over the envelopes concatenated. Fed to the hash one by one
 * so that no concatenated copy of the block is ever made.
 */
export function blockDataHash(envelopes: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const envelope of envelopes) hash.update(envelope);
  return hash.digest();
}

/**
 * The hashed fields of a protobuf header. Its `number` is a JS number in fabric-protos, so it is
 * exact only up to 2^53 - 1; a larger one has already lost precision and is refused.
 *
 * @throws RangeError if the header's number is not a safe integer.
 */
export function headerFields(header: common.BlockHeader): BlockHeaderFields {
  const n = header.getNumber();
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`block number ${n} is not exactly representable`);
  return { number: BigInt(n), previousHash: header.getPreviousHash_asU8(), dataHash: header.getDataHash_asU8() };
}

/**
 * Content octets of a DER INTEGER holding a non-negative value: minimal big-endian two's
 * complement, so a leading 0x00 is added when the top bit would otherwise read as a sign, and
 * zero is the single octet 0x00 (as Go's `asn1` encodes a `big.Int`).
 */
function derUnsignedIntegerContent(value: bigint): Uint8Array {
  if (value < 0n || value >= UINT64_LIMIT) throw new RangeError(`block number must fit in uint64, got ${value}`);
  const tmp = new Uint8Array(9);
  let pos = 9;
  let v = value;
  do {
    tmp[--pos] = Number(v & 0xffn);
    v >>= 8n;
  } while (v > 0n);
  if ((tmp[pos] as number) & 0x80) tmp[--pos] = 0;
  return tmp.subarray(pos);
}

/** Octets the DER length field takes: short form below 128, else 0x80|n followed by n octets. */
function derLengthSize(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

function writeDerHeader(out: Buffer, offset: number, tag: number, length: number): number {
  out[offset] = tag;
  if (length < 0x80) {
    out[offset + 1] = length;
    return offset + 2;
  }
  const octets = derLengthSize(length) - 1;
  out[offset + 1] = 0x80 | octets;
  out.writeUIntBE(length, offset + 2, octets);
  return offset + 2 + octets;
}

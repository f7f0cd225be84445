/**
 * Fabric's block formats, byte-exact: header and data hashes, the blockfile layout of a peer's
 * block store, and the varints they are built from.
 */
export { blockDataHash, blockHeaderBytes, blockHeaderHash, headerFields, type BlockHeaderFields } from './block-hash';
export {
  BLOCK_METADATA_SLOTS,
  decodeBlockfileBlock,
  encodeBlockfileRecord,
  newBlock,
  scanBlockfile,
  type BlockfileScan,
  type ScannedBlock,
  type TornRecord,
} from './blockfile';
export {
  listBlockfiles,
  readBlockfiles,
  type BlockfileBlockItem,
  type BlockfileItem,
  type BlockfileTornItem,
  type ReadBlockfilesOptions,
} from './blockfile-reader';
export { BlockfileFormatError, VarintError, type VarintProblem } from './fabric-errors';
export { envelopeFormError, isConfigBlockData, transactionsWellFormedError } from './transaction-form';
export {
  decodeVarint,
  decodeVarint64,
  encodeVarint,
  encodedVarintLength,
  writeVarint,
  type DecodedVarint,
} from './varint';

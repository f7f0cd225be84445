/** Audit of a ledger: hash-chain verification of blocks, from any source or from Fabric blockfiles. */
export {
  DATA_HASH_MISMATCH,
  PREVIOUS_HASH_MISMATCH,
  formatFabricBlocksJson,
  newChainVerifier,
  verifyBlockfile,
  verifyBlocks,
  type BlockFault,
  type ChainProgress,
  type ChainReport,
  type ChainTail,
  type ChainVerifier,
  type VerifyChainOptions,
} from './verify-chain';
export {
  auditBlockfile,
  auditBlocks,
  type AuditProgress,
  type LedgerAuditOptions,
  type LedgerAuditReport,
  type LiveState,
  type StateComparison,
} from './verify-ledger';
export { clientLiveState, embeddedLiveState } from './live-state';
export { parseSignaturePolicy, type Policy } from './policy';

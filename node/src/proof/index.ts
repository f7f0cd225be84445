/** Provenance proofs: build one from a ledger's blocks, verify one offline. */
export {
  buildProof,
  proveEmbeddedRecord,
  ProofError,
  type BuildProofRequest,
  type ProofBlockSource,
} from './build-proof';
export { PROOF_FORMAT, canonicalProofText, type ProvenanceProof, type ProofBlock } from './proof-format';
export { verifyProofText, type ProofCheck, type ProofVerification, type VerifyProofOptions } from './verify-proof';

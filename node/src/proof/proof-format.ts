/**
 * The provenance proof file: a claim (this record had this value, written by this transaction
 * in this block) and everything needed to check it offline, as canonical JSON (keys sorted,
 * two-space indentation, a final newline), so that a proof has exactly one byte form and any
 * changed byte is either a changed value (which some check recomputes) or a broken form.
 *
 * Bytes are base64 (canonical: re-encoding the decoded bytes must give the same text).
 */

export const PROOF_FORMAT = 'gnc-provenance-proof/1';

/** A block carried whole: its envelopes (hashed into its header) and its signature metadata. */
export interface ProofBlock {
  number: number;
  /** Every envelope of the block, base64: Fabric's data hash is flat SHA-256 over all of them. */
  envelopes: string[];
  /** Metadata entry SIGNATURES (orderer or embedded-node signatures), base64; empty for Fabric's genesis. */
  signatures: string;
}

export interface ProvenanceProof {
  format: typeof PROOF_FORMAT;
  claim: {
    channelId: string;
    namespace: string;
    /** The state key as stored (composite keys hold U+0000 separators). */
    key: string;
    /** The key as people write it, e.g. declaration/DEC-1. */
    displayKey: string;
    /** The value, when it is JSON (the contracts write canonical JSON); else `valueBase64`. */
    value?: unknown;
    valueBase64?: string;
    blockNumber: number;
    txIndex: number;
    txId: string;
    /** The client's proposal time, ISO 8601. */
    timestamp: string;
    creator: { mspId: string; subject: string };
    /** The validation code the committing peer recorded (Fabric does not sign the flags). */
    validationFlag: string;
  };
  /**
   * The header chain from `first` to the claim's block: each header is (number, previous header
   * hash, data hash); with the first previous hash and every data hash, every header hash follows.
   */
  chain: { first: number; previousHash: string; dataHashes: string[] };
  /** The blocks carried whole, ascending: the config block, the chaincode definition's block (Fabric), the claim's block. */
  blocks: ProofBlock[];
  /** The config block whose roots and policies apply (the last config the claim block's signers name). */
  configBlock: number;
  endorsementPolicy: {
    namespace: string;
    /** In Fabric's policy language, or a channel policy path. */
    policy: string;
    /** Where the policy is defined: the embedded channel's rule, or a _lifecycle transaction carried in `blocks`. */
    definedIn: { kind: 'embedded-channel' } | { kind: 'lifecycle'; block: number; txIndex: number };
  };
  /** The root certificates of the channel config, by MSP: what the verifier must accept. */
  trustRoots: Record<string, string[]>;
  /** Disclosed confidential fields: value and salt, checked against confidentialFieldHashes. */
  disclosures: Record<string, { value: unknown; salt: string }>;
}

/** Canonical JSON text of a proof: keys sorted at every level, two-space indent, final newline. */
export function canonicalProofText(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes base64 that must be canonical. @throws Error naming `what` */
export function fromBase64(text: unknown, what: string): Buffer {
  if (typeof text !== 'string') throw new Error(`${what} is not a base64 string`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new Error(`${what} is not canonical base64`);
  return bytes;
}

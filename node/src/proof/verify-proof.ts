/**
 * Offline verification of a provenance proof: no network, no ledger, only the proof and (if the
 * verifier has them) the root certificates to pin. The checks run in order and each says what it
 * established; the first that does not hold ends the run, and the rest are reported as skipped.
 * The same function serves `gnc verify-proof` and the node's POST /proofs/verify.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { fieldCommitment } from '../../../chaincode/src/confidential';
import { canonicalJson } from '../../../chaincode/src/serializer';
import {
  type ChannelTrust,
  type ValidIdentity,
  channelTrustFromConfigEnvelope,
  consenterIdentity,
} from '../audit/channel-trust';
import { evaluateSignaturePolicy, parseSignaturePolicy } from '../audit/policy';
import { type DecodedTransaction, decodeIdentity, decodeTransaction } from '../audit/tx-decoder';
import { printable } from '../audit/verify-ledger';
import { blockDataHash, blockHeaderBytes } from '../fabric/block-hash';
import { envelopeFormError } from '../fabric/transaction-form';
import { checkSignature as verifySignature } from '../audit/signature-check';
import { findLifecycleDefinition, subjectOf } from './proof-common';
import { PROOF_FORMAT, type ProvenanceProof, canonicalProofText, fromBase64 } from './proof-format';

export interface ProofCheck {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'skipped';
  readonly detail: string;
  /** `status === 'pass'` */
  readonly ok: boolean;
}

export interface ProofVerification {
  readonly valid: boolean;
  /** Whether the roots were pinned by the verifier (`trustedRoots`), not only taken from the proof. */
  readonly pinned: boolean;
  readonly summary: string;
  readonly checks: ProofCheck[];
  readonly claim?: { displayKey: string; blockNumber: number; txId: string; timestamp: string; value: unknown };
}

export interface VerifyProofOptions {
  /** Root certificates (PEM) the verifier accepts; without them the proof's own roots are used and reported as not pinned. */
  readonly trustedRoots?: readonly string[];
  /** An endorsement policy to impose instead of the one the proof states. */
  readonly endorsementPolicy?: string;
}

const CHECK_NAMES = [
  'proof format',
  'trust roots',
  'header chain',
  'block signatures',
  'last config',
  'transaction',
  'creator',
  'endorsements',
  'validation flag',
  'value',
  'disclosures',
  'pinned roots',
] as const;

class CheckFailed extends Error {}

/** Verifies the text of a proof file (its exact bytes: the canonical form is part of the proof). */
export function verifyProofText(text: string, options: VerifyProofOptions = {}): ProofVerification {
  const checks: ProofCheck[] = [];
  const state: Partial<State> = {};
  let failed = false;
  for (const name of CHECK_NAMES) {
    if (failed) {
      checks.push({ name, status: 'skipped', ok: false, detail: 'not checked: an earlier check failed' });
      continue;
    }
    try {
      const detail = STEPS[name](text, state, options);
      checks.push({ name, status: 'pass', ok: true, detail });
    } catch (error) {
      failed = true;
      checks.push({
        name,
        status: 'fail',
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const proof = state.proof;
  const failedCheck = checks.find((c) => c.status === 'fail');
  const pinned = !failed && (options.trustedRoots?.length ?? 0) > 0;
  return {
    valid: !failed,
    pinned,
    summary: failedCheck
      ? `${failedCheck.name} does not hold: ${failedCheck.detail}`
      : `${proof?.claim.displayKey ?? '?'} had this value at block ${proof?.claim.blockNumber ?? '?'} (transaction ${proof?.claim.txId ?? '?'})${pinned ? '' : "; the trust roots are the proof's own: pin them with --trust"}`,
    checks,
    ...(proof && !failed
      ? {
          claim: {
            displayKey: proof.claim.displayKey,
            blockNumber: proof.claim.blockNumber,
            txId: proof.claim.txId,
            timestamp: proof.claim.timestamp,
            value: proof.claim.value ?? proof.claim.valueBase64,
          },
        }
      : {}),
  };
}

interface State {
  proof: ProvenanceProof;
  envelopes: Map<number, Buffer[]>;
  signatures: Map<number, Buffer>;
  trust: ChannelTrust;
  headerBytes: Map<number, Buffer>;
  tx: DecodedTransaction;
  creator: ValidIdentity;
  relied: Set<string>;
}

type Step = (text: string, state: Partial<State>, options: VerifyProofOptions) => string;

function need<K extends keyof State>(state: Partial<State>, key: K): State[K] {
  const value = state[key];
  if (value === undefined) throw new CheckFailed(`internal: ${key} missing`);
  return value;
}

const STEPS: Record<(typeof CHECK_NAMES)[number], Step> = {
  'proof format': (text, state) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckFailed(`the file is not JSON (${(error as Error).message})`);
    }
    if (canonicalProofText(parsed) !== text) {
      throw new CheckFailed(
        'the file is not in the canonical form of a proof (sorted keys, 2-space indent): bytes were changed',
      );
    }
    const proof = parsed as ProvenanceProof;
    if ((proof.format as string) !== PROOF_FORMAT) throw new CheckFailed(`format is not ${String(PROOF_FORMAT)}`);
    const expectKeys = (obj: unknown, keys: string[], what: string) => {
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new CheckFailed(`${what} is not an object`);
      const have = Object.keys(obj).sort().join(',');
      if (have !== [...keys].sort().join(','))
        throw new CheckFailed(`${what} has fields ${have}, expected ${[...keys].sort().join(',')}`);
    };
    expectKeys(
      proof,
      ['format', 'claim', 'chain', 'blocks', 'configBlock', 'endorsementPolicy', 'trustRoots', 'disclosures'],
      'the proof',
    );
    const valueKey = 'value' in (proof.claim ?? {}) ? 'value' : 'valueBase64';
    expectKeys(
      proof.claim,
      [
        'channelId',
        'namespace',
        'key',
        'displayKey',
        valueKey,
        'blockNumber',
        'txIndex',
        'txId',
        'timestamp',
        'creator',
        'validationFlag',
      ],
      'the claim',
    );
    expectKeys(proof.chain, ['first', 'previousHash', 'dataHashes'], 'the chain');
    if (!Array.isArray(proof.blocks) || proof.blocks.length === 0) throw new CheckFailed('the proof carries no blocks');
    const envelopes = new Map<number, Buffer[]>();
    const signatures = new Map<number, Buffer>();
    let previous = -1;
    for (const block of proof.blocks) {
      expectKeys(block, ['number', 'envelopes', 'signatures'], 'a block');
      if (!Number.isSafeInteger(block.number) || block.number <= previous)
        throw new CheckFailed('blocks are not in ascending order');
      previous = block.number;
      if (!Array.isArray(block.envelopes)) throw new CheckFailed(`block ${block.number} has no envelope list`);
      envelopes.set(
        block.number,
        block.envelopes.map((e, i) => fromBase64(e, `envelope ${i} of block ${block.number}`)),
      );
      signatures.set(block.number, fromBase64(block.signatures, `the signatures of block ${block.number}`));
    }
    if (!Array.isArray(proof.chain.dataHashes)) throw new CheckFailed('the chain has no data hashes');
    proof.chain.dataHashes.forEach((h, i) => fromBase64(h, `data hash ${i} of the chain`));
    fromBase64(proof.chain.previousHash, 'the previous hash of the chain');
    state.proof = proof;
    state.envelopes = envelopes;
    state.signatures = signatures;
    state.relied = new Set();
    return `canonical ${PROOF_FORMAT}, ${proof.blocks.length} whole blocks, a chain of ${proof.chain.dataHashes.length} headers`;
  },

  'trust roots': (_text, state) => {
    const proof = need(state, 'proof');
    const envelopes = need(state, 'envelopes').get(proof.configBlock);
    if (!envelopes || envelopes.length !== 1)
      throw new CheckFailed(`config block ${proof.configBlock} is not carried whole with one envelope`);
    let trust: ChannelTrust;
    try {
      trust = channelTrustFromConfigEnvelope(envelopes[0] as Buffer);
    } catch (error) {
      throw new CheckFailed(`block ${proof.configBlock} is not a config block: ${(error as Error).message}`);
    }
    const roots: Record<string, string[]> = {};
    for (const [mspId, msp] of [...trust.msps.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      roots[mspId] = msp.rootCertificatesPem;
    }
    if (canonicalProofText(roots) !== canonicalProofText(proof.trustRoots)) {
      throw new CheckFailed(`the trust roots listed differ from those of config block ${proof.configBlock}`);
    }
    state.trust = trust;
    return `config block ${proof.configBlock} of channel ${trust.channelId} (sequence ${trust.sequence}): roots of ${Object.keys(roots).join(', ')}; orderer organisations ${trust.ordererOrgs.join(', ')}`;
  },

  'header chain': (_text, state) => {
    const proof = need(state, 'proof');
    const { first, dataHashes } = proof.chain;
    const last = proof.claim.blockNumber;
    if (!Number.isSafeInteger(first) || first < 0 || dataHashes.length !== last - first + 1) {
      throw new CheckFailed(`the chain must hold one data hash per block from ${first} to ${last}`);
    }
    const whole = need(state, 'envelopes');
    for (const n of whole.keys()) if (n < first || n > last) throw new CheckFailed(`block ${n} is outside the chain`);
    if (!whole.has(last)) throw new CheckFailed(`the claim's block ${last} is not carried whole`);
    let previousHash = fromBase64(proof.chain.previousHash, 'previous hash');
    const headerBytes = new Map<number, Buffer>();
    for (let n = first; n <= last; n++) {
      const dataHash = fromBase64(dataHashes[n - first], `data hash of block ${n}`);
      const envelopes = whole.get(n);
      if (envelopes) {
        if (!blockDataHash(envelopes).equals(dataHash)) {
          throw new CheckFailed(`block ${n}: its envelopes do not hash to the data hash in its header`);
        }
      }
      const bytes = blockHeaderBytes(BigInt(n), previousHash, dataHash);
      if (envelopes) headerBytes.set(n, bytes);
      previousHash = createHash('sha256').update(bytes).digest();
    }
    state.headerBytes = headerBytes;
    return `blocks ${first}..${last} link by header hash; the whole blocks ${[...whole.keys()].join(', ')} match their data hashes`;
  },

  'block signatures': (_text, state) => {
    const proof = need(state, 'proof');
    const trust = need(state, 'trust');
    const details: string[] = [];
    for (const [n, raw] of need(state, 'signatures')) {
      const header = need(state, 'headerBytes').get(n) as Buffer;
      const md = common.Metadata.deserializeBinary(raw);
      if (!Buffer.from(md.serializeBinary()).equals(raw))
        throw new CheckFailed(`block ${n}: the signature metadata is not in canonical form`);
      const signatures = md.getSignaturesList();
      if (signatures.length === 0) {
        if (n === 0 && n === proof.configBlock) {
          details.push('block 0: the unsigned genesis block (the anchor)');
          continue;
        }
        throw new CheckFailed(`block ${n} carries no signature`);
      }
      const signers: ValidIdentity[] = [];
      for (const [i, signature] of signatures.entries()) {
        // BFT (v3) signers name their consenter id instead of carrying a signature header.
        const identifier = signature.getIdentifierHeader_asU8();
        const signatureHeader = identifier.length > 0 ? identifier : signature.getSignatureHeader_asU8();
        let id: { mspId: string; idBytes: Uint8Array } | undefined;
        if (identifier.length > 0) {
          const consenter = common.IdentifierHeader.deserializeBinary(identifier).getIdentifier();
          id = consenterIdentity(trust, consenter);
          if (!id)
            throw new CheckFailed(`block ${n} signature ${i} names consenter ${consenter}, who is not in the config`);
        } else {
          id = decodeIdentity(common.SignatureHeader.deserializeBinary(signatureHeader).getCreator_asU8());
        }
        const identity = trust.validate(id.mspId, id.idBytes);
        if (typeof identity === 'string') throw new CheckFailed(`block ${n} signature ${i}: ${identity}`);
        if (!trust.ordererOrgs.includes(identity.mspId)) {
          throw new CheckFailed(`block ${n} signature ${i} is by ${identity.mspId}, not an orderer organisation`);
        }
        const message = Buffer.concat([md.getValue_asU8(), signatureHeader, header]);
        if (!verifySignature(identity.publicKey, message, signature.getSignature_asU8())) {
          throw new CheckFailed(`block ${n} signature ${i} by ${identity.subject} does not verify`);
        }
        signers.push(identity);
        if (n === proof.claim.blockNumber) need(state, 'relied').add(identity.mspId);
      }
      const path = '/Channel/Orderer/BlockValidation';
      if (trust.policies.has(path)) {
        const verdict = trust.evaluate(path, signers);
        if (!verdict.ok) throw new CheckFailed(`block ${n}: ${verdict.reason ?? path}`);
      }
      details.push(`block ${n}: signed by ${signers.map((s) => `${s.subject} (${s.mspId})`).join(', ')}`);
    }
    return details.join('; ');
  },

  'last config': (_text, state) => {
    const proof = need(state, 'proof');
    const raw = need(state, 'signatures').get(proof.claim.blockNumber) as Buffer;
    const value = common.Metadata.deserializeBinary(raw).getValue_asU8();
    const index = common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig()?.getIndex() ?? 0;
    if (index !== proof.configBlock) {
      throw new CheckFailed(
        `the signers of block ${proof.claim.blockNumber} name config block ${index}, the proof uses ${proof.configBlock}`,
      );
    }
    return `the signers of block ${proof.claim.blockNumber} name config block ${index} as the config in force`;
  },

  transaction: (_text, state) => {
    const proof = need(state, 'proof');
    const claim = proof.claim;
    const envelope = need(state, 'envelopes').get(claim.blockNumber)?.[claim.txIndex];
    if (!envelope) throw new CheckFailed(`block ${claim.blockNumber} has no transaction ${claim.txIndex}`);
    const formError = envelopeFormError(envelope, claim.txIndex);
    if (formError) throw new CheckFailed(formError);
    const tx = decodeTransaction(envelope);
    if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION)
      throw new CheckFailed('the transaction is not an endorser transaction');
    if (tx.txId !== claim.txId)
      throw new CheckFailed(`the transaction's id is ${tx.txId}, the claim says ${claim.txId}`);
    const expectedId = createHash('sha256').update(tx.nonce).update(tx.creator.bytes).digest('hex');
    if (expectedId !== tx.txId) throw new CheckFailed('the transaction id is not SHA-256(nonce || creator)');
    const trust = need(state, 'trust');
    if (tx.channelId !== claim.channelId || tx.channelId !== trust.channelId) {
      throw new CheckFailed(
        `channel ${tx.channelId} differs from the claim's ${claim.channelId} or the config's ${trust.channelId}`,
      );
    }
    if (tx.timestamp.toISOString() !== claim.timestamp)
      throw new CheckFailed(`the transaction time is ${tx.timestamp.toISOString()}, the claim says ${claim.timestamp}`);
    const subject = subjectOf(tx.creator.idBytes);
    if (tx.creator.mspId !== claim.creator.mspId || subject !== claim.creator.subject) {
      throw new CheckFailed(
        `the creator is ${subject} (${tx.creator.mspId}), the claim says ${claim.creator.subject} (${claim.creator.mspId})`,
      );
    }
    state.tx = tx;
    return `transaction ${claim.txIndex} of block ${claim.blockNumber}: ${tx.txId}, ${claim.timestamp}`;
  },

  creator: (_text, state) => {
    const tx = need(state, 'tx');
    const identity = need(state, 'trust').validate(tx.creator.mspId, tx.creator.idBytes);
    if (typeof identity === 'string') throw new CheckFailed(identity);
    const t = tx.timestamp.getTime();
    if (t < identity.notBefore || t > identity.notAfter)
      throw new CheckFailed(`${identity.subject} was not valid at ${tx.timestamp.toISOString()}`);
    if (!verifySignature(identity.publicKey, tx.payload, tx.signature)) {
      throw new CheckFailed(`the signature of ${identity.subject} over the transaction does not verify`);
    }
    state.creator = identity;
    need(state, 'relied').add(identity.mspId);
    return `${identity.subject} of ${identity.mspId} signed the transaction`;
  },

  endorsements: (_text, state, options) => {
    const proof = need(state, 'proof');
    const tx = need(state, 'tx');
    const trust = need(state, 'trust');
    const stated = proof.endorsementPolicy;
    if (!stated || stated.namespace !== proof.claim.namespace)
      throw new CheckFailed("the endorsement policy is not the namespace's");
    let derived: string;
    let where: string;
    if (stated.definedIn?.kind === 'embedded-channel') {
      derived = `OR('${trust.ordererOrgs[0] ?? '?'}.peer')`;
      where = "the embedded channel's rule (one endorsement by the node's organisation)";
    } else if (stated.definedIn?.kind === 'lifecycle') {
      const { block, txIndex } = stated.definedIn;
      const envelopes = need(state, 'envelopes').get(block);
      if (!envelopes) throw new CheckFailed(`the chaincode definition's block ${block} is not carried whole`);
      const definition = findLifecycleDefinition(blockOf(envelopes, txIndex), proof.claim.namespace);
      if (!definition || definition.txIndex !== txIndex) {
        throw new CheckFailed(
          `transaction ${txIndex} of block ${block} does not define ${proof.claim.namespace}'s endorsement policy`,
        );
      }
      derived = definition.policy;
      where = `the chaincode definition in block ${block} transaction ${txIndex}`;
    } else {
      throw new CheckFailed('the endorsement policy names no source');
    }
    if (derived !== stated.policy) throw new CheckFailed(`the proof states ${stated.policy}, ${where} says ${derived}`);
    const policyText = options.endorsementPolicy ?? derived;
    const endorsers: ValidIdentity[] = [];
    for (const [a, action] of tx.actions.entries()) {
      const proposalHash = createHash('sha256')
        .update(tx.channelHeader)
        .update(tx.signatureHeader)
        .update(action.chaincodeProposalPayload)
        .digest();
      if (!proposalHash.equals(action.proposalHash))
        throw new CheckFailed(`action ${a}: the endorsements are for another proposal`);
      for (const [e, endorsement] of action.endorsements.entries()) {
        const identity = trust.validate(endorsement.endorser.mspId, endorsement.endorser.idBytes);
        if (typeof identity === 'string') throw new CheckFailed(`endorsement ${e}: ${identity}`);
        const message = Buffer.concat([action.proposalResponsePayload, endorsement.endorser.bytes]);
        if (!verifySignature(identity.publicKey, message, endorsement.signature)) {
          throw new CheckFailed(`endorsement ${e} by ${identity.subject} does not verify`);
        }
        endorsers.push(identity);
        need(state, 'relied').add(identity.mspId);
      }
    }
    let satisfied: boolean;
    if (policyText.startsWith('/')) satisfied = trust.evaluate(policyText, endorsers).ok;
    else satisfied = evaluateSignaturePolicy(parseSignaturePolicy(policyText), endorsers);
    const who = endorsers.map((e) => `${e.subject} (${e.mspId})`).join(', ');
    if (!satisfied) throw new CheckFailed(`the endorsements by ${who || 'nobody'} do not satisfy ${policyText}`);
    return `endorsed by ${who}: satisfies ${policyText} (${options.endorsementPolicy ? 'imposed by the verifier' : where})`;
  },

  'validation flag': (_text, state) => {
    const proof = need(state, 'proof');
    if (proof.claim.validationFlag !== 'VALID')
      throw new CheckFailed(`the transaction was flagged ${proof.claim.validationFlag}`);
    void peer;
    return 'VALID, as recorded by the committing peer (Fabric does not sign validation flags; every signature and the endorsement policy were checked here)';
  },

  value: (_text, state) => {
    const proof = need(state, 'proof');
    const claim = proof.claim;
    if (printable(claim.key) !== claim.displayKey)
      throw new CheckFailed(`the display key ${claim.displayKey} is not the key's`);
    let written: Uint8Array | null | undefined;
    for (const action of need(state, 'tx').actions) {
      for (const rw of action.rwsets) {
        if (rw.namespace !== claim.namespace) continue;
        for (const write of rw.writes) if (write.key === claim.key) written = write.value;
      }
    }
    if (!written)
      throw new CheckFailed(`the transaction writes no value for ${claim.displayKey} in ${claim.namespace}`);
    const claimed =
      'value' in claim ? Buffer.from(canonicalJson(claim.value), 'utf8') : fromBase64(claim.valueBase64, 'the value');
    if (!claimed.equals(Buffer.from(written)))
      throw new CheckFailed(`the transaction wrote another value for ${claim.displayKey}`);
    return `the transaction wrote this value for ${claim.displayKey} in namespace ${claim.namespace}`;
  },

  disclosures: (_text, state) => {
    const proof = need(state, 'proof');
    const paths = Object.keys(proof.disclosures ?? {});
    if (paths.length === 0) return 'no confidential field disclosed';
    const hashes =
      (proof.claim.value as { confidentialFieldHashes?: Record<string, string> } | undefined)
        ?.confidentialFieldHashes ?? {};
    const shown: string[] = [];
    for (const path of paths) {
      const field = proof.disclosures[path] as { value: unknown; salt: string };
      if (!field || typeof field.salt !== 'string' || !('value' in field) || Object.keys(field).length !== 2) {
        throw new CheckFailed(`disclosure ${path} must hold exactly value and salt`);
      }
      const expected = hashes[path];
      if (!expected) throw new CheckFailed(`the record has no confidential field ${path}`);
      if (fieldCommitment(field.salt, field.value) !== expected) {
        throw new CheckFailed(`${path}: value and salt do not hash to the record's ${expected.slice(0, 16)}…`);
      }
      shown.push(`${path} = ${JSON.stringify(field.value)}`);
    }
    return `matches the record's salted hashes: ${shown.join('; ')}`;
  },

  'pinned roots': (_text, state, options) => {
    const pins = options.trustedRoots ?? [];
    if (pins.length === 0) return "not pinned: the roots are the proof's own (pass --trust <roots.pem> to pin them)";
    const pinned = new Set<string>();
    for (const pem of pins) pinned.add(new X509Certificate(pem).fingerprint256);
    const trust = need(state, 'trust');
    const prints = trust.rootFingerprints();
    const relied = [...need(state, 'relied')].sort();
    for (const mspId of relied) {
      const roots = prints.get(mspId) ?? [];
      if (!roots.some((p) => pinned.has(p))) throw new CheckFailed(`no root of ${mspId} is among the pinned roots`);
    }
    return `the roots of ${relied.join(', ')} are pinned by the verifier`;
  },
};

/** A block holding `envelopes` with the one flag that matters (VALID) for `txIndex`. */
function blockOf(envelopes: Buffer[], txIndex: number): common.Block {
  const block = new common.Block();
  const data = new common.BlockData();
  data.setDataList(envelopes);
  block.setData(data);
  const metadata = new common.BlockMetadata();
  const flags = new Uint8Array(envelopes.length).fill(255);
  flags[txIndex] = 0;
  metadata.setMetadataList([new Uint8Array(), new Uint8Array(), flags]);
  block.setMetadata(metadata);
  return block;
}

/**
 * Builds a provenance proof from any source of blocks: the embedded ledger's block store, or the
 * blocks a Fabric peer delivers through the client. The proof carries the claim's block whole,
 * the config block whose roots and policies apply (named by the signed last-config index), on
 * Fabric the block holding the chaincode definition, and the header chain joining them.
 */
import { common, ledger as ledgerProtos, peer } from '@hyperledger/fabric-protos';
import { channelTrustFromConfigEnvelope } from '../audit/channel-trust';
import { decodeTransaction } from '../audit/tx-decoder';
import { printable, validationCodeName } from '../audit/verify-ledger';
import { fieldCommitment } from '../../../chaincode/src/confidential';
import { canonicalJson } from '../../../chaincode/src/serializer';
import { GncError } from '../errors';
import type { EmbeddedLedger } from '../ledger/embedded/embedded-ledger';
import type { LedgerClient } from '../ledger/ledger-client';
import { PROOF_FORMAT, type ProofBlock, type ProvenanceProof, toBase64 } from './proof-format';
import { findLifecycleDefinition, lastConfigIndex, subjectOf } from './proof-common';

/** Where the blocks come from. */
export interface ProofBlockSource {
  block(number: number): Promise<common.Block>;
}

export interface BuildProofRequest {
  namespace: string;
  /** The state key as stored. */
  key: string;
  /** The transaction that wrote the version to prove, and where it is. */
  txId: string;
  blockNumber: number;
  txIndex: number;
  /**
   * `embedded`: the embedded channel's rule (one endorsement by the node's organisation);
   * `lifecycle`: the chaincode definition committed through _lifecycle before the claim's block.
   */
  policyFrom: 'embedded' | 'lifecycle';
  /** Confidential fields to disclose, with their values and salts (checked here before they go in). */
  disclosures?: Record<string, { value: unknown; salt: string }>;
}

export class ProofError extends GncError {
  constructor(message: string, httpStatus = 400) {
    super('GNC_PROOF_UNAVAILABLE', message, { httpStatus });
  }
}

export async function buildProof(source: ProofBlockSource, request: BuildProofRequest): Promise<ProvenanceProof> {
  const txBlock = await source.block(request.blockNumber);
  const envelopes = txBlock.getData()?.getDataList_asU8() ?? [];
  const envelope = envelopes[request.txIndex];
  if (!envelope) throw new ProofError(`block ${request.blockNumber} has no transaction ${request.txIndex}`);
  const tx = decodeTransaction(envelope);
  if (tx.txId !== request.txId) {
    throw new ProofError(`transaction ${request.txIndex} of block ${request.blockNumber} is not ${request.txId}`);
  }
  const flags = txBlock.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const flag = flags?.[request.txIndex] ?? peer.TxValidationCode.VALID;
  if (flag !== peer.TxValidationCode.VALID) {
    throw new ProofError(`transaction ${request.txId} was not valid (${validationCodeName(flag)}): it proves nothing`);
  }
  let value: Uint8Array | undefined;
  for (const action of tx.actions) {
    for (const rw of action.rwsets) {
      if (rw.namespace !== request.namespace) continue;
      for (const write of rw.writes) if (write.key === request.key && write.value) value = write.value;
    }
  }
  if (!value) throw new ProofError(`transaction ${request.txId} does not write a value for ${printable(request.key)}`);

  const configNumber = lastConfigIndex(txBlock);
  const configBlock = await source.block(configNumber);
  const trust = channelTrustFromConfigEnvelope(configBlock.getData()?.getDataList_asU8()[0] ?? new Uint8Array());

  let policy: ProvenanceProof['endorsementPolicy'];
  let lifecycleBlock: common.Block | undefined;
  if (request.policyFrom === 'embedded') {
    policy = {
      namespace: request.namespace,
      policy: `OR('${trust.ordererOrgs[0] ?? '?'}.peer')`,
      definedIn: { kind: 'embedded-channel' },
    };
  } else {
    let found: { block: common.Block; txIndex: number; policy: string } | undefined;
    for (let n = request.blockNumber - 1; n >= 0 && !found; n--) {
      const block = await source.block(n);
      const definition = findLifecycleDefinition(block, request.namespace);
      if (definition) found = { block, txIndex: definition.txIndex, policy: definition.policy };
    }
    if (!found)
      throw new ProofError(`no chaincode definition of ${request.namespace} before block ${request.blockNumber}`);
    lifecycleBlock = found.block;
    policy = {
      namespace: request.namespace,
      policy: found.policy,
      definedIn: { kind: 'lifecycle', block: found.block.getHeader()?.getNumber() ?? 0, txIndex: found.txIndex },
    };
  }

  const first = Math.min(configNumber, lifecycleBlock?.getHeader()?.getNumber() ?? configNumber);
  const dataHashes: string[] = [];
  let previousHash = '';
  for (let n = first; n <= request.blockNumber; n++) {
    const block = n === request.blockNumber ? txBlock : n === configNumber ? configBlock : await source.block(n);
    const header = block.getHeader();
    if (!header) throw new ProofError(`block ${n} has no header`);
    if (n === first) previousHash = toBase64(header.getPreviousHash_asU8());
    dataHashes.push(toBase64(header.getDataHash_asU8()));
  }

  const whole = new Map<number, common.Block>([
    [configNumber, configBlock],
    [request.blockNumber, txBlock],
  ]);
  if (lifecycleBlock) whole.set(lifecycleBlock.getHeader()?.getNumber() ?? 0, lifecycleBlock);
  const blocks: ProofBlock[] = [...whole.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([number, block]) => ({
      number,
      envelopes: (block.getData()?.getDataList_asU8() ?? []).map(toBase64),
      signatures: toBase64(
        block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array(),
      ),
    }));

  const claimValue = jsonValueOf(value);
  const disclosures = request.disclosures ?? {};
  if (Object.keys(disclosures).length > 0) {
    const hashes = (claimValue.json as { confidentialFieldHashes?: Record<string, string> } | undefined)
      ?.confidentialFieldHashes;
    for (const [path, field] of Object.entries(disclosures)) {
      const expected = hashes?.[path];
      if (!expected) throw new ProofError(`the record has no confidential field ${path}`);
      if (fieldCommitment(field.salt, field.value) !== expected) {
        throw new ProofError(`the value and salt of ${path} do not match the record's hash`);
      }
    }
  }
  const trustRoots: Record<string, string[]> = {};
  for (const [mspId, msp] of [...trust.msps.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    trustRoots[mspId] = msp.rootCertificatesPem;
  }
  return {
    format: PROOF_FORMAT,
    claim: {
      channelId: tx.channelId,
      namespace: request.namespace,
      key: request.key,
      displayKey: printable(request.key),
      ...(claimValue.json !== undefined ? { value: claimValue.json } : { valueBase64: toBase64(value) }),
      blockNumber: request.blockNumber,
      txIndex: request.txIndex,
      txId: tx.txId,
      timestamp: tx.timestamp.toISOString(),
      creator: { mspId: tx.creator.mspId, subject: subjectOf(tx.creator.idBytes) },
      validationFlag: 'VALID',
    },
    chain: { first, previousHash, dataHashes },
    blocks,
    configBlock: configNumber,
    endorsementPolicy: policy,
    trustRoots,
    disclosures,
  };
}

/** The value as JSON when its bytes are exactly the canonical JSON of what they parse to. */
export function jsonValueOf(bytes: Uint8Array): { json: unknown } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (Buffer.from(canonicalJson(parsed), 'utf8').equals(Buffer.from(bytes))) return { json: parsed };
  } catch {
    // not JSON
  }
  return { json: undefined };
}

/** A proof of a record of the embedded ledger: the latest version, or the one `txId` wrote. */
export async function proveEmbeddedRecord(
  ledger: EmbeddedLedger,
  options: {
    chaincodeName: string;
    key: string;
    txId?: string;
    disclose: readonly string[];
    /** A client allowed to read the confidential fields (GetConfidential), when fields are disclosed. */
    confidential: LedgerClient | undefined;
  },
): Promise<ProvenanceProof> {
  const history = await ledger.stateStore.getHistory(options.chaincodeName, options.key);
  const modifications = history.map((b) => ledgerProtos.queryresult.KeyModification.deserializeBinary(b));
  const chosen = options.txId
    ? modifications.find((m) => m.getTxId() === options.txId)
    : modifications.find((m) => !m.getIsDelete());
  if (!chosen) {
    throw new ProofError(
      options.txId
        ? `transaction ${options.txId} did not write ${printable(options.key)}`
        : `no version of ${printable(options.key)} on the ledger`,
      404,
    );
  }
  const location = await ledger.stateStore.txLocation(chosen.getTxId());
  if (!location) throw new ProofError(`transaction ${chosen.getTxId()} is not in the transaction index`, 500);
  const disclosures: Record<string, { value: unknown; salt: string }> = {};
  if (options.disclose.length > 0) {
    if (!options.confidential) throw new ProofError('disclosing fields needs a user allowed to read them');
    const id = printable(options.key).split('/')[1] ?? '';
    const record = JSON.parse(
      Buffer.from(
        await options.confidential.evaluate({ contract: 'Declaration', name: 'GetConfidential', args: [id] }),
      ).toString('utf8'),
    ) as { fields: Record<string, { value: unknown; salt: string }> };
    for (const path of options.disclose) {
      const field = record.fields[path];
      if (!field) throw new ProofError(`the declaration has no confidential field ${path}`);
      disclosures[path] = field;
    }
  }
  return buildProof(
    { block: (n) => ledger.readBlock(n) },
    {
      namespace: options.chaincodeName,
      key: options.key,
      txId: chosen.getTxId(),
      blockNumber: location.block,
      txIndex: location.tx,
      policyFrom: 'embedded',
      disclosures,
    },
  );
}

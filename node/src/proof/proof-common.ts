/** Reading what proofs need from blocks: the signed last-config index, chaincode definitions, subjects. */
import { X509Certificate } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { decodeSignaturePolicy, describeSignaturePolicy } from '../audit/policy';
import { decodeTransaction } from '../audit/tx-decoder';
import { wireBytes } from '../audit/wire-util';

/** The last-config index the block's signers vouch for (OrdererBlockMetadata in the SIGNATURES entry). */
export function lastConfigIndex(block: common.Block): number {
  const raw = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array();
  const value = common.Metadata.deserializeBinary(raw).getValue_asU8();
  return common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig()?.getIndex() ?? 0;
}

/**
 * The endorsement policy of `namespace` from a valid _lifecycle transaction of `block` that
 * writes its ValidationInfo (the last one in the block), in Fabric's policy language or as a
 * channel policy path.
 */
export function findLifecycleDefinition(
  block: common.Block,
  namespace: string,
): { txIndex: number; policy: string } | undefined {
  const flags = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  let found: { txIndex: number; policy: string } | undefined;
  envelopes.forEach((envelope, txIndex) => {
    if ((flags?.[txIndex] ?? 0) !== peer.TxValidationCode.VALID) return;
    let tx;
    try {
      tx = decodeTransaction(envelope);
    } catch {
      return;
    }
    for (const action of tx.actions) {
      for (const rw of action.rwsets) {
        if (rw.namespace !== '_lifecycle') continue;
        for (const write of rw.writes) {
          if (write.key !== `namespaces/fields/${namespace}/ValidationInfo` || !write.value) continue;
          const policy = lifecyclePolicyText(write.value);
          if (policy) found = { txIndex, policy };
        }
      }
    }
  });
  return found;
}

/** StateData.Bytes (2) -> ChaincodeValidationInfo.validation_parameter (2) -> ApplicationPolicy, as text. */
export function lifecyclePolicyText(stateData: Uint8Array): string | undefined {
  try {
    const application = peer.ApplicationPolicy.deserializeBinary(wireBytes(wireBytes(stateData, 2), 2));
    if (application.hasSignaturePolicy()) {
      const policy = decodeSignaturePolicy(application.getSignaturePolicy() as common.SignaturePolicyEnvelope);
      return policy.type === 'signature' ? describeSignaturePolicy(policy) : undefined;
    }
    const ref = application.getChannelConfigPolicyReference();
    return ref.startsWith('/') ? ref : `/Channel/Application/${ref}`;
  } catch {
    return undefined;
  }
}

export function subjectOf(idBytes: Uint8Array): string {
  try {
    return new X509Certificate(Buffer.from(idBytes)).subject.split('\n').join(', ');
  } catch {
    return '(unparseable certificate)';
  }
}

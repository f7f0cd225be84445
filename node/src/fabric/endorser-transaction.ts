import { ProtoWriter } from './proto-writer';
import { encodedVarintLength } from './varint';

/**
 * The parts of an endorser transaction's envelope payload, each already serialised: what a client
 * signs after the endorsing peer has answered (protoutil.CreateSignedTx).
 */
export interface EndorserTransactionParts {
  channelHeader: Uint8Array;
  signatureHeader: Uint8Array;
  /** ChaincodeProposalPayload without the transient map. */
  proposalPayloadForBlock: Uint8Array;
  proposalResponsePayload: Uint8Array;
  /** SerializedIdentity of the endorser. */
  endorser: Uint8Array;
  /** The endorser's signature over proposalResponsePayload || endorser. */
  endorsementSignature: Uint8Array;
}

/**
 * The envelope payload of an endorser transaction with one endorsement, written in one pass:
 * Payload{header=1: Header{channel_header=1, signature_header=2}, data=2: Transaction{actions=1:
 * TransactionAction{header=1, payload=2: ChaincodeActionPayload{chaincode_proposal_payload=1,
 * action=2: ChaincodeEndorsedAction{proposal_response_payload=1, endorsements=2:
 * Endorsement{endorser=1, signature=2}}}}}}. Both the crypto worker (which signs it right after
 * the endorsement) and the ledger (which puts it into the envelope) write it with this function,
 * so they hold the same bytes.
 */
export function writeEndorserTransactionPayload(w: ProtoWriter, parts: EndorserTransactionParts): ProtoWriter {
  w.begin(1).bytes(1, parts.channelHeader).bytes(2, parts.signatureHeader).end();
  w.begin(2); // Transaction
  w.begin(1).bytes(1, parts.signatureHeader); // TransactionAction
  w.begin(2).bytes(1, parts.proposalPayloadForBlock); // ChaincodeActionPayload
  w.begin(2).bytes(1, parts.proposalResponsePayload); // ChaincodeEndorsedAction
  w.begin(2).bytes(1, parts.endorser).bytes(2, parts.endorsementSignature).end();
  // ChaincodeEndorsedAction and Transaction are messages; TransactionAction.payload and
  // Payload.data are bytes fields, left out when empty.
  w.end().end(true).end().end(true);
  return w;
}

/** writeEndorserTransactionPayload into a buffer of its own. */
export function endorserTransactionPayload(parts: EndorserTransactionParts): Buffer {
  const size =
    512 +
    parts.channelHeader.length +
    2 * parts.signatureHeader.length +
    parts.proposalPayloadForBlock.length +
    parts.proposalResponsePayload.length +
    parts.endorser.length +
    parts.endorsementSignature.length;
  return writeEndorserTransactionPayload(new ProtoWriter(size), parts).finish();
}

/** Envelope{payload=1, signature=2}. */
export function envelopeBytes(payload: Uint8Array, signature: Uint8Array): Buffer {
  // Written into a buffer of its exact size and returned as a view of it: one allocation, no copy.
  const size =
    2 + encodedVarintLength(payload.length) + payload.length + encodedVarintLength(signature.length) + signature.length;
  return new ProtoWriter(size).bytes(1, payload).bytes(2, signature).view();
}

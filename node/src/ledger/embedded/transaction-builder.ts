import { hash, randomBytes } from 'node:crypto';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import {
  endorserTransactionPayload,
  envelopeBytes,
  writeEndorserTransactionPayload,
  type EndorserTransactionParts,
} from '../../fabric/endorser-transaction';
import { ProtoWriter } from '../../fabric/proto-writer';
import { encodedVarintLength } from '../../fabric/varint';
import { signEndorsedTransactionAsync } from '../../identity/signer';
import type { SigningIdentity } from '../../identity/signing-identity';

/**
 * Builds the protobuf messages of one Fabric endorser transaction the way a Fabric client and
 * peer do (protoutil in Fabric's source): proposal, signed proposal, proposal response payload,
 * endorsement, and the transaction envelope that goes into a block. The embedded ledger uses it
 * so its blocks are byte-for-byte the kind a peer would store, and one auditor serves both.
 */

export interface ProposalInput {
  channelId: string;
  chaincodeName: string;
  /** args[0] is 'Contract:Function'. */
  args: readonly Uint8Array[];
  transient?: Readonly<Record<string, Uint8Array>>;
  creator: SigningIdentity;
  /** Defaults to now; tests pass fixed times. */
  timestamp?: Date;
}

export interface BuiltProposal {
  txId: string;
  timestamp: Date;
  channelHeaderBytes: Uint8Array;
  signatureHeaderBytes: Uint8Array;
  creatorBytes: Uint8Array;
  /** ChaincodeProposalPayload with the transient map (what the chaincode sees). */
  proposalPayloadBytes: Uint8Array;
  /** ChaincodeProposalPayload without the transient map (what goes into the block). */
  proposalPayloadForBlockBytes: Uint8Array;
  signedProposal: peer.SignedProposal;
  input: peer.ChaincodeInput;
}

// Every transaction names its creator and its endorser; the bytes are kept per identity object
// when it cannot change (signing identities are frozen).
const serializedIdentities = new WeakMap<object, Uint8Array>();

/** SerializedIdentity bytes: the form in which an identity appears in headers and endorsements. */
export function serializeIdentity(identity: Pick<SigningIdentity, 'mspId' | 'certificatePem'>): Uint8Array {
  const known = serializedIdentities.get(identity);
  if (known) return known;
  const serialized = new msp.SerializedIdentity();
  serialized.setMspid(identity.mspId);
  serialized.setIdBytes(Buffer.from(identity.certificatePem, 'utf8'));
  const bytes = serialized.serializeBinary();
  if (Object.isFrozen(identity)) serializedIdentities.set(identity, bytes);
  return bytes;
}

const NONCE_BYTES = 24;
const NONCES_PER_DRAW = 1024;
let nonces = Buffer.alloc(0);
let nonceOffset = 0;

/**
 * A fresh 24-byte nonce, as Fabric clients use. Drawn from the system CSPRNG 1024 nonces at a time:
 * one randomBytes call per transaction cost nearly 1% of the main thread. Each nonce is handed out
 * once and the bytes are never written again.
 */
export function newNonce(): Buffer {
  if (nonceOffset + NONCE_BYTES > nonces.length) {
    nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
    nonceOffset = 0;
  }
  nonceOffset += NONCE_BYTES;
  return nonces.subarray(nonceOffset - NONCE_BYTES, nonceOffset);
}

/** Fabric's transaction id: hex SHA-256 of nonce || creator (protoutil.ComputeTxID). */
export function computeTxId(nonce: Uint8Array, creatorBytes: Uint8Array): string {
  // One-shot hashing of the joined bytes: a Hash object costs more than copying ~1 KB.
  return hash('sha256', Buffer.concat([nonce, creatorBytes]), 'hex');
}

export function toTimestamp(date: Date): Timestamp {
  const { seconds, nanos } = timestampFields(date);
  const ts = new Timestamp();
  ts.setSeconds(seconds);
  ts.setNanos(nanos);
  return ts;
}

/** The seconds and nanos a protobuf Timestamp of `date` carries. */
export function timestampFields(date: Date): { seconds: number; nanos: number } {
  const millis = date.getTime();
  return { seconds: Math.floor(millis / 1000), nanos: (millis % 1000) * 1_000_000 };
}

export function newSignatureHeader(creatorBytes: Uint8Array, nonce: Uint8Array = newNonce()): common.SignatureHeader {
  const header = new common.SignatureHeader();
  header.setCreator(creatorBytes);
  header.setNonce(nonce);
  return header;
}

/**
 * The signed proposal a Fabric client sends (protoutil.CreateChaincodeProposal), its messages
 * written in one pass each (ProtoWriter, fields in field-number order, the bytes the generated
 * code writes: tested). Proto3 leaves out ChannelHeader.version and epoch (0), ChaincodeSpec's
 * timeout and ChaincodeInput's decorations and is_init; every argument is written, an empty one too
 * (a repeated field).
 */
export async function buildProposal(input: ProposalInput): Promise<BuiltProposal> {
  const timestamp = input.timestamp ?? new Date();
  const creatorBytes = serializeIdentity(input.creator);
  const nonce = newNonce();
  const txId = computeTxId(nonce, creatorBytes);
  const { seconds, nanos } = timestampFields(timestamp);

  // ChannelHeader{type=1, timestamp=3: Timestamp{seconds=1, nanos=2}, channel_id=4, tx_id=5,
  // extension=7: ChaincodeHeaderExtension{chaincode_id=2: ChaincodeID{name=2}}}.
  const channelHeaderBytes = new ProtoWriter(256 + input.channelId.length + input.chaincodeName.length * 3)
    .uint(1, common.HeaderType.ENDORSER_TRANSACTION)
    .begin(3)
    .uint(1, seconds)
    .uint(2, nanos)
    .end()
    .string(4, input.channelId)
    .string(5, txId)
    .begin(7)
    .begin(2)
    .string(2, input.chaincodeName)
    .end()
    .end(true)
    .finish();
  // SignatureHeader{creator=1, nonce=2}.
  const signatureHeaderBytes = new ProtoWriter(creatorBytes.length + nonce.length + 16)
    .bytes(1, creatorBytes)
    .bytes(2, nonce)
    .finish();

  // ChaincodeInvocationSpec{chaincode_spec=1: ChaincodeSpec{type=1, chaincode_id=2: ChaincodeID{name=2},
  // input=3: ChaincodeInput{args=1}}}.
  let argsLength = 0;
  for (const arg of input.args) argsLength += arg.length + 6;
  const invocation = new ProtoWriter(64 + input.chaincodeName.length * 3 + argsLength);
  invocation.begin(1).uint(1, peer.ChaincodeSpec.Type.NODE).begin(2).string(2, input.chaincodeName).end().begin(3);
  for (const arg of input.args) invocation.begin(1).raw(arg).end();
  invocation.end().end();
  const invocationBytes = invocation.view();
  // ChaincodeProposalPayload{input=1} without the transient map.
  const proposalPayloadForBlockBytes = new ProtoWriter(invocationBytes.length + 8).bytes(1, invocationBytes).finish();

  // Without a transient map the two payloads are the same message, hence the same bytes.
  const transientKeys = Object.keys(input.transient ?? {});
  let proposalPayloadBytes: Uint8Array = proposalPayloadForBlockBytes;
  if (transientKeys.length > 0) {
    const payload = new peer.ChaincodeProposalPayload();
    payload.setInput(invocationBytes);
    // jspb maps serialise in insertion order; sort so identical inputs give identical bytes.
    for (const key of transientKeys.sort()) {
      payload.getTransientmapMap().set(key, input.transient?.[key] ?? new Uint8Array());
    }
    proposalPayloadBytes = payload.serializeBinary();
  }

  // Proposal{header=1: Header{channel_header=1, signature_header=2}, payload=2}.
  const proposalBytes = new ProtoWriter(
    channelHeaderBytes.length + signatureHeaderBytes.length + proposalPayloadBytes.length + 32,
  )
    .begin(1)
    .bytes(1, channelHeaderBytes)
    .bytes(2, signatureHeaderBytes)
    .end(true)
    .bytes(2, proposalPayloadBytes)
    .finish();

  const signedProposal = new peer.SignedProposal();
  signedProposal.setProposalBytes(proposalBytes);
  signedProposal.setSignature(await input.creator.signAsync(proposalBytes));
  const chaincodeInput = new peer.ChaincodeInput();
  chaincodeInput.setArgsList([...input.args]);

  return {
    txId,
    timestamp,
    channelHeaderBytes,
    signatureHeaderBytes,
    creatorBytes,
    proposalPayloadBytes,
    proposalPayloadForBlockBytes,
    signedProposal,
    input: chaincodeInput,
  };
}

/**
 * The proposal hash a proposal response commits to: SHA-256 over the channel header, the
 * signature header and the proposal payload without its transient map (protoutil.GetProposalHash1),
 * so the endorsement binds the transaction in the block, not the private inputs.
 */
export function proposalHash(built: BuiltProposal): Buffer {
  const parts = [built.channelHeaderBytes, built.signatureHeaderBytes, built.proposalPayloadForBlockBytes];
  return hash('sha256', Buffer.concat(parts), 'buffer');
}

/**
 * ChaincodeEvent{chaincode_id=1, tx_id=2, event_name=3, payload=4}, written in one pass into a
 * buffer of its exact size.
 */
export function chaincodeEventBytes(event: {
  chaincodeName: string;
  txId: string;
  eventName: string;
  payload: Uint8Array;
}): Buffer {
  const field = (length: number) => (length === 0 ? 0 : 1 + encodedVarintLength(length) + length);
  const size =
    field(Buffer.byteLength(event.chaincodeName)) +
    field(Buffer.byteLength(event.txId)) +
    field(Buffer.byteLength(event.eventName)) +
    field(event.payload.length);
  return new ProtoWriter(size)
    .string(1, event.chaincodeName)
    .string(2, event.txId)
    .string(3, event.eventName)
    .bytes(4, event.payload)
    .view();
}

export interface EndorsementInput {
  proposal: BuiltProposal;
  chaincodeName: string;
  chaincodeVersion: string;
  results: Uint8Array;
  events: Uint8Array | undefined;
  status: number;
  message: string;
  payload: Uint8Array;
  endorser: SigningIdentity;
}

export interface Endorsed {
  proposalResponsePayloadBytes: Uint8Array;
  /** Endorsement{endorser, signature}: the endorser's SerializedIdentity and its signature. */
  endorserBytes: Uint8Array;
  endorsementSignature: Uint8Array;
}

/**
 * What an endorsing peer returns: the proposal response payload and its signature (endorser.go).
 * Written in one pass (ProtoWriter) in field-number order: ProposalResponsePayload{proposal_hash=1,
 * extension=2: ChaincodeAction{results=1, events=2, response=3: Response{status=1, message=2,
 * payload=3}, chaincode_id=4: ChaincodeID{path=1, name=2, version=3}}}.
 */
export async function endorse(input: EndorsementInput): Promise<Endorsed> {
  const proposalResponsePayloadBytes = proposalResponsePayload(input);
  const endorserBytes = serializeIdentity(input.endorser);
  const endorsementSignature = await input.endorser.signAsync(
    Buffer.concat([proposalResponsePayloadBytes, endorserBytes]),
  );
  return { proposalResponsePayloadBytes, endorserBytes, endorsementSignature };
}

function proposalResponsePayload(input: EndorsementInput): Buffer {
  const w = new ProtoWriter(2048);
  w.bytes(1, proposalHash(input.proposal));
  w.begin(2);
  w.bytes(1, input.results);
  if (input.events) w.bytes(2, input.events);
  w.begin(3).uint(1, input.status).string(2, input.message).bytes(3, input.payload).end();
  w.begin(4).string(2, input.chaincodeName).string(3, input.chaincodeVersion).end();
  // extension is a bytes field (left out when empty, which a ChaincodeAction with a response never is).
  w.end(true);
  return w.finish();
}

/**
 * The signed transaction envelope a client sends to ordering (protoutil.CreateSignedTx): the
 * endorserTransactionPayload of the proposal and its endorsement, signed by the creator.
 */
export async function buildTransactionEnvelope(
  built: BuiltProposal,
  endorsed: Endorsed,
  creator: SigningIdentity,
): Promise<{ envelopeBytes: Uint8Array }> {
  const payload = endorserTransactionPayload(transactionParts(built, endorsed));
  return { envelopeBytes: envelopeBytes(payload, await creator.signAsync(payload)) };
}

/**
 * endorse() and then buildTransactionEnvelope(), with both signatures made in one trip to the
 * crypto worker when it can (signEndorsedTransactionAsync), so a transaction waits for one
 * worker round trip after its simulation instead of two. The bytes are the same either way.
 */
export async function endorseTransaction(
  input: EndorsementInput & { creator: SigningIdentity },
): Promise<{ endorsed: Endorsed; envelopeBytes: Uint8Array }> {
  const proposalResponsePayloadBytes = proposalResponsePayload(input);
  const endorserBytes = serializeIdentity(input.endorser);
  const signed = await signEndorsedTransactionAsync(input.endorser, input.creator, {
    proposalResponsePayload: proposalResponsePayloadBytes,
    endorser: endorserBytes,
    channelHeader: input.proposal.channelHeaderBytes,
    signatureHeader: input.proposal.signatureHeaderBytes,
    proposalPayloadForBlock: input.proposal.proposalPayloadForBlockBytes,
  });
  if (!signed) {
    const endorsed = await endorse(input);
    return { endorsed, ...(await buildTransactionEnvelope(input.proposal, endorsed, input.creator)) };
  }
  const endorsed = { proposalResponsePayloadBytes, endorserBytes, endorsementSignature: signed.endorsementSignature };
  // The payload is needed only until it is copied into the envelope, in this same turn.
  const payload = writeEndorserTransactionPayload(payloadScratch.reset(), transactionParts(input.proposal, endorsed));
  return { endorsed, envelopeBytes: envelopeBytes(payload.view(), signed.transactionSignature) };
}

/** Where endorseTransaction writes each envelope payload before copying it into the envelope. */
const payloadScratch = new ProtoWriter(16 * 1024);

function transactionParts(built: BuiltProposal, endorsed: Endorsed): EndorserTransactionParts {
  return {
    channelHeader: built.channelHeaderBytes,
    signatureHeader: built.signatureHeaderBytes,
    proposalPayloadForBlock: built.proposalPayloadForBlockBytes,
    proposalResponsePayload: endorsed.proposalResponsePayloadBytes,
    endorser: endorsed.endorserBytes,
    endorsementSignature: endorsed.endorsementSignature,
  };
}

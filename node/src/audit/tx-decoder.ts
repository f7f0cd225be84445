/**
 * Reads what the auditor needs out of a transaction envelope straight from the protobuf wire
 * format: the signed payload, the channel header, the creator, and for an endorser transaction
 * each action's endorsements, proposal hash and read/write set. No message objects are built, so
 * checking thousands of transactions a second costs little more than the signature arithmetic.
 * Anything that does not decode raises {@link TxDecodeError} naming the part.
 */
import { type WireField, parseWireFields } from '../fabric/wire';

export class TxDecodeError extends Error {}

/** An identity as it sits in headers: MSP id and certificate bytes (SerializedIdentity). */
export interface RawIdentity {
  readonly mspId: string;
  readonly idBytes: Uint8Array;
  /** The serialized identity itself (what endorsement signatures cover). */
  readonly bytes: Uint8Array;
}

export interface DecodedEndorsement {
  readonly endorser: RawIdentity;
  readonly signature: Uint8Array;
}

export interface KvRead {
  readonly key: string;
  /** `undefined`: the key was read as absent. */
  readonly version: { block: number; tx: number } | undefined;
}

export interface KvWrite {
  readonly key: string;
  /** `null`: a delete. */
  readonly value: Uint8Array | null;
}

export interface NsRwSet {
  readonly namespace: string;
  readonly reads: KvRead[];
  readonly writes: KvWrite[];
  /** Private data collections touched, by name, with how many hashed writes each has. */
  readonly hashedCollections: Array<{ name: string; writes: number; reads: number }>;
  readonly rangeQueries: number;
}

export interface DecodedAction {
  /** SignatureHeader bytes of the action (must carry the transaction's creator). */
  readonly signatureHeader: Uint8Array;
  readonly chaincodeProposalPayload: Uint8Array;
  readonly proposalResponsePayload: Uint8Array;
  readonly proposalHash: Uint8Array;
  readonly endorsements: DecodedEndorsement[];
  readonly chaincodeName: string;
  readonly chaincodeVersion: string;
  readonly responseStatus: number;
  readonly rwsets: NsRwSet[];
}

export interface DecodedTransaction {
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly channelHeader: Uint8Array;
  readonly signatureHeader: Uint8Array;
  readonly type: number;
  readonly channelId: string;
  readonly txId: string;
  readonly timestamp: Date;
  readonly creator: RawIdentity;
  readonly nonce: Uint8Array;
  /** The payload data (a Transaction, a ConfigEnvelope, ...). */
  readonly data: Uint8Array;
  /** Decoded actions for ENDORSER_TRANSACTION (type 3); empty otherwise. */
  readonly actions: DecodedAction[];
}

const HEADER_TYPE_ENDORSER_TRANSACTION = 3;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decodes one envelope. @throws {@link TxDecodeError} */
export function decodeTransaction(envelope: Uint8Array): DecodedTransaction {
  const env = fieldsOf(envelope, 'envelope');
  const payload = bytesOf(envelope, env, 1);
  const signature = bytesOf(envelope, env, 2);
  const pl = fieldsOf(payload, 'payload');
  const header = bytesOf(payload, pl, 1);
  const data = bytesOf(payload, pl, 2);
  const hd = fieldsOf(header, 'payload header');
  const channelHeader = bytesOf(header, hd, 1);
  const signatureHeader = bytesOf(header, hd, 2);
  const ch = fieldsOf(channelHeader, 'channel header');
  const type = intOf(ch, 1);
  const tsBytes = bytesOf(channelHeader, ch, 3);
  const ts = fieldsOf(tsBytes, 'timestamp');
  const timestamp = new Date(numberOf(tsBytes, ts, 1) * 1000 + Math.floor(intOf(ts, 2) / 1e6));
  const { creator, nonce } = decodeSignatureHeader(signatureHeader);
  const actions = type === HEADER_TYPE_ENDORSER_TRANSACTION ? decodeActions(data) : [];
  return {
    payload,
    signature,
    channelHeader,
    signatureHeader,
    type,
    channelId: stringOf(channelHeader, ch, 4),
    txId: stringOf(channelHeader, ch, 5),
    timestamp,
    creator,
    nonce,
    data,
    actions,
  };
}

/** Creator and nonce of a SignatureHeader. */
export function decodeSignatureHeader(bytes: Uint8Array): { creator: RawIdentity; nonce: Uint8Array } {
  const sh = fieldsOf(bytes, 'signature header');
  return { creator: decodeIdentity(bytesOf(bytes, sh, 1)), nonce: bytesOf(bytes, sh, 2) };
}

/** A SerializedIdentity. */
export function decodeIdentity(bytes: Uint8Array): RawIdentity {
  const f = fieldsOf(bytes, 'serialized identity');
  return { mspId: stringOf(bytes, f, 1), idBytes: bytesOf(bytes, f, 2), bytes };
}

function decodeActions(transaction: Uint8Array): DecodedAction[] {
  const tx = fieldsOf(transaction, 'transaction');
  const out: DecodedAction[] = [];
  for (const field of tx) {
    if (field.number !== 1 || field.wireType !== 2) continue;
    const action = valueOf(transaction, field);
    const af = fieldsOf(action, 'transaction action');
    const signatureHeader = bytesOf(action, af, 1);
    const cap = bytesOf(action, af, 2);
    const capf = fieldsOf(cap, 'chaincode action payload');
    const chaincodeProposalPayload = bytesOf(cap, capf, 1);
    const endorsed = bytesOf(cap, capf, 2);
    const ef = fieldsOf(endorsed, 'endorsed action');
    const proposalResponsePayload = bytesOf(endorsed, ef, 1);
    const endorsements: DecodedEndorsement[] = [];
    for (const e of ef) {
      if (e.number !== 2 || e.wireType !== 2) continue;
      const eb = valueOf(endorsed, e);
      const f = fieldsOf(eb, 'endorsement');
      endorsements.push({ endorser: decodeIdentity(bytesOf(eb, f, 1)), signature: bytesOf(eb, f, 2) });
    }
    const prp = fieldsOf(proposalResponsePayload, 'proposal response payload');
    const proposalHash = bytesOf(proposalResponsePayload, prp, 1);
    const extension = bytesOf(proposalResponsePayload, prp, 2);
    const ca = fieldsOf(extension, 'chaincode action');
    const results = bytesOf(extension, ca, 1);
    const response = bytesOf(extension, ca, 3);
    const ccId = bytesOf(extension, ca, 4);
    const ccf = fieldsOf(ccId, 'chaincode id');
    out.push({
      signatureHeader,
      chaincodeProposalPayload,
      proposalResponsePayload,
      proposalHash,
      endorsements,
      chaincodeName: stringOf(ccId, ccf, 2),
      chaincodeVersion: stringOf(ccId, ccf, 3),
      responseStatus: intOf(fieldsOf(response, 'response'), 1),
      rwsets: decodeRwSet(results),
    });
  }
  return out;
}

/** The namespaces of a TxReadWriteSet with their public reads and writes. */
export function decodeRwSet(results: Uint8Array): NsRwSet[] {
  const out: NsRwSet[] = [];
  const rw = fieldsOf(results, 'read/write set');
  for (const field of rw) {
    if (field.number !== 2 || field.wireType !== 2) continue;
    const ns = valueOf(results, field);
    const nf = fieldsOf(ns, 'namespace read/write set');
    const kv = bytesOf(ns, nf, 2);
    const kf = fieldsOf(kv, 'KV read/write set');
    const reads: KvRead[] = [];
    const writes: KvWrite[] = [];
    let rangeQueries = 0;
    for (const k of kf) {
      if (k.wireType !== 2) continue;
      if (k.number === 1) {
        const r = valueOf(kv, k);
        const rf = fieldsOf(r, 'KV read');
        const hasVersion = rf.some((f) => f.number === 2 && f.wireType === 2);
        let version: KvRead['version'];
        if (hasVersion) {
          const v = bytesOf(r, rf, 2);
          const vf = fieldsOf(v, 'version');
          version = { block: numberOf(v, vf, 1), tx: numberOf(v, vf, 2) };
        }
        reads.push({ key: stringOf(r, rf, 1), version });
      } else if (k.number === 3) {
        const w = valueOf(kv, k);
        const wf = fieldsOf(w, 'KV write');
        const isDelete = intOf(wf, 2) !== 0;
        writes.push({ key: stringOf(w, wf, 1), value: isDelete ? null : bytesOf(w, wf, 3) });
      } else if (k.number === 2) {
        rangeQueries++;
      }
    }
    out.push({
      namespace: stringOf(ns, nf, 1),
      reads,
      writes,
      hashedCollections: nf
        .filter((f) => f.number === 3 && f.wireType === 2)
        .map((f) => {
          const c = valueOf(ns, f);
          const cf = fieldsOf(c, 'collection hashed read/write set');
          const hashed = bytesOf(c, cf, 2);
          const hf = fieldsOf(hashed, 'hashed read/write set');
          return {
            name: stringOf(c, cf, 1),
            writes: hf.filter((h) => (h.number === 2 || h.number === 3) && h.wireType === 2).length,
            reads: hf.filter((h) => h.number === 1 && h.wireType === 2).length,
          };
        }),
      rangeQueries,
    });
  }
  return out;
}

function fieldsOf(bytes: Uint8Array, what: string): WireField[] {
  const fields = parseWireFields(bytes);
  if (fields === undefined) throw new TxDecodeError(`the ${what} does not parse`);
  return fields;
}

function valueOf(bytes: Uint8Array, field: WireField): Uint8Array {
  return bytes.subarray(field.valueStart, field.end);
}

/** Last occurrence wins, as in Go; absent is empty. */
function bytesOf(bytes: Uint8Array, fields: readonly WireField[], number: number): Uint8Array {
  let found: Uint8Array = EMPTY;
  for (const f of fields) if (f.number === number && f.wireType === 2) found = bytes.subarray(f.valueStart, f.end);
  return found;
}

function stringOf(bytes: Uint8Array, fields: readonly WireField[], number: number): string {
  return utf8.decode(bytesOf(bytes, fields, number));
}

function intOf(fields: readonly WireField[], number: number): number {
  let found = 0;
  for (const f of fields) if (f.number === number && f.wireType === 0) found = f.int32;
  return found;
}

/** A uint64 varint read as a JS number (exact below 2^53, which block numbers and seconds are). */
function numberOf(bytes: Uint8Array, fields: readonly WireField[], number: number): number {
  let found = 0;
  for (const f of fields) {
    if (f.number !== number || f.wireType !== 0) continue;
    let value = 0;
    let scale = 1;
    for (let p = f.valueStart; p < f.end; p++) {
      const b = bytes[p] as number;
      value += (b & 0x7f) * scale;
      scale *= 128;
    }
    found = value;
  }
  return found;
}

const EMPTY = new Uint8Array(0);

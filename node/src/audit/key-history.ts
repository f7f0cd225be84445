import { X509Certificate } from 'node:crypto';
import { common, ledger as ledgerProtos, msp } from '@hyperledger/fabric-protos';
import type { EmbeddedLedger } from '../ledger/embedded/embedded-ledger';
import { validationCodeName } from '../ledger/embedded/embedded-ledger';

/**
 * `gnc audit history <key>`: every version of one record, oldest first, with the transaction,
 * the block it is in, the time the client put in its proposal, and who submitted it (MSP and
 * certificate subject, read from the transaction's signature header in the block itself).
 */

export interface HistoryEntry {
  txId: string;
  blockNumber: number;
  txNumber: number;
  validation: string;
  timestamp: string;
  isDelete: boolean;
  /** The value as JSON when it parses, else base64. */
  value: unknown;
  creator: { mspId: string; subject: string };
}

export async function keyHistory(ledger: EmbeddedLedger, chaincodeName: string, key: string): Promise<HistoryEntry[]> {
  const modifications = await ledger.stateStore.getHistory(chaincodeName, key);
  const entries: HistoryEntry[] = [];
  for (const bytes of [...modifications].reverse()) {
    const modification = ledgerProtos.queryresult.KeyModification.deserializeBinary(bytes);
    const txId = modification.getTxId();
    const location = await ledger.stateStore.txLocation(txId);
    if (!location) throw new Error(`history names transaction ${txId}, which the transaction index lacks`);
    const block = await ledger.readBlock(location.block);
    const envelope = block.getData()?.getDataList_asU8()[location.tx];
    if (!envelope) throw new Error(`block ${location.block} has no transaction ${location.tx}`);
    const ts = modification.getTimestamp();
    entries.push({
      txId,
      blockNumber: location.block,
      txNumber: location.tx,
      validation: validationCodeName(location.validationCode),
      timestamp: new Date((ts?.getSeconds() ?? 0) * 1000 + Math.floor((ts?.getNanos() ?? 0) / 1e6)).toISOString(),
      isDelete: modification.getIsDelete(),
      value: decodeValue(Buffer.from(modification.getValue_asU8())),
      creator: creatorOf(envelope),
    });
  }
  return entries;
}

function decodeValue(value: Buffer): unknown {
  if (value.length === 0) return null;
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch {
    return { base64: value.toString('base64') };
  }
}

export function creatorOf(envelopeBytes: Uint8Array): { mspId: string; subject: string } {
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8());
  const signatureHeader = common.SignatureHeader.deserializeBinary(
    payload.getHeader()?.getSignatureHeader_asU8() ?? new Uint8Array(),
  );
  const identity = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
  let subject = '';
  try {
    subject = new X509Certificate(Buffer.from(identity.getIdBytes_asU8())).subject.replace(/\n/g, ', ');
  } catch {
    subject = '(unparseable certificate)';
  }
  return { mspId: identity.getMspid(), subject };
}

/** Composite keys hold U+0000 separators; people write them as type/attr/attr. */
export function keyFromDisplay(display: string): string {
  if (display.includes('\u0000')) return display;
  const parts = display.split('/');
  if (parts.length < 2) return display;
  return `\u0000${parts.join('\u0000')}\u0000`;
}

/** A key prefix written as type/attr/...: the composite form without its closing separator. */
export function keyPrefixFromDisplay(display: string): string {
  const key = keyFromDisplay(display);
  return key.endsWith('\u0000') ? key.slice(0, -1) : key;
}

export function keyToDisplay(key: string): string {
  if (!key.startsWith('\u0000')) return key;
  return key
    .slice(1, key.endsWith('\u0000') ? -1 : undefined)
    .split('\u0000')
    .join('/');
}

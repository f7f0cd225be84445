import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { ProtoWriter } from '../../fabric/proto-writer';

/**
 * Reading an endorser transaction back out of its envelope: what it wrote and which event it
 * emitted. The committer applies writes through the same function whether the transaction was
 * just endorsed here or is being replayed from the blockfile after a crash, so both paths give
 * the same state.
 */

export interface PublicWrite {
  key: string;
  /** null: the key is deleted. */
  value: Buffer | null;
}

export interface HashedWrite {
  collection: string;
  keyHash: Buffer;
  valueHash: Buffer | null;
}

export interface PrivateWrite {
  collection: string;
  key: string;
  value: Buffer | null;
}

export interface TxEffects {
  txId: string;
  headerType: number;
  timestamp: { seconds: number; nanos: number };
  namespace: string;
  writes: PublicWrite[];
  hashedWrites: HashedWrite[];
  event: { chaincodeName: string; eventName: string; payload: Buffer } | undefined;
}

/** Decodes one block envelope; config and other non-endorser transactions have no writes. */
export function decodeTxEffects(envelopeBytes: Uint8Array): TxEffects {
  const envelope = common.Envelope.deserializeBinary(envelopeBytes);
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const header = payload.getHeader();
  if (!header) throw new Error('envelope payload has no header');
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const ts = channelHeader.getTimestamp();
  const effects: TxEffects = {
    txId: channelHeader.getTxId(),
    headerType: channelHeader.getType(),
    timestamp: { seconds: ts?.getSeconds() ?? 0, nanos: ts?.getNanos() ?? 0 },
    namespace: '',
    writes: [],
    hashedWrites: [],
    event: undefined,
  };
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return effects;

  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
  for (const action of transaction.getActionsList()) {
    const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
    const endorsed = actionPayload.getAction();
    if (!endorsed) continue;
    const responsePayload = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
    const chaincodeAction = peer.ChaincodeAction.deserializeBinary(responsePayload.getExtension_asU8());
    const eventBytes = chaincodeAction.getEvents_asU8();
    if (eventBytes.length > 0) {
      const event = peer.ChaincodeEvent.deserializeBinary(eventBytes);
      effects.event = {
        chaincodeName: event.getChaincodeId(),
        eventName: event.getEventName(),
        payload: Buffer.from(event.getPayload_asU8()),
      };
    }
    const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(chaincodeAction.getResults_asU8());
    for (const ns of rwset.getNsRwsetList()) {
      effects.namespace = ns.getNamespace();
      const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
      for (const write of kv.getWritesList()) {
        effects.writes.push({
          key: write.getKey(),
          value: write.getIsDelete() ? null : Buffer.from(write.getValue_asU8()),
        });
      }
      for (const collection of ns.getCollectionHashedRwsetList()) {
        const hashed = ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(collection.getHashedRwset_asU8());
        for (const write of hashed.getHashedWritesList()) {
          effects.hashedWrites.push({
            collection: collection.getCollectionName(),
            keyHash: Buffer.from(write.getKeyHash_asU8()),
            valueHash: write.getIsDelete() ? null : Buffer.from(write.getValueHash_asU8()),
          });
        }
      }
    }
  }
  return effects;
}

/** The private writes of a TxPvtReadWriteSet (staged beside the block, never inside it). */
export function decodePrivateWrites(privateRwSet: Uint8Array): PrivateWrite[] {
  const out: PrivateWrite[] = [];
  const pvt = ledger.rwset.TxPvtReadWriteSet.deserializeBinary(privateRwSet);
  for (const ns of pvt.getNsPvtRwsetList()) {
    for (const collection of ns.getCollectionPvtRwsetList()) {
      const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(collection.getRwset_asU8());
      for (const write of kv.getWritesList()) {
        out.push({
          collection: collection.getCollectionName(),
          key: write.getKey(),
          value: write.getIsDelete() ? null : Buffer.from(write.getValue_asU8()),
        });
      }
    }
  }
  return out;
}

/**
 * queryresult.KeyModification{tx_id=1, value=2, timestamp=3: Timestamp{seconds=1, nanos=2},
 * is_delete=4}: the history record of one write, as GetHistoryForKey returns it.
 */
export function keyModificationBytes(
  txId: string,
  value: Uint8Array | null,
  timestamp: { seconds: number; nanos: number },
): Buffer {
  const w = keyModificationScratch.reset();
  w.string(1, txId);
  if (value !== null) w.bytes(2, value);
  w.begin(3).uint(1, timestamp.seconds).uint(2, timestamp.nanos).end();
  w.bool(4, value === null);
  return w.finish();
}

/** Where keyModificationBytes writes each record before copying it out (one per history entry read). */
const keyModificationScratch = new ProtoWriter(4096);

import { gnc } from '../gen/gnc';
import { GncError } from '../errors';
import { decodeEntry, encodeEntry, type MessageStore, type SharedIndex } from './message-store';

/**
 * What partner administrations shared about consignments, indexed so an officer at the border
 * can ask "what do we know about this container / this export declaration": pre-arrival data
 * from the export declaration, and inspection results already obtained abroad (mutual
 * recognition of controls: the container was already scanned, and this is what was found).
 *
 * Every received message is recorded, and few are ever asked for: a record names the message and
 * its JSON form is made when it is read, from the canonical envelope the message store keeps with
 * the message (or, for an envelope the store does not hold, one encoded into the record). A
 * record of a message in the store holds its partner and id alone (its Utility Block and body
 * kind are in the envelope, the time it was received in its status), since each message writes
 * one under every index value. Records of earlier versions hold their header fields, or that JSON
 * itself, and read as they are.
 */
export interface SharedRecord {
  partnerId: string;
  messageId: string;
  utilityBlock: string;
  /** ISO 8601. */
  receivedAt: string;
  /** Which body the envelope carries (declaration, inspection, ...). */
  body: string;
  /** That body as proto JSON (proto JSON names, no defaults). */
  content: unknown;
}

/** The first byte of a record written as JSON (earlier versions); a record with a length prefix starts with 0. */
const JSON_RECORD = 0x7b; // '{'

export class PartnerIntelligence {
  private constructor(private readonly store: MessageStore) {}

  static open(store: MessageStore): Promise<PartnerIntelligence> {
    return Promise.resolve(new PartnerIntelligence(store));
  }

  /**
   * Indexes a received envelope by the container ids and declaration ids it names. `inStore`:
   * the message was accepted by this node's store, which keeps its canonical envelope (the record
   * refers to it); otherwise the envelope is encoded into the record.
   */
  async record(partnerId: string, envelope: gnc.v1.Envelope, { inStore = false } = {}): Promise<void> {
    const shared = this.indexOf(partnerId, envelope, { inStore });
    if (!shared) return;
    const messageId = envelope.header?.messageId ?? '';
    await this.store.indexSharedRecord(
      shared.entries.map(({ index, value }) => ({ index, value, messageId })),
      shared.record,
    );
  }

  /**
   * The index entries and record of a received envelope (undefined when it names no container or
   * declaration), for the store to write with the message itself (InboundCandidate.shared): the
   * exchange node's receive path hands it over with the accepted message. `inStore` as in record().
   */
  indexOf(partnerId: string, envelope: gnc.v1.Envelope, { inStore = false } = {}): SharedIndex | undefined {
    const entries: Array<{ index: string; value: string }> = [];
    const add = (index: string, value: string | null | undefined) => {
      if (value) entries.push({ index, value });
    };
    // Declarations cross borders under their movement reference number (MRN).
    if (envelope.declaration) {
      add('declaration', envelope.declaration.mrn);
      for (const equipment of envelope.declaration.consignment?.transportEquipment ?? [])
        add('container', equipment.id);
    }
    if (envelope.inspection) {
      add('declaration', envelope.inspection.declarationMrn);
      add('container', envelope.inspection.containerId);
    }
    if (envelope.sealEvent) add('container', envelope.sealEvent.containerId);
    if (entries.length === 0) return undefined;
    const messageId = envelope.header?.messageId ?? '';
    const header = inStore
      ? { partnerId, messageId, envelopeIn: 'store' }
      : {
          partnerId,
          messageId,
          utilityBlock: envelope.header?.utilityBlockId ?? '',
          receivedAt: new Date().toISOString(),
          body: envelope.body,
        };
    const record = inStore ? encodeEntry(header) : encodeEntry(header, gnc.v1.Envelope.encode(envelope).finish());
    return { entries, record };
  }

  /** Everything partners shared about a container (pre-arrival data, inspections, seal events). */
  byContainer(containerId: string): Promise<SharedRecord[]> {
    return this.read('container', containerId);
  }

  /** Everything partners shared about a declaration, by its MRN (e.g. the export declaration). */
  byDeclaration(declarationId: string): Promise<SharedRecord[]> {
    return this.read('declaration', declarationId);
  }

  private async read(index: string, value: string): Promise<SharedRecord[]> {
    const records = await this.store.sharedRecords(index, value);
    return Promise.all(records.map((record) => this.readRecord(record)));
  }

  private async readRecord(value: Buffer): Promise<SharedRecord> {
    if (value[0] === JSON_RECORD) return JSON.parse(value.toString('utf8')) as SharedRecord;
    const {
      header: { envelopeIn, ...header },
      bytes,
    } = decodeEntry<
      Pick<SharedRecord, 'partnerId' | 'messageId'> & Partial<Omit<SharedRecord, 'content'>> & { envelopeIn?: 'store' }
    >(value);
    const canonical =
      envelopeIn === 'store' ? await this.store.receivedEnvelope(header.partnerId, header.messageId) : bytes;
    if (!canonical) {
      throw new GncError(
        'GNC_EXCHANGE_STORE_DAMAGED',
        `the record of what ${header.partnerId} shared in ${header.messageId} refers to a message the store does not hold`,
        { httpStatus: 500 },
      );
    }
    const envelope = gnc.v1.Envelope.decode(canonical);
    const object = gnc.v1.Envelope.toObject(envelope, {
      longs: String,
      enums: String,
      bytes: String,
      defaults: false,
    }) as Record<string, unknown>;
    const body = header.body ?? envelope.body ?? '';
    return {
      partnerId: header.partnerId,
      messageId: header.messageId,
      utilityBlock: header.utilityBlock ?? envelope.header?.utilityBlockId ?? '',
      receivedAt: header.receivedAt ?? (await this.receivedAt(header.messageId)),
      body,
      content: object[body],
    };
  }

  /** When a message in the store was received (ISO 8601), from its status. */
  private async receivedAt(messageId: string): Promise<string> {
    const status = await this.store.status(messageId);
    if (!status) {
      throw new GncError(
        'GNC_EXCHANGE_STORE_DAMAGED',
        `the record of what a partner shared in ${messageId} refers to a message without a status`,
        { httpStatus: 500 },
      );
    }
    return new Date(status.createdAt).toISOString();
  }
}

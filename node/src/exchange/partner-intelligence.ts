import { gnc } from '../gen/gnc';
import type { MessageStore } from './message-store';

/**
 * What partner administrations shared about consignments, indexed so an officer at the border
 * can ask "what do we know about this container / this export declaration": pre-arrival data
 * from the export declaration, and inspection results already obtained abroad (mutual
 * recognition of controls: the container was already scanned, and this is what was found).
 */
export class PartnerIntelligence {
  private constructor(private readonly store: MessageStore) {}

  static open(store: MessageStore): Promise<PartnerIntelligence> {
    return Promise.resolve(new PartnerIntelligence(store));
  }

  /**
   * Indexes a received envelope by the container ids and declaration ids it names. `body` is the
   * envelope's body as proto JSON (the object the exchange node's data-set check already made;
   * made here when not given).
   */
  async record(partnerId: string, envelope: gnc.v1.Envelope, body?: Record<string, unknown>): Promise<void> {
    const messageId = envelope.header?.messageId ?? '';
    const shared = {
      partnerId,
      messageId,
      utilityBlock: envelope.header?.utilityBlockId ?? '',
      receivedAt: new Date().toISOString(),
      body: envelope.body,
      content:
        body ??
        (gnc.v1.Envelope.toObject(envelope, { longs: String, enums: String, bytes: String, defaults: false })[
          envelope.body ?? 'none'
        ] as unknown),
    };
    const entries: Array<{ index: string; value: string; messageId: string; record: unknown }> = [];
    const add = (index: string, value: string | null | undefined) => {
      if (value) entries.push({ index, value, messageId, record: shared });
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
    await this.store.indexShared(entries);
  }

  /** Everything partners shared about a container (pre-arrival data, inspections, seal events). */
  byContainer(containerId: string): Promise<unknown[]> {
    return this.store.shared('container', containerId);
  }

  /** Everything partners shared about a declaration, by its MRN (e.g. the export declaration). */
  byDeclaration(declarationId: string): Promise<unknown[]> {
    return this.store.shared('declaration', declarationId);
  }
}

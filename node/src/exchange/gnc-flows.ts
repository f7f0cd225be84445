import {
  declarationToCanonical,
  inspectionToCanonical,
  type LedgerDeclaration,
  type LedgerInspection,
} from '../canonical/from-ledger';
import { asError } from '../errors';
import type { LedgerClient } from '../ledger/ledger-client';
import { allowsUtilityBlock, type LoadedAgreement } from './agreement';
import type { ExchangeNode } from './exchange-node';
import type { MessageStore } from './message-store';

/**
 * The GNC flows this administration runs from its own ledger's events:
 *
 * - export-to-import pre-arrival: an EXPORT declaration released here is sent, as the agreed
 *   data set, to the partner administering its country of destination;
 * - inspection-result sharing: an inspection recorded here of a declaration that was sent to a
 *   partner goes to that partner too, so its officers see the container was already scanned
 *   and what was found.
 *
 * The flow keeps the last ledger block it handled, so a restart resumes where it stopped.
 */
export class GncFlows {
  private events: ReturnType<LedgerClient['chaincodeEvents']> | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: {
      administrationId: string;
      ledger: LedgerClient;
      exchange: ExchangeNode;
      store: MessageStore;
      agreements: readonly LoadedAgreement[];
      log?: (event: Record<string, unknown>) => void;
    },
  ) {}

  async start(): Promise<void> {
    const checkpoint = await this.options.store.meta('gnc-flows-block');
    const startBlock = checkpoint !== undefined ? BigInt(checkpoint) + 1n : await this.options.ledger.height();
    this.events = this.options.ledger.chaincodeEvents({ startBlock });
    const events = this.events;
    this.running = (async () => {
      for await (const event of events) {
        try {
          await this.handle(event.eventName, JSON.parse(Buffer.from(event.payload).toString('utf8')) as unknown);
        } catch (error) {
          this.options.log?.({
            event: 'flow-failed',
            txId: event.txId,
            name: event.eventName,
            message: asError(error).message,
          });
        }
        await this.options.store.setMeta('gnc-flows-block', String(event.blockNumber));
      }
    })();
  }

  async stop(): Promise<void> {
    this.events?.close();
    await this.running;
  }

  private partnersFor(utilityBlock: string, country?: string): LoadedAgreement[] {
    return this.options.agreements.filter(
      (a) => allowsUtilityBlock(a, utilityBlock, 'send') && (country === undefined || a.countries.includes(country)),
    );
  }

  private async handle(name: string, payload: unknown): Promise<void> {
    if (name === 'DeclarationReleased') {
      const declaration = payload as LedgerDeclaration;
      if (declaration.type !== 'EXPORT') return;
      for (const partner of this.partnersFor(
        'export-import-prearrival',
        declaration.consignment.countryOfDestination,
      )) {
        const messageId = await this.options.exchange.submit(partner.partnerId, 'export-import-prearrival', {
          declaration: declarationToCanonical(declaration, this.options.administrationId),
        });
        await this.options.store.indexShared([
          {
            index: 'sent-declaration',
            value: declaration.id,
            messageId,
            record: { partnerId: partner.partnerId, mrn: declaration.mrn ?? declaration.lrn },
          },
        ]);
        this.options.log?.({
          event: 'prearrival-sent',
          declarationId: declaration.id,
          partnerId: partner.partnerId,
          messageId,
        });
        // A red-lane declaration was inspected before its release: share those results now.
        const earlier = JSON.parse(
          Buffer.from(
            await this.options.ledger.evaluate({
              contract: 'Inspection',
              name: 'ListInspectionsByDeclaration',
              args: [declaration.id],
            }),
          ).toString('utf8'),
        ) as LedgerInspection[];
        for (const inspection of earlier)
          await this.shareInspection(inspection, partner.partnerId, declaration.mrn ?? declaration.lrn);
      }
    } else if (name === 'InspectionRecorded') {
      const inspection = payload as LedgerInspection;
      if (!inspection.declarationId) return;
      const sentTo = (await this.options.store.shared('sent-declaration', inspection.declarationId)) as Array<{
        partnerId: string;
        mrn: string;
      }>;
      for (const target of sentTo) await this.shareInspection(inspection, target.partnerId, target.mrn);
    }
  }

  private async shareInspection(inspection: LedgerInspection, partnerId: string, mrn: string): Promise<void> {
    if (!this.partnersFor('inspection-result-sharing').some((a) => a.partnerId === partnerId)) return;
    const messageId = await this.options.exchange.submit(partnerId, 'inspection-result-sharing', {
      inspection: inspectionToCanonical(inspection, this.options.administrationId, mrn),
    });
    this.options.log?.({ event: 'inspection-shared', inspectionId: inspection.id, partnerId, messageId });
  }
}

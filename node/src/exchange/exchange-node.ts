import { randomUUID } from 'node:crypto';
import { messageFormats } from '../../../adapters/format';
import type { MessageFormat } from '../../../adapters/format/message-format';
import { checkDataSet, minimiseBody, utilityBlocks } from '../../../adapters/gnc';
import { securitySchemes } from '../../../adapters/security';
import type { PartnerKeys, SecurityScheme } from '../../../adapters/security/security-scheme';
import { transports } from '../../../adapters/transport';
import type { InboundDelivery, Transport, TransportPeer } from '../../../adapters/transport/transport';
import { gnc } from '../gen/gnc';
import { GncError, asError } from '../errors';
import type { SigningIdentity } from '../identity/signing-identity';
import { allowsUtilityBlock, inboundEdges, type LoadedAgreement } from './agreement';
import { ExchangeMetrics } from './metrics';
import { DuplicateMessageError, MessageStore, type OutboxEntry } from './message-store';
import { signReceipt, verifyReceipt } from './receipts';

/**
 * The exchange node: carries messages between this administration and its partners, each edge
 * chosen by the partner's agreement.
 *
 * Inbound:  transport -> security.open -> format.decode -> header and agreement checks -> dedupe
 *           -> inbox (durable) -> signed receipt back -> onReceived (ledger, routing)
 * Outbound: submit -> format.encode -> security.seal -> outbox (durable) -> per-partner sender
 *           -> transport.send -> receipt verified -> receipted; transient failures retried with
 *           exponential backoff and jitter, then dead letters.
 */

export class ExchangeRejectedError extends GncError {
  constructor(code: string, message: string, httpStatus = 400) {
    super(code, message, { httpStatus });
  }
}

export interface ExchangeNodeOptions {
  /** This administration's id, as partners' agreements name it. */
  nodeId: string;
  /** Signs receipts; its certificate chains to the CA partners hold as our trust anchor. */
  signer: SigningIdentity;
  /** The node's signing keys for security schemes (PEM). */
  keys: { certificatePem: string; privateKeyPem: string };
  /** The node's certificate and key per transport kind (TLS for http, the Ed25519 peer key for libp2p). */
  transportKeys: Record<string, { certificatePem: string; privateKeyPem: string }>;
  agreements: readonly LoadedAgreement[];
  store: MessageStore;
  /** Listen options per transport kind, e.g. { http: { port: 0 } }. */
  listen?: Record<string, Record<string, unknown>>;
  /** Called after a message is durable and receipted: record it on the ledger, deliver or route it. */
  onReceived?: (message: { partnerId: string; envelope: gnc.v1.Envelope; raw: Buffer }) => Promise<void> | void;
  /**
   * Called for each message sent and receipted, and for each received, once it is durable (its
   * digest is then pending for anchoring in the store, written with it).
   */
  onExchanged?: (event: { direction: 'in' | 'out'; partnerId: string; messageId: string }) => void;
  log?: (event: Record<string, unknown>) => void;
  /** A production node refuses the `none` security scheme. */
  production?: boolean;
  /** Polling interval of the per-partner senders when their queue is empty (ms). */
  idleMs?: number;
}

interface PartnerEdges {
  agreement: LoadedAgreement;
  keys: PartnerKeys;
  peer: TransportPeer;
  /** How we send to the partner. */
  out: { transport: Transport; security: SecurityScheme; format: MessageFormat };
  /** How the partner sends to us, and who it is on that transport. */
  in: { transportKind: string; peer: TransportPeer; security: SecurityScheme; format: MessageFormat };
}

export class ExchangeNode {
  readonly metrics = new ExchangeMetrics();
  private readonly partners = new Map<string, PartnerEdges>();
  private readonly transports = new Map<string, Transport>();
  private readonly endpoints = new Map<string, string>();
  private readonly senders = new Map<string, Promise<void>>();
  private readonly wakeups = new Map<string, () => void>();
  /** Partners whose sender was signalled (a submit, a slot freed) since it last looked at its outbox. */
  private readonly signalled = new Set<string>();
  private stopping = false;

  constructor(private readonly options: ExchangeNodeOptions) {}

  async start(): Promise<Record<string, string>> {
    const transportOf = (kind: string): Transport => {
      let transport = this.transports.get(kind);
      if (!transport) {
        const factory = transports[kind];
        if (!factory) throw new GncError('GNC_CONFIG_INVALID', `unknown transport '${kind}'`);
        const keys = this.options.transportKeys[kind];
        if (!keys) throw new GncError('GNC_CONFIG_INVALID', `no certificate for transport '${kind}' (run gnc init)`);
        transport = factory(this.options.listen?.[kind] ?? {})({
          certificatePem: keys.certificatePem,
          privateKeyPem: keys.privateKeyPem,
          // The partners this transport accepts connections from: those that send to us over it.
          peers: () => [...this.partners.values()].filter((p) => p.in.transportKind === kind).map((p) => p.in.peer),
        });
        this.transports.set(kind, transport);
      }
      return transport;
    };
    const securityOf = (scheme: string, options: Record<string, unknown>): SecurityScheme => {
      const factory = securitySchemes[scheme];
      if (!factory) throw new GncError('GNC_CONFIG_INVALID', `unknown security scheme '${scheme}'`);
      return factory({ ...options, production: this.options.production ?? false })({ keys: this.options.keys });
    };
    const formatOf = (kind: string, options: Record<string, unknown>): MessageFormat => {
      const factory = messageFormats[kind];
      if (!factory) throw new GncError('GNC_CONFIG_INVALID', `unknown format '${kind}'`);
      return factory(options)({});
    };
    for (const agreement of this.options.agreements) {
      const inbound = inboundEdges(agreement);
      this.partners.set(agreement.partnerId, {
        agreement,
        keys: {
          partnerId: agreement.partnerId,
          trustAnchorsPem: agreement.trustAnchorsPem,
          ...(agreement.encryptionCertificatePem
            ? { encryptionCertificatePem: agreement.encryptionCertificatePem }
            : {}),
          revokedSerials: new Set(agreement.revokedSerials.map(normalizeSerial)),
        },
        peer: {
          partnerId: agreement.partnerId,
          endpoint: agreement.transport.endpoint,
          trustAnchorsPem: agreement.trustAnchorsPem,
          ...(agreement.transport.peerId ? { peerId: agreement.transport.peerId } : {}),
        },
        out: {
          transport: transportOf(agreement.transport.kind),
          security: securityOf(agreement.security.scheme, agreement.security.options),
          format: formatOf(agreement.format.kind, agreement.format.options),
        },
        in: {
          transportKind: inbound.transport,
          peer: {
            partnerId: agreement.partnerId,
            endpoint: inbound.transport === agreement.transport.kind ? agreement.transport.endpoint : '',
            trustAnchorsPem: agreement.trustAnchorsPem,
            ...(inbound.peerId ? { peerId: inbound.peerId } : {}),
          },
          security: securityOf(inbound.security, inbound.securityOptions),
          format: formatOf(inbound.format, inbound.formatOptions),
        },
      });
      transportOf(inbound.transport);
    }
    for (const [kind, transport] of this.transports) {
      this.endpoints.set(kind, await transport.start((delivery) => this.receive(kind, delivery)));
    }
    for (const partnerId of this.partners.keys()) this.senders.set(partnerId, this.runSender(partnerId));
    return Object.fromEntries(this.endpoints);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups.values()) wake();
    await Promise.allSettled(this.senders.values());
    for (const transport of this.transports.values()) await transport.stop();
  }

  /**
   * Replaces the revoked certificate serials of a partner (from a CRL the operator fetched);
   * the next message checked uses them.
   */
  updateRevokedSerials(partnerId: string, serials: readonly string[]): void {
    const partner = this.partner(partnerId);
    partner.keys = { ...partner.keys, revokedSerials: new Set(serials.map(normalizeSerial)) };
  }

  /** Where partners reach this node, per transport kind (after start). */
  endpoint(kind: string): string | undefined {
    return this.endpoints.get(kind);
  }

  // ---- outbound -----------------------------------------------------------------------------

  /**
   * Queues a message for a partner under a Utility Block; resolves with its message id once it
   * is durable in the outbox. The header (ids, sender, receiver, time) is filled in here.
   */
  async submit(
    partnerId: string,
    utilityBlock: string,
    body: Omit<gnc.v1.IEnvelope, 'header'>,
    correlationId = '',
  ): Promise<string> {
    const partner = this.partner(partnerId);
    const block = utilityBlocks[utilityBlock];
    if (!block)
      throw new ExchangeRejectedError('GNC_EXCHANGE_UNKNOWN_UTILITY_BLOCK', `unknown Utility Block '${utilityBlock}'`);
    if (!allowsUtilityBlock(partner.agreement, utilityBlock, 'send')) {
      throw new ExchangeRejectedError(
        'GNC_EXCHANGE_NOT_AGREED',
        `the agreement with ${partnerId} does not allow sending Utility Block '${utilityBlock}'`,
        403,
      );
    }
    const messageId = randomUUID();
    // Data minimisation: only the block's data set leaves the node.
    const { kept, outside } = minimiseBody(block, body);
    if (outside.length > 0) this.options.log?.({ event: 'data-minimised', partnerId, utilityBlock, removed: outside });
    const envelope = gnc.v1.Envelope.fromObject({
      [block.bodyKind]: kept,
      header: {
        messageId,
        correlationId,
        senderId: this.options.nodeId,
        receiverId: partnerId,
        utilityBlockId: utilityBlock,
        utilityBlockVersion: block.version,
        createdAtMs: Date.now(),
      },
    });
    const encoded = partner.out.format.encode(envelope);
    if (encoded.length > partner.agreement.maxMessageBytes) {
      throw new ExchangeRejectedError(
        'GNC_EXCHANGE_OVERSIZE',
        `message of ${encoded.length} bytes exceeds the ${partner.agreement.maxMessageBytes} agreed with ${partnerId}`,
        413,
      );
    }
    const sealed = Buffer.from(await partner.out.security.seal(encoded, partner.keys));
    await this.options.store.enqueueOutbound({ messageId, partnerId, utilityBlock, bytes: sealed }, { idMinted: true });
    this.metrics.queued(partnerId);
    this.wake(partnerId);
    return messageId;
  }

  private async runSender(partnerId: string): Promise<void> {
    const partner = this.partner(partnerId);
    const { rateLimit } = partner.agreement;
    const window = partner.agreement.maxInFlight;
    const minInterval = 1000 / rateLimit.messagesPerSecond;
    const idleMs = this.options.idleMs ?? 200;
    // A sliding window: up to `window` messages in flight, topped up as they are receipted. The
    // outbox is read again only once a quarter of the window is free, not once per message.
    const refillAt = Math.max(1, Math.floor(window / 4));
    const inFlight = new Map<number, Promise<void>>();
    // Messages finished since the current outbox read began: that read may still return them
    // (its snapshot can predate their removal), and they must not be sent a second time.
    let finished = new Set<number>();
    // Every queued message up to this sequence number is in flight or finished: reads start
    // after it, instead of reading (and decoding) the whole window again on every submit.
    let cursor = 0;
    // A failed attempt leaves its message queued for a retry: the next read goes back to it.
    let rewindTo = Infinity;
    let failure: { error: unknown } | undefined;
    let nextSlot = Date.now();
    try {
      while (!this.stopping && !failure) {
        if (window - inFlight.size < refillAt) {
          this.signalled.delete(partnerId);
          await this.sleep(partnerId, idleMs); // woken when enough of the window is free
          continue;
        }
        // A signal from now on (a submit, a receipt) means: look at the outbox again.
        this.signalled.delete(partnerId);
        const seen = new Set<number>();
        finished = seen;
        const from = Math.min(cursor, rewindTo);
        rewindTo = Infinity;
        // From the cursor, everything read is yet to be sent; after a rewind, what is in flight is read too.
        const limit = from === cursor ? window - inFlight.size : window;
        const queue = await this.options.store.outbox(partnerId, limit, from);
        const now = Date.now();
        let wakeAt = now + idleMs;
        let passed = from;
        // Messages leave in queue order; a head waiting for its retry holds back the ones behind it.
        for (const entry of queue) {
          if (inFlight.has(entry.seq) || seen.has(entry.seq)) {
            passed = entry.seq;
            continue;
          }
          if (entry.nextAttemptAt > now) {
            wakeAt = Math.min(wakeAt, entry.nextAttemptAt);
            break;
          }
          if (inFlight.size >= window) break;
          passed = entry.seq;
          const slot = Math.max(nextSlot, Date.now());
          nextSlot = slot + minInterval;
          const send = (async () => {
            // Within a millisecond of its slot is on time: timers are no finer.
            const wait = slot - Date.now();
            if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
            if (!(await this.sendOne(partner, entry))) rewindTo = Math.min(rewindTo, entry.seq - 1);
          })()
            .catch((error: unknown) => {
              failure ??= { error };
            })
            .finally(() => {
              inFlight.delete(entry.seq);
              finished.add(entry.seq);
              if (window - inFlight.size >= refillAt || failure) this.wake(partnerId);
            });
          inFlight.set(entry.seq, send);
        }
        cursor = passed;
        // Until a submit, a receipt with room in the window, or the head's next attempt.
        await this.sleep(partnerId, wakeAt - now);
      }
    } finally {
      await Promise.allSettled(inFlight.values());
    }
    if (failure) throw failure.error;
  }

  /** Resolves true when the message left the outbox (receipted, or a dead letter), false when it waits for a retry. */
  private async sendOne(partner: PartnerEdges, entry: OutboxEntry): Promise<boolean> {
    const started = Date.now();
    const partnerId = partner.agreement.partnerId;
    try {
      const answer = await partner.out.transport.send(partner.peer, entry.bytes, { timeoutMs: 30_000 });
      const info = await verifyReceipt(answer, {
        messageId: entry.messageId,
        sentBytes: entry.bytes,
        partnerId,
        trustAnchorsPem: partner.agreement.trustAnchorsPem,
      });
      if (info.outcome === gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED) {
        throw new ExchangeRejectedError(
          info.errorCode || 'GNC_EXCHANGE_REJECTED',
          info.errorMessage || 'rejected by the partner',
        );
      }
      await this.options.store.markReceipted(entry, Buffer.from(answer));
      this.metrics.sent(partnerId, entry.bytes.length, Date.now() - started);
      this.options.onExchanged?.({ direction: 'out', partnerId, messageId: entry.messageId });
      return true;
    } catch (error) {
      const err = asError(error);
      const code = err instanceof GncError ? err.code : 'GNC_EXCHANGE_SEND_FAILED';
      const transient = (err as { transient?: boolean }).transient !== false && !(err instanceof ExchangeRejectedError);
      this.metrics.failed(partnerId, code);
      this.options.log?.({
        event: 'send-failed',
        partnerId,
        messageId: entry.messageId,
        code,
        message: err.message,
        transient,
      });
      const attempts = entry.attempts + 1;
      if (!transient || attempts >= partner.agreement.retry.maxAttempts) {
        await this.options.store.deadLetter(entry, { code, message: err.message });
        return true;
      }
      const { initialDelayMs, maxDelayMs } = partner.agreement.retry;
      const backoff = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempts - 1));
      // Full jitter: spread retries so partners coming back are not hit by every sender at once.
      const delay = Math.floor(backoff / 2 + Math.random() * (backoff / 2));
      await this.options.store.markAttemptFailed(entry, { code, message: err.message }, Date.now() + delay);
      return false;
    }
  }

  private wake(partnerId: string): void {
    this.signalled.add(partnerId);
    this.wakeups.get(partnerId)?.();
  }

  /** Waits `ms`, or less when woken; returns at once when signalled since the outbox was read. */
  private sleep(partnerId: string, ms: number): Promise<void> {
    if (this.signalled.has(partnerId) || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeups.set(partnerId, done);
    });
  }

  // ---- inbound ------------------------------------------------------------------------------

  private async receive(transportKind: string, delivery: InboundDelivery): Promise<Uint8Array> {
    const started = Date.now();
    const partner = this.partners.get(delivery.partnerId);
    try {
      if (!partner)
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_UNKNOWN_PARTNER',
          `no agreement with '${delivery.partnerId}'`,
          403,
        );
      const { agreement } = partner;
      if (partner.in.transportKind !== transportKind) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_NOT_AGREED',
          `${agreement.partnerId} sends over ${partner.in.transportKind} by agreement, not ${transportKind}`,
          403,
        );
      }
      if (delivery.bytes.length > agreement.maxMessageBytes) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_OVERSIZE',
          `message of ${delivery.bytes.length} bytes exceeds the ${agreement.maxMessageBytes} agreed`,
          413,
        );
      }
      const opened = await partner.in.security.open(delivery.bytes, partner.keys);
      const envelope = partner.in.format.decode(opened.payload);
      const header = {
        messageId: envelope.header?.messageId ?? '',
        senderId: envelope.header?.senderId ?? '',
        receiverId: envelope.header?.receiverId ?? '',
        utilityBlockId: envelope.header?.utilityBlockId ?? '',
        createdAtMs: envelope.header?.createdAtMs ?? 0,
      };
      if (!header.messageId)
        throw new ExchangeRejectedError('GNC_EXCHANGE_BAD_HEADER', 'the message has no message id');
      if (header.senderId !== agreement.partnerId || header.receiverId !== this.options.nodeId) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_BAD_HEADER',
          `the header says ${header.senderId} -> ${header.receiverId}; this connection is ${agreement.partnerId} -> ${this.options.nodeId}`,
          403,
        );
      }
      const createdAt = Number(header.createdAtMs);
      if (!Number.isFinite(createdAt) || Math.abs(Date.now() - createdAt) > agreement.replayWindowSeconds * 1000) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_OUTSIDE_WINDOW',
          `message ${header.messageId} was created at ${new Date(createdAt).toISOString()}, outside the ${agreement.replayWindowSeconds} s window`,
        );
      }
      const block = utilityBlocks[header.utilityBlockId];
      if (!block || !allowsUtilityBlock(agreement, header.utilityBlockId, 'receive')) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_NOT_AGREED',
          `the agreement with ${agreement.partnerId} does not allow receiving Utility Block '${header.utilityBlockId}'`,
          403,
        );
      }
      if (envelope.body !== block.bodyKind) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_NOT_AGREED',
          `Utility Block '${block.id}' carries a ${block.bodyKind}, not a ${envelope.body ?? 'missing body'}`,
          403,
        );
      }
      const outside = checkDataSet(block, envelope);
      if (outside.length > 0) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_OUTSIDE_DATA_SET',
          `Utility Block '${block.id}' does not carry ${outside.join(', ')}`,
          403,
        );
      }
      const receipt = await signReceipt(this.options.signer, {
        messageId: header.messageId,
        receivedBytes: delivery.bytes,
        receiverId: this.options.nodeId,
        senderId: agreement.partnerId,
        outcome: gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED,
      });
      const raw = Buffer.from(delivery.bytes);
      try {
        await this.options.store.acceptInbound({
          messageId: header.messageId,
          partnerId: agreement.partnerId,
          utilityBlock: header.utilityBlockId,
          raw,
          envelope: Buffer.from(gnc.v1.Envelope.encode(envelope).finish()),
          receipt,
        });
      } catch (error) {
        if (error instanceof DuplicateMessageError) {
          // The sender did not get our first receipt (or replays): answer with the same receipt, deliver nothing twice.
          this.metrics.duplicate(agreement.partnerId);
          return error.receipt;
        }
        throw error;
      }
      this.metrics.received(agreement.partnerId, delivery.bytes.length, Date.now() - started);
      this.options.onExchanged?.({ direction: 'in', partnerId: agreement.partnerId, messageId: header.messageId });
      if (this.options.onReceived) {
        Promise.resolve(this.options.onReceived({ partnerId: agreement.partnerId, envelope, raw })).catch(
          (error: unknown) =>
            this.options.log?.({
              event: 'on-received-failed',
              messageId: header.messageId,
              message: asError(error).message,
            }),
        );
      }
      return receipt;
    } catch (error) {
      const err = asError(error);
      const code = err instanceof GncError ? err.code : 'GNC_EXCHANGE_INTERNAL';
      this.metrics.rejected(delivery.partnerId, code);
      this.options.log?.({ event: 'rejected', partnerId: delivery.partnerId, code, message: err.message });
      throw err instanceof GncError ? err : new GncError('GNC_EXCHANGE_INTERNAL', 'internal error', { cause: err });
    }
  }

  private partner(partnerId: string): PartnerEdges {
    const partner = this.partners.get(partnerId);
    if (!partner)
      throw new ExchangeRejectedError('GNC_EXCHANGE_UNKNOWN_PARTNER', `no agreement with '${partnerId}'`, 404);
    return partner;
  }
}

/** Serial numbers as the security schemes compare them: lower-case hex without leading zeros. */
function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

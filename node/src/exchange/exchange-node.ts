import { randomUUID } from 'node:crypto';
import { messageFormats } from '../../../adapters/format';
import type { MessageFormat } from '../../../adapters/format/message-format';
import { checkDataSet, minimiseBody, utilityBlocks } from '../../../adapters/gnc';
import { securitySchemes } from '../../../adapters/security';
import type { PartnerKeys, SecurityScheme } from '../../../adapters/security/security-scheme';
import { transports } from '../../../adapters/transport';
import type { InboundDelivery, Transport, TransportPeer } from '../../../adapters/transport/transport';
import { TransportError, TransportErrorCode } from '../../../adapters/transport/transport-errors';
import { gnc } from '../gen/gnc';
import { GncError, asError } from '../errors';
import type { SigningIdentity } from '../identity/signing-identity';
import { allowsUtilityBlock, inboundEdges, type LoadedAgreement } from './agreement';
import { ExchangeMetrics } from './metrics';
import {
  DuplicateMessageError,
  MessageStore,
  type InboundCandidate,
  type InboundOutcome,
  type OutboxEntry,
  type SharedIndex,
} from './message-store';
import {
  digestOf,
  receiptInfoOf,
  signBatchReceipt,
  signReceiptInfo,
  verifyBatchReceipt,
  verifyReceipt,
} from './receipts';

/**
 * The exchange node: carries messages between this administration and its partners, each edge
 * chosen by the partner's agreement.
 *
 * Inbound:  transport -> security.open -> format.decode -> header and agreement checks -> dedupe
 *           -> inbox (durable) -> signed receipt back -> onReceived (ledger, routing)
 * Outbound: submit -> format.encode -> security.seal -> outbox (durable) -> per-partner sender
 *           -> transport.send -> receipt verified -> receipted; transient failures retried with
 *           exponential backoff and jitter, then dead letters.
 *
 * Over transports that carry batch frames (http, libp2p) the sender sends what is queued for a
 * partner as one gnc.v1.MessageBatch (each message sealed on its own, as above) and the receiver
 * runs each through the same inbound checks, writes the accepted ones in one durable batch and
 * answers with one signed gnc.v1.ReceiptBatch holding every message's outcome.
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
  onReceived?: (message: {
    partnerId: string;
    envelope: gnc.v1.Envelope;
    raw: Buffer;
    /** The canonical envelope as the inbox holds it (gnc.v1.Envelope protobuf). */
    canonical: Buffer;
    /**
     * The envelope's body as a JSON object (proto JSON names, no defaults), made on first read:
     * most messages never need it. Do not change it.
     */
    readonly body: Record<string, unknown>;
  }) => Promise<void> | void;
  /**
   * What a received message shared, indexed (partner intelligence): asked for once the message
   * passed its checks, and written by the store in the same synced batch as the message, so the
   * index never misses a message that was accepted and a frame costs one synced write, not two.
   */
  sharedIndexOf?: (message: { partnerId: string; envelope: gnc.v1.Envelope }) => SharedIndex | undefined;
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

/** One message of an inbound batch frame, as receiveBatch follows it from its checks to its entry of the receipt. */
interface FrameMessage {
  /** Its bytes as they came in the frame. */
  raw: Buffer;
  /** SHA-256 of `raw`. */
  digest: Buffer;
  /** Set when it passed the checks: the decoded envelope and what the store is asked to accept. */
  envelope?: gnc.v1.Envelope;
  candidate?: InboundCandidate;
  /** Set when it failed the checks (its own fault). */
  refused?: GncError;
  /** What the store made of the candidate. */
  outcome?: InboundOutcome;
  /** Its entry of the batch receipt (ACCEPTED until the store says otherwise). */
  entry: gnc.v1.IReceiptInfo;
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
  /**
   * Partners that refused a batch frame whole, and until when their messages go alone: without
   * this memory every frame would cost a refused round trip before its messages left one by one.
   */
  private readonly framesRefusedUntil = new Map<string, number>();
  /**
   * Per partner, the batch frames and single messages being received right now: a partner may
   * have at most its agreement's maxBatchesInFlight frames, and maxInFlight single messages of
   * at most as many bytes as those frames, in our hands at once, which bounds the memory one
   * partner can hold (see docs/architecture.md).
   */
  private readonly receiving = new Map<string, { frames: number; messages: number; messageBytes: number }>();
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
      this.endpoints.set(kind, await transport.start((delivery) => this.admit(kind, transport, delivery)));
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

  /** Whether the partner refused a batch frame whole a short while ago (its messages then go alone). */
  private refusesFrames(partnerId: string): boolean {
    const until = this.framesRefusedUntil.get(partnerId);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.framesRefusedUntil.delete(partnerId);
    return false;
  }

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
    const { rateLimit, maxBatchMessages, maxBatchBytes } = partner.agreement;
    const window = partner.agreement.maxInFlight;
    const minInterval = 1000 / rateLimit.messagesPerSecond;
    const idleMs = this.options.idleMs ?? 200;
    // Over a transport that carries batch frames, queued messages leave together: one request
    // and one signed receipt for up to maxBatchMessages of them. A few frames share the window
    // (the next leaves while earlier ones are answered), each taking what is queued when it
    // leaves, so batches grow with the load and an idle link still sends a message at once.
    const canBatch = partner.out.transport.carriesBatches && maxBatchMessages > 1;
    let batching = canBatch;
    let maxFrames = window;
    let refillAt = 1;
    // Set before each read of the outbox: a partner that refused a frame gets single messages for a while.
    const shape = () => {
      batching = canBatch && !this.refusesFrames(partnerId);
      maxFrames = batching ? partner.agreement.maxBatchesInFlight : window;
      // A sliding window: up to `window` messages in flight, topped up as they are receipted. One
      // message a frame: the outbox is read again only once a quarter of the window is free, not
      // once per message. Batches: as soon as a frame slot is free.
      refillAt = batching ? 1 : Math.max(1, Math.floor(window / 4));
    };
    shape();
    const inFlight = new Map<number, Promise<void>>();
    let frames = 0;
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
    const roomToSend = () => window - inFlight.size >= refillAt && frames < maxFrames;
    const launch = (group: OutboxEntry[]) => {
      const asFrame = batching;
      const slot = Math.max(nextSlot, Date.now());
      nextSlot = slot + minInterval * group.length;
      const send = (async () => {
        // Within a millisecond of its slot is on time: timers are no finer.
        const wait = slot - Date.now();
        if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const left = asFrame ? await this.sendFrame(partner, group) : [await this.sendOne(partner, group[0]!)];
        group.forEach((entry, index) => {
          if (!left[index]) rewindTo = Math.min(rewindTo, entry.seq - 1);
        });
      })()
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          frames -= 1;
          for (const entry of group) {
            inFlight.delete(entry.seq);
            finished.add(entry.seq);
          }
          if (roomToSend() || failure) this.wake(partnerId);
        });
      for (const entry of group) inFlight.set(entry.seq, send);
    };
    try {
      while (!this.stopping && !failure) {
        shape();
        if (!roomToSend()) {
          this.signalled.delete(partnerId);
          await this.sleep(partnerId, idleMs); // woken when a frame is answered
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
        // What is read is shared evenly among the free frame slots, up to maxBatchMessages a frame.
        const perFrame = batching
          ? Math.min(
              maxBatchMessages,
              Math.ceil(Math.min(queue.length, window - inFlight.size) / Math.max(1, maxFrames - frames)),
            )
          : 1;
        let group: OutboxEntry[] = [];
        let groupBytes = 0;
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
          if (inFlight.size + group.length >= window) break;
          // Each message costs a few bytes of framing on top of its own.
          const size = entry.bytes.length + 8;
          if (group.length > 0 && (group.length >= perFrame || groupBytes + size > maxBatchBytes)) {
            launch(group);
            group = [];
            groupBytes = 0;
          }
          if (group.length === 0) {
            if (frames >= maxFrames) break;
            frames += 1; // the slot of the frame being gathered
          }
          group.push(entry);
          groupBytes += size;
          passed = entry.seq;
        }
        if (group.length > 0) launch(group);
        cursor = passed;
        // Until a submit, an answered frame with room to send, or the head's next attempt.
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
      // Hashed once: the receipt must name this digest, and it is anchored.
      const digest = digestOf(entry.bytes);
      const info = await verifyReceipt(answer, {
        messageId: entry.messageId,
        sentBytes: entry.bytes,
        sentDigest: digest,
        partnerId,
        trustAnchorsPem: partner.agreement.trustAnchorsPem,
      });
      if (info.outcome === gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED) {
        throw new ExchangeRejectedError(
          info.errorCode || 'GNC_EXCHANGE_REJECTED',
          info.errorMessage || 'rejected by the partner',
        );
      }
      await this.options.store.markReceipted(entry, Buffer.from(answer), digest);
      this.metrics.sent(partnerId, entry.bytes.length, Date.now() - started);
      this.options.onExchanged?.({ direction: 'out', partnerId, messageId: entry.messageId });
      return true;
    } catch (error) {
      return this.attemptFailed(partner, entry, error);
    }
  }

  /**
   * Sends messages as one batch frame. The batch receipt must verify and answer every message
   * (its id, the digest of its bytes), or none of them counts as receipted; then each message has
   * its own outcome: accepted ones leave the outbox together (the receipt stored once), a
   * rejected one is a dead letter with the partner's error, as when it is sent alone. Resolves,
   * per message, true when it left the outbox, false when it waits for a retry.
   */
  private async sendFrame(partner: PartnerEdges, entries: readonly OutboxEntry[]): Promise<boolean[]> {
    const started = Date.now();
    const partnerId = partner.agreement.partnerId;
    const sent = entries.map((entry) => ({
      messageId: entry.messageId,
      bytes: entry.bytes,
      digest: digestOf(entry.bytes),
    }));
    let answer: Uint8Array;
    let receipts: gnc.v1.IReceiptInfo[];
    try {
      const frame = gnc.v1.MessageBatch.encode({ messages: entries.map((entry) => entry.bytes) }).finish();
      answer = await partner.out.transport.send(partner.peer, frame, { timeoutMs: 30_000, batch: true });
      receipts = await verifyBatchReceipt(answer, {
        sent,
        partnerId,
        trustAnchorsPem: partner.agreement.trustAnchorsPem,
      });
    } catch (error) {
      // A frame refused for what it is (more messages or bytes than the partner takes in one,
      // or a receiver that serves no batch frames) says nothing about its messages: each is sent
      // alone instead, with its own outcome, rather than all of them becoming dead letters.
      if (entries.length > 1 && refusedAsFrame(error)) {
        // Remembered for a while, so the next frames do not each cost a refused round trip first.
        this.framesRefusedUntil.set(partnerId, Date.now() + FRAME_REFUSAL_MEMORY_MS);
        this.options.log?.({
          event: 'frames-refused',
          partnerId,
          message: asError(error).message,
          sendingAloneForMs: FRAME_REFUSAL_MEMORY_MS,
        });
        return Promise.all(entries.map((entry) => this.sendOne(partner, entry)));
      }
      return Promise.all(entries.map((entry) => this.attemptFailed(partner, entry, error)));
    }
    const accepted: Array<{ entry: OutboxEntry; index: number; digest: Buffer }> = [];
    const rejected: Array<{ entry: OutboxEntry; info: gnc.v1.IReceiptInfo }> = [];
    receipts.forEach((info, index) => {
      const entry = entries[index]!;
      if (info.outcome === gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED) {
        accepted.push({ entry, index, digest: sent[index]!.digest });
      } else rejected.push({ entry, info });
    });
    await this.options.store.markReceiptedBatch(accepted, Buffer.from(answer));
    const elapsed = Date.now() - started;
    for (const { entry } of accepted) {
      this.metrics.sent(partnerId, entry.bytes.length, elapsed);
      this.options.onExchanged?.({ direction: 'out', partnerId, messageId: entry.messageId });
    }
    const failed = await Promise.all(
      rejected.map(({ entry, info }) =>
        this.attemptFailed(
          partner,
          entry,
          new ExchangeRejectedError(
            info.errorCode || 'GNC_EXCHANGE_REJECTED',
            info.errorMessage || 'rejected by the partner',
          ),
        ),
      ),
    );
    const leftRejected = new Map(rejected.map(({ entry }, index) => [entry.seq, failed[index] ?? false]));
    return entries.map((entry) => leftRejected.get(entry.seq) ?? true);
  }

  /**
   * A failed attempt at one message: a dead letter when the failure is not transient or the
   * attempts are used up, else queued again after a backoff. Resolves as sendOne does.
   */
  private async attemptFailed(partner: PartnerEdges, entry: OutboxEntry, error: unknown): Promise<boolean> {
    const partnerId = partner.agreement.partnerId;
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

  /**
   * Every inbound delivery passes here: a partner over its share (maxBatchesInFlight frames;
   * maxInFlight single messages, holding at most maxBatchesInFlight x maxBatchBytes, being
   * received at once) is answered 429 GNC_EXCHANGE_BUSY, which its sender retries after a
   * backoff, so no partner can make this node hold more than its agreement says. An unknown
   * partner goes on to be refused by the handler.
   */
  private async admit(kind: string, transport: Transport, delivery: InboundDelivery): Promise<Uint8Array> {
    const asFrame = delivery.batch === true && transport.carriesBatches;
    const handle = () => (asFrame ? this.receiveBatch(kind, delivery) : this.receive(kind, delivery));
    const partner = this.partners.get(delivery.partnerId);
    if (!partner) return handle();
    let share = this.receiving.get(delivery.partnerId);
    if (!share) this.receiving.set(delivery.partnerId, (share = { frames: 0, messages: 0, messageBytes: 0 }));
    const { maxBatchesInFlight, maxInFlight, maxBatchBytes } = partner.agreement;
    const size = delivery.bytes.length;
    // A single message is always let in when none is being received: the byte budget only bounds the sum.
    const overShare = asFrame
      ? share.frames >= maxBatchesInFlight
      : share.messages >= maxInFlight ||
        (share.messages > 0 && share.messageBytes + size > maxBatchesInFlight * maxBatchBytes);
    if (overShare) {
      throw this.refusal(
        delivery.partnerId,
        new ExchangeRejectedError(
          'GNC_EXCHANGE_BUSY',
          asFrame
            ? `${maxBatchesInFlight} batch frames from ${delivery.partnerId} are being received already (maxBatchesInFlight)`
            : `${maxInFlight} messages from ${delivery.partnerId} are being received already (maxInFlight)`,
          429,
        ),
      );
    }
    if (asFrame) share.frames += 1;
    else {
      share.messages += 1;
      share.messageBytes += size;
    }
    try {
      return await handle();
    } finally {
      if (asFrame) share.frames -= 1;
      else {
        share.messages -= 1;
        share.messageBytes -= size;
      }
    }
  }

  /** The partner an inbound delivery comes from, refused when unknown or on another transport than agreed. */
  private inboundPartner(transportKind: string, delivery: InboundDelivery): PartnerEdges {
    const partner = this.partners.get(delivery.partnerId);
    if (!partner)
      throw new ExchangeRejectedError('GNC_EXCHANGE_UNKNOWN_PARTNER', `no agreement with '${delivery.partnerId}'`, 403);
    if (partner.in.transportKind !== transportKind) {
      throw new ExchangeRejectedError(
        'GNC_EXCHANGE_NOT_AGREED',
        `${partner.agreement.partnerId} sends over ${partner.in.transportKind} by agreement, not ${transportKind}`,
        403,
      );
    }
    return partner;
  }

  /**
   * The checks every inbound message passes, alone or in a batch frame: size, security (signature,
   * decryption), format, header (ids, sender and receiver, replay window), the agreement's Utility
   * Blocks and the block's data set. Throws an ExchangeRejectedError (or the scheme's or format's
   * GncError) naming what is wrong.
   */
  private async checkMessage(
    partner: PartnerEdges,
    bytes: Uint8Array,
    /** Set to the message id as soon as the message is opened, so a later refusal can name it. */
    opened: { messageId: string } = { messageId: '' },
  ): Promise<{ messageId: string; utilityBlockId: string; envelope: gnc.v1.Envelope }> {
    const { agreement } = partner;
    if (bytes.length > agreement.maxMessageBytes) {
      throw new ExchangeRejectedError(
        'GNC_EXCHANGE_OVERSIZE',
        `message of ${bytes.length} bytes exceeds the ${agreement.maxMessageBytes} agreed`,
        413,
      );
    }
    const { payload } = await partner.in.security.open(bytes, partner.keys);
    const envelope = partner.in.format.decode(payload);
    const header = {
      messageId: envelope.header?.messageId ?? '',
      senderId: envelope.header?.senderId ?? '',
      receiverId: envelope.header?.receiverId ?? '',
      utilityBlockId: envelope.header?.utilityBlockId ?? '',
      createdAtMs: envelope.header?.createdAtMs ?? 0,
    };
    if (!header.messageId) throw new ExchangeRejectedError('GNC_EXCHANGE_BAD_HEADER', 'the message has no message id');
    opened.messageId = header.messageId;
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
    return { messageId: header.messageId, utilityBlockId: header.utilityBlockId, envelope };
  }

  /** A message is durable: counted, reported, and handed to onReceived (ledger, routing) without waiting for it. */
  private delivered(
    partnerId: string,
    messageId: string,
    message: { envelope: gnc.v1.Envelope; raw: Buffer; canonical: Buffer },
  ): void {
    this.options.onExchanged?.({ direction: 'in', partnerId, messageId });
    if (this.options.onReceived) {
      let body: Record<string, unknown> | undefined;
      const received = {
        partnerId,
        ...message,
        get body() {
          return (body ??= bodyObject(message.envelope));
        },
      };
      Promise.resolve(this.options.onReceived(received)).catch((error: unknown) =>
        this.options.log?.({ event: 'on-received-failed', messageId, message: asError(error).message }),
      );
    }
  }

  /** What goes back to the sender for a failure: the GncError itself, anything else as an internal error. */
  private refusal(partnerId: string, error: unknown): GncError {
    const err = asError(error);
    const code = err instanceof GncError ? err.code : 'GNC_EXCHANGE_INTERNAL';
    this.metrics.rejected(partnerId, code);
    this.options.log?.({ event: 'rejected', partnerId, code, message: err.message });
    return err instanceof GncError ? err : new GncError('GNC_EXCHANGE_INTERNAL', 'internal error', { cause: err });
  }

  private async receive(transportKind: string, delivery: InboundDelivery): Promise<Uint8Array> {
    const started = Date.now();
    try {
      const partner = this.inboundPartner(transportKind, delivery);
      const partnerId = partner.agreement.partnerId;
      const { messageId, utilityBlockId, envelope } = await this.checkMessage(partner, delivery.bytes);
      // Hashed once: the receipt names this digest and the dedupe record keeps it.
      const digest = digestOf(delivery.bytes);
      const receipt = await signReceiptInfo(
        this.options.signer,
        gnc.v1.ReceiptInfo.encode(
          receiptInfoOf({
            messageId,
            receivedDigest: digest,
            receiverId: this.options.nodeId,
            senderId: partnerId,
            outcome: gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED,
          }),
        ).finish(),
      );
      const raw = asBuffer(delivery.bytes);
      const canonical = asBuffer(gnc.v1.Envelope.encode(envelope).finish());
      const shared = this.options.sharedIndexOf?.({ partnerId, envelope });
      try {
        await this.options.store.acceptInbound({
          messageId,
          partnerId,
          utilityBlock: utilityBlockId,
          raw,
          digest,
          envelope: canonical,
          receipt,
          ...(shared ? { shared } : {}),
        });
      } catch (error) {
        if (error instanceof DuplicateMessageError) {
          // The sender did not get our first receipt (or replays): answer with the same receipt
          // (or, for a message first received in a batch, its entry signed on its own), deliver nothing twice.
          this.metrics.duplicate(partnerId);
          if ('receipt' in error.first) return error.first.receipt;
          return signReceiptInfo(this.options.signer, error.first.receiptInfo);
        }
        throw error;
      }
      this.metrics.received(partnerId, delivery.bytes.length, Date.now() - started);
      this.delivered(partnerId, messageId, { envelope, raw, canonical });
      return receipt;
    } catch (error) {
      throw this.refusal(delivery.partnerId, error);
    }
  }

  /**
   * A batch frame: every message goes through the checks a single message does; the accepted
   * ones are written in one durable batch, then ONE batch receipt answers them all, entry i for
   * message i: ACCEPTED (or, for a copy of a message received before, its first receipt's
   * entry) or REJECTED with that message's own error. Only what concerns the whole frame (an
   * unknown partner, a frame that does not decode or is too large, a failure of this node)
   * refuses the frame, with a typed error and nothing written.
   */
  private async receiveBatch(transportKind: string, delivery: InboundDelivery): Promise<Uint8Array> {
    const started = Date.now();
    try {
      const partner = this.inboundPartner(transportKind, delivery);
      const { agreement } = partner;
      const partnerId = agreement.partnerId;
      const maxFrameBytes = agreement.maxBatchBytes + agreement.maxMessageBytes;
      if (delivery.bytes.length > maxFrameBytes) {
        throw new ExchangeRejectedError(
          'GNC_EXCHANGE_OVERSIZE',
          `batch frame of ${delivery.bytes.length} bytes exceeds the ${maxFrameBytes} agreed (maxBatchBytes + maxMessageBytes)`,
          413,
        );
      }
      let messages: Uint8Array[];
      try {
        messages = gnc.v1.MessageBatch.decode(delivery.bytes).messages;
      } catch (error) {
        throw new GncError('GNC_EXCHANGE_BAD_BATCH', 'the batch frame does not decode as gnc.v1.MessageBatch', {
          httpStatus: 400,
          cause: error,
        });
      }
      if (messages.length === 0 || messages.length > agreement.maxBatchMessages) {
        throw new GncError(
          'GNC_EXCHANGE_BAD_BATCH',
          `a batch frame carries 1 to ${agreement.maxBatchMessages} messages, not ${messages.length}`,
          { httpStatus: 400 },
        );
      }
      const receivedAtMs = Date.now();
      // One record per message of the frame, in frame order: what the checks made of it and,
      // once the store has seen it, its outcome and its entry of the batch receipt.
      const records = await Promise.all(
        messages.map(async (bytes): Promise<FrameMessage> => {
          const opened = { messageId: '' };
          const raw = asBuffer(bytes);
          const digest = digestOf(raw);
          try {
            const { messageId, utilityBlockId, envelope } = await this.checkMessage(partner, raw, opened);
            const entry = this.receiptEntry(partnerId, messageId, digest, receivedAtMs);
            const shared = this.options.sharedIndexOf?.({ partnerId, envelope });
            const candidate: InboundCandidate = {
              messageId,
              utilityBlock: utilityBlockId,
              raw,
              digest,
              envelope: asBuffer(gnc.v1.Envelope.encode(envelope).finish()),
              receiptInfo: asBuffer(gnc.v1.ReceiptInfo.encode(entry).finish()),
              ...(shared ? { shared } : {}),
            };
            return { raw, digest, envelope, candidate, entry };
          } catch (error) {
            // The message's own fault goes into its entry; a failure of ours fails the frame (the sender retries it).
            if (error instanceof GncError && error.httpStatus < 500) {
              // A refused message is named by its id once it was opened; before that, by its digest alone.
              return {
                raw,
                digest,
                refused: error,
                entry: this.receiptEntry(partnerId, opened.messageId, digest, receivedAtMs, error),
              };
            }
            throw error;
          }
        }),
      );
      const accepting = records.filter((record) => record.candidate !== undefined);
      const { answer } = await this.options.store.acceptInboundBatch(
        partnerId,
        accepting.map((record) => record.candidate!),
        (outcomes) => {
          accepting.forEach((record, index) => {
            const outcome = outcomes[index]!;
            record.outcome = outcome;
            if (outcome.kind === 'replay') {
              record.entry = this.receiptEntry(
                partnerId,
                record.candidate!.messageId,
                record.digest,
                receivedAtMs,
                outcome.error,
              );
            } else if (outcome.kind === 'duplicate') {
              // A copy of a message received before is answered with its first entry.
              record.entry =
                'receiptInfo' in outcome.first
                  ? gnc.v1.ReceiptInfo.decode(outcome.first.receiptInfo)
                  : gnc.v1.ReceiptInfo.decode(gnc.v1.Receipt.decode(outcome.first.receipt).receiptInfo);
            }
          });
          return signBatchReceipt(this.options.signer, {
            receipts: records.map((record) => record.entry),
            receiverId: this.options.nodeId,
            senderId: partnerId,
          });
        },
      );
      const elapsed = Date.now() - started;
      for (const record of records) {
        const refusal = record.refused ?? (record.outcome?.kind === 'replay' ? record.outcome.error : undefined);
        if (refusal) {
          this.metrics.rejected(partnerId, refusal.code);
          this.options.log?.({ event: 'rejected', partnerId, code: refusal.code, message: refusal.message });
        } else if (record.outcome?.kind === 'duplicate') this.metrics.duplicate(partnerId);
        else if (record.outcome?.kind === 'accepted' && record.candidate && record.envelope) {
          this.metrics.received(partnerId, record.raw.length, elapsed);
          this.delivered(partnerId, record.candidate.messageId, {
            envelope: record.envelope,
            raw: record.raw,
            canonical: record.candidate.envelope,
          });
        }
      }
      return answer;
    } catch (error) {
      throw this.refusal(delivery.partnerId, error);
    }
  }

  /** A message's entry of a batch receipt: ACCEPTED, or REJECTED with `error`. */
  private receiptEntry(
    partnerId: string,
    messageId: string,
    digest: Buffer,
    receivedAtMs: number,
    error?: GncError,
  ): gnc.v1.IReceiptInfo {
    return receiptInfoOf({
      messageId,
      receivedDigest: digest,
      receivedAtMs,
      receiverId: this.options.nodeId,
      senderId: partnerId,
      outcome: error ? gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_REJECTED : gnc.v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  }

  private partner(partnerId: string): PartnerEdges {
    const partner = this.partners.get(partnerId);
    if (!partner)
      throw new ExchangeRejectedError('GNC_EXCHANGE_UNKNOWN_PARTNER', `no agreement with '${partnerId}'`, 404);
    return partner;
  }
}

/** How long a partner that refused a batch frame whole is sent single messages before frames are tried again. */
const FRAME_REFUSAL_MEMORY_MS = 10 * 60_000;

/**
 * Whether a batch frame was refused whole for its own shape, not its content: over the
 * partner's frame limits (maxBatchMessages, maxBatchBytes, the transport's maximum), or not
 * served at all (a receiver without batch frames answers http 404, or a libp2p protocol error).
 */
function refusedAsFrame(error: unknown): boolean {
  if (!(error instanceof TransportError) || error.transient) return false;
  if (error.code === TransportErrorCode.MESSAGE_TOO_LARGE) return true;
  if (error.remoteStatus === 404 || error.remoteCode === TransportErrorCode.PROTOCOL) return true;
  return error.remoteCode === 'GNC_EXCHANGE_BAD_BATCH' || error.remoteCode === 'GNC_EXCHANGE_OVERSIZE';
}

/**
 * The bytes as a Buffer without copying them: a message decoded from a frame is a view of the
 * frame, and an encoder's output is already a buffer of its own (the store copies what it writes).
 */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Serial numbers as the security schemes compare them: lower-case hex without leading zeros. */
function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

/** The body of an envelope as the JSON object the data sets speak of (proto JSON names, no defaults). */
function bodyObject(envelope: gnc.v1.Envelope): Record<string, unknown> {
  const kind = envelope.body;
  if (!kind) return {};
  const object = gnc.v1.Envelope.toObject(envelope, {
    longs: String,
    enums: String,
    bytes: String,
    defaults: false,
  }) as Record<string, unknown>;
  return (object[kind] ?? {}) as Record<string, unknown>;
}

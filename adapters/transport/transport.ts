/**
 * A transport: how bytes travel between two nodes (http over HTTP/2 with mutual TLS, libp2p;
 * later as4, filedrop). One implementation per transport in its own folder, registered in
 * adapters/transport/index.ts; every one passes test/compliance/transport-suite.ts.
 *
 * A transport carries opaque bytes (already sealed by the security scheme) and the receiver's
 * answer bytes (a signed receipt), and tells the receiver which authenticated peer sent them.
 * Failures are TransportErrors (transport-errors.ts) with a stable code and `transient`, which
 * is what the outbox's retry policy branches on.
 *
 * Batch frames: a transport whose partners all run gnc-node (http, libp2p) may carry a batch
 * frame (an encoded gnc.v1.MessageBatch, answered by one gnc.v1.ReceiptBatch) as a request of
 * its own kind, apart from single messages (http: another path; libp2p: another frame type), so
 * the receiver knows which it got without guessing from the bytes. Transports that speak a
 * business standard to partners that do not know the frame (as4, filedrop) say
 * `carriesBatches: false` and refuse a batch send; the node sends them one message per call.
 */

export interface TransportPeer {
  partnerId: string;
  /** Where to reach the partner for this transport (URL, multiaddr ...), from the agreement. */
  endpoint: string;
  /** CA certificates the partner's TLS / peer identity must chain to. */
  trustAnchorsPem: readonly string[];
  /** libp2p only: the partner's peer id, bound to its X.509 identity in the agreement. */
  peerId?: string;
  /**
   * When the agreement names it: the subject CN the partner's certificate must carry. Needed
   * when two partners share a CA, and a defence against a CA that issues to more than one party.
   */
  subjectCommonName?: string;
}

export interface InboundDelivery {
  /** The partner the connection authenticated as (from its TLS certificate or peer id). */
  partnerId: string;
  bytes: Uint8Array;
  /** True when `bytes` is a batch frame (gnc.v1.MessageBatch) and the answer must be a gnc.v1.ReceiptBatch. */
  batch?: boolean;
}

/**
 * Called for every inbound message; resolves with the answer bytes (a receipt) once the message
 * is durable, or rejects with a GncError whose code and message go back to the sender
 * (httpStatus 4xx: the sender must not retry; 5xx: it may).
 */
export type InboundHandler = (delivery: InboundDelivery) => Promise<Uint8Array>;

/** Per-call options of {@link Transport.send}. */
export interface SendOptions {
  /** Cancels the call; it then rejects with TransportError GNC_TRANSPORT_ABORTED. */
  signal?: AbortSignal;
  /** Deadline for the whole call (connect, send, answer); default from the transport's init. */
  timeoutMs?: number;
  /**
   * `bytes` is a batch frame (gnc.v1.MessageBatch); sent as such so the receiver hands it to its
   * batch handler. Only on a transport with `carriesBatches`; the others reject it (BAD_CONFIGURATION).
   */
  batch?: boolean;
}

export interface Transport {
  readonly name: string;
  /** Whether send({ batch: true }) and inbound batch deliveries exist on this transport (see above). */
  readonly carriesBatches: boolean;
  /**
   * Starts listening (port 0 = any free port on 127.0.0.1); returns the endpoint partners use.
   * May be called again after stop(): it then listens on the same port when it can, so the
   * endpoint in the partners' agreements stays valid.
   */
  start(handler: InboundHandler): Promise<string>;
  /** Sends `bytes` to `to` and resolves with its answer; rejects with a TransportError (transient or not). */
  send(to: TransportPeer, bytes: Uint8Array, options?: SendOptions): Promise<Uint8Array>;
  /** Closes the listener and every connection; calls still in flight reject with GNC_TRANSPORT_STOPPED. */
  stop(): Promise<void>;
}

/** Where a transport reports what it refused or failed at (pino-compatible: fastify's logger fits). */
export interface TransportLogger {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface TransportComponents {
  /** This node's TLS / peer identity: PEM chain, leaf first (see tls-certificates.ts). */
  certificatePem: string;
  /** PKCS#8 PEM key of the leaf (libp2p: Ed25519, it is also the libp2p peer key). */
  privateKeyPem: string;
  /** Inbound peers the transport accepts, by partner id. Read on every connection, so it may change. */
  peers: () => readonly TransportPeer[];
  /** Optional; refusals and handler failures are logged here (5xx details are never sent to the peer). */
  logger?: TransportLogger;
}

export type TransportFactory = (init: Record<string, unknown>) => (components: TransportComponents) => Transport;

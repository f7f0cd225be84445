import { createPrivateKey, type X509Certificate } from 'node:crypto';
import type { Connection, Stream } from '@libp2p/interface';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
// Types only: the values are loaded by loadModules(), see there.
import type { Multiaddr, multiaddr as MultiaddrFn } from '@multiformats/multiaddr' with { 'resolution-mode': 'import' };
import type { Libp2p, createLibp2p as CreateLibp2p } from 'libp2p' with { 'resolution-mode': 'import' };
import type { tcp as Tcp } from '@libp2p/tcp' with { 'resolution-mode': 'import' };
import type { noise as Noise } from '@chainsafe/libp2p-noise' with { 'resolution-mode': 'import' };
import type { yamux as Yamux } from '@chainsafe/libp2p-yamux' with { 'resolution-mode': 'import' };
import type * as LengthPrefixed from 'it-length-prefixed' with { 'resolution-mode': 'import' };
import { Type, type Static } from '@sinclair/typebox';
import { GncError, asError } from '../../../node/src/errors';
import { Slots, raceSignal, runSend, type CallContext } from '../call-context';
import {
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  checkPartnerChain,
  parsePemChain,
  peerIdsNamedBy,
  type ChainCheck,
} from '../peer-certificates';
import { peerIdOfEd25519Key } from '../tls-certificates';
import type {
  InboundHandler,
  SendOptions,
  Transport,
  TransportComponents,
  TransportFactory,
  TransportPeer,
} from '../transport';
import { TransportError, TransportErrorCode } from '../transport-errors';
import { CommonTransportOptions, parseTransportOptions } from '../transport-options';
import {
  EXCHANGE_PROTOCOL,
  FRAME_OVERHEAD_BYTES,
  FrameType,
  decodeFrame,
  encodeFrame,
  encodeJsonFrame,
  parseErrorBody,
  parseHello,
  type ErrorFrameBody,
  type Frame,
} from './frames';

/** Options of the libp2p transport (`init`), validated at construction. */
export const Libp2pTransportOptions = Type.Object(
  {
    /** Where to listen; a TCP multiaddr. Port 0 picks a free port on the first start, reused after. */
    listen: Type.String({ pattern: '^/ip[46]/[^/]+/tcp/\\d+$', default: '/ip4/127.0.0.1/tcp/0' }),
    ...CommonTransportOptions,
  },
  { additionalProperties: false },
);
export type Libp2pTransportOptions = Static<typeof Libp2pTransportOptions>;

/**
 * `libp2p`: TCP + Noise + Yamux and our own protocol '/gnc/exchange/1.0.0' (frames.ts).
 *
 * Identity: the node's libp2p key is the Ed25519 key of its transport certificate
 * (components.privateKeyPem), and that certificate, issued by the node's CA, names the peer id in
 * a subjectAltName URI `libp2p:peer-id:<id>`. On every connection, both directions:
 * 1. Noise proves the remote holds the key of its peer id;
 * 2. that peer id must be the one in the partner's agreement (TransportPeer.peerId);
 * 3. in the HELLO frame the remote presents its certificate chain, which must chain to the
 *    partner's trust anchors, name that peer id, certify that very key, and carry the subject CN
 *    the agreement names, if any.
 * Anything else is refused with a typed error (PEER_UNKNOWN, PEER_UNTRUSTED) and the connection
 * is closed.
 */
export const libp2p: TransportFactory = (init) => {
  const options = parseTransportOptions('libp2p', Libp2pTransportOptions, init);
  return (components) => new Libp2pTransport(options, components);
};

interface Modules {
  createLibp2p: typeof CreateLibp2p;
  tcp: typeof Tcp;
  noise: typeof Noise;
  yamux: typeof Yamux;
  multiaddr: typeof MultiaddrFn;
  lp: typeof LengthPrefixed;
}

let modules: Promise<Modules> | undefined;

/**
 * The project compiles to CommonJS and some of these packages are ESM-only (no `require`
 * export), so they are loaded with a real dynamic import the first time a libp2p transport
 * starts, and only then: nodes that do not use libp2p never load it.
 */
function loadModules(): Promise<Modules> {
  modules ??= Promise.all([
    import('libp2p'),
    import('@libp2p/tcp'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@multiformats/multiaddr'),
    import('it-length-prefixed'),
  ]).then(([libp2pModule, tcpModule, noiseModule, yamuxModule, multiaddrModule, lpModule]) => ({
    createLibp2p: libp2pModule.createLibp2p,
    tcp: tcpModule.tcp,
    noise: noiseModule.noise,
    yamux: yamuxModule.yamux,
    multiaddr: multiaddrModule.multiaddr,
    lp: lpModule,
  }));
  return modules;
}

class Libp2pTransport implements Transport {
  readonly name = 'libp2p';
  readonly carriesBatches = true;
  private node: Libp2p | undefined;
  private mods: Modules | undefined;
  private boundListen: string | undefined;
  private lifetime = new AbortController();
  private localChain: string[] = [];
  /** Connections whose dialer (the remote) passed our HELLO checks: partner id. */
  private readonly inboundAuth = new WeakMap<Connection, string>();
  /** Connections on which we (the dialer) ran HELLO: resolves once both sides are verified. */
  private readonly outboundAuth = new WeakMap<Connection, Promise<void>>();
  private readonly slots = new WeakMap<Connection, Slots>();

  constructor(
    private readonly options: Readonly<Libp2pTransportOptions>,
    private readonly components: TransportComponents,
  ) {
    this.lifetime.abort();
  }

  async start(handler: InboundHandler): Promise<string> {
    if (this.node) return this.endpointOf(this.node);
    const mods = (this.mods = await loadModules());
    const privateKey = await this.loadIdentity();
    const streamLimit = this.options.maxConcurrentStreams + 16;
    const listen = this.boundListen ?? this.options.listen;
    let node: Libp2p;
    try {
      node = await mods.createLibp2p({
        privateKey,
        addresses: { listen: [listen] },
        transports: [mods.tcp()],
        connectionEncrypters: [mods.noise()],
        streamMuxers: [
          mods.yamux({
            maxInboundStreams: streamLimit,
            maxOutboundStreams: streamLimit,
            // Yamux aborts a stream whose unread data passes this (4 MiB by default); one frame
            // of the largest allowed message must fit.
            streamOptions: { maxReadBufferLength: this.options.maxMessageBytes + 2 * FRAME_OVERHEAD_BYTES },
          }),
        ],
        connectionManager: {
          // Partners reconnect after every restart; the default of 5 a second per host would
          // refuse a node that restarts twice in a second.
          inboundConnectionThreshold: 100,
        },
      });
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `cannot start libp2p on ${listen}: ${asError(error).message}`,
        { transient: true, cause: error },
      );
    }
    this.lifetime = new AbortController();
    const lifetime = this.lifetime.signal;
    await node.handle(EXCHANGE_PROTOCOL, (stream, connection) => this.onStream(stream, connection, handler, lifetime), {
      maxInboundStreams: streamLimit,
      maxOutboundStreams: streamLimit,
    });
    node.addEventListener('connection:open', (event) => this.watchHandshake(event.detail, lifetime));
    this.node = node;
    const endpoint = this.endpointOf(node);
    // Keep the port for restarts: partners' agreements hold this endpoint.
    this.boundListen = endpoint.replace(/\/p2p\/.*$/, '');
    return endpoint;
  }

  async send(to: TransportPeer, bytes: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    return runSend(
      {
        lifetime: this.lifetime.signal,
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
        partnerId: to.partnerId,
        bytes,
        maxMessageBytes: this.options.maxMessageBytes,
      },
      (error) => classify(error, to.partnerId),
      async (call) => {
        const node = this.node;
        if (!node) throw call.failure() ?? stoppedError(to.partnerId);
        const connection = await this.connect(node, to, call);
        let slots = this.slots.get(connection);
        if (!slots) this.slots.set(connection, (slots = new Slots(this.options.maxConcurrentStreams)));
        await slots.acquire(call.signal);
        try {
          return await this.exchange(connection, to, bytes, call, options.batch ? FrameType.BATCH : FrameType.MESSAGE);
        } finally {
          slots.release();
        }
      },
    );
  }

  async stop(): Promise<void> {
    this.lifetime.abort();
    const node = this.node;
    this.node = undefined;
    // Closes the listener and every connection; pending sends already rejected with STOPPED.
    if (node) await node.stop();
  }

  // ---- identity ----------------------------------------------------------------------------

  private async loadIdentity() {
    const { certificatePem, privateKeyPem } = this.components;
    try {
      const key = createPrivateKey(privateKeyPem);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('the libp2p transport needs an Ed25519 key');
      const seed = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
      const privateKey = await generateKeyPairFromSeed('Ed25519', seed);
      const peerId = peerIdFromPrivateKey(privateKey).toString();
      const chain = parsePemChain(certificatePem);
      const leaf = chain[0];
      if (!leaf) throw new Error('no certificate in certificatePem');
      if (peerIdOfEd25519Key(leaf) !== peerId) throw new Error('the certificate is not for the private key');
      if (!peerIdsNamedBy(leaf).includes(peerId)) {
        throw new Error(`the certificate does not name peer id ${peerId} in a subjectAltName URI libp2p:peer-id:`);
      }
      this.localChain = chain.map((cert) => cert.toString());
      return privateKey;
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `unusable libp2p identity: ${asError(error).message}`,
        { transient: false, cause: error },
      );
    }
  }

  /**
   * Checks the chain a remote presented in HELLO: it chains to the partner's anchors (and CN),
   * names the peer id Noise authenticated, and certifies that peer's key.
   */
  private checkRemoteChain(
    certificates: readonly string[],
    partner: TransportPeer,
    remotePeerId: string,
    purpose: typeof EKU_CLIENT_AUTH | typeof EKU_SERVER_AUTH,
  ): ChainCheck {
    let chain: X509Certificate[];
    try {
      chain = certificates.flatMap((pem) => parsePemChain(pem));
    } catch (error) {
      return { ok: false, reason: `unreadable certificate: ${asError(error).message}` };
    }
    const check = checkPartnerChain(chain, partner, new Date(), purpose);
    if (!check.ok) return check;
    const leaf = chain[0] as X509Certificate;
    if (!peerIdsNamedBy(leaf).includes(remotePeerId)) {
      return { ok: false, reason: `the certificate does not name peer id ${remotePeerId}` };
    }
    try {
      if (peerIdOfEd25519Key(leaf) !== remotePeerId) {
        return { ok: false, reason: `the certificate's key is not the key of peer ${remotePeerId}` };
      }
    } catch (error) {
      return { ok: false, reason: asError(error).message };
    }
    return { ok: true };
  }

  // ---- dialer side -------------------------------------------------------------------------

  private async connect(node: Libp2p, to: TransportPeer, call: CallContext): Promise<Connection> {
    const address = this.addressOf(to);
    const connection = await node.dial(address, { signal: call.signal });
    if (connection.remotePeer.toString() !== to.peerId) {
      // libp2p already refuses a Noise peer other than the /p2p/ of the address; belt and braces.
      void connection.close().catch(() => undefined);
      throw new TransportError(
        TransportErrorCode.PEER_UNTRUSTED,
        `${to.partnerId} answered as peer ${connection.remotePeer.toString()}, not ${to.peerId ?? ''}`,
        { transient: false, partnerId: to.partnerId },
      );
    }
    let hello = this.outboundAuth.get(connection);
    if (!hello) {
      hello = this.hello(connection, to);
      this.outboundAuth.set(connection, hello);
      hello.catch(() => {
        this.outboundAuth.delete(connection);
        void connection.close().catch(() => undefined);
      });
    }
    await raceSignal(hello, call.signal);
    return connection;
  }

  /** HELLO on a new connection; shared by every send on it, so bounded by its own deadline. */
  private async hello(connection: Connection, to: TransportPeer): Promise<void> {
    const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.options.handshakeTimeoutMs)]);
    const stream = await connection.newStream(EXCHANGE_PROTOCOL, { signal });
    const answer = await this.roundTrip(
      stream,
      encodeJsonFrame(FrameType.HELLO, { version: 1, certificates: this.localChain }),
      FRAME_OVERHEAD_BYTES,
      signal,
    );
    if (answer.type === FrameType.ERROR) throw refusal(parseErrorBody(answer.body), to.partnerId);
    if (answer.type !== FrameType.HELLO_ACCEPTED)
      throw protocolError(to.partnerId, `frame type ${answer.type} in answer to HELLO`);
    let certificates: string[];
    try {
      certificates = parseHello(answer.body).certificates;
    } catch (error) {
      throw protocolError(to.partnerId, asError(error).message);
    }
    const check = this.checkRemoteChain(certificates, to, connection.remotePeer.toString(), EKU_SERVER_AUTH);
    if (!check.ok) {
      throw new TransportError(
        TransportErrorCode.PEER_UNTRUSTED,
        `${to.partnerId} did not prove the identity of its agreement: ${check.reason}`,
        { transient: false, partnerId: to.partnerId },
      );
    }
  }

  private async exchange(
    connection: Connection,
    to: TransportPeer,
    bytes: Uint8Array,
    call: CallContext,
    type: typeof FrameType.MESSAGE | typeof FrameType.BATCH,
  ): Promise<Uint8Array> {
    // Optimistic protocol selection: the protocol id travels with the frame, saving a round trip
    // per message (the remote speaks it: the HELLO just proved so).
    const stream = await connection.newStream(EXCHANGE_PROTOCOL, { signal: call.signal, negotiateFully: false });
    const answer = await this.roundTrip(
      stream,
      encodeFrame(type, bytes),
      this.options.maxMessageBytes + FRAME_OVERHEAD_BYTES,
      call.signal,
    );
    if (answer.type === FrameType.ANSWER) return answer.body;
    if (answer.type === FrameType.ERROR) {
      const body = parseErrorBody(answer.body);
      if (body.code === TransportErrorCode.MESSAGE_TOO_LARGE) {
        return Promise.reject(
          new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `${to.partnerId}: ${body.message}`, {
            transient: false,
            partnerId: to.partnerId,
            remoteCode: body.code,
          }),
        );
      }
      if (body.code === TransportErrorCode.PEER_UNKNOWN || body.code === TransportErrorCode.PEER_UNTRUSTED) {
        return Promise.reject(refusal(body, to.partnerId));
      }
      return Promise.reject(
        new TransportError(TransportErrorCode.REMOTE_ERROR, `${to.partnerId} answered ${body.code}: ${body.message}`, {
          transient: body.transient,
          partnerId: to.partnerId,
          remoteCode: body.code,
        }),
      );
    }
    return Promise.reject(
      protocolError(
        to.partnerId,
        `frame type ${answer.type} in answer to ${type === FrameType.BATCH ? 'BATCH' : 'MESSAGE'}`,
      ),
    );
  }

  /** Writes one frame, half-closes, reads one frame; aborts the stream if `signal` fires. */
  private async roundTrip(
    stream: Stream,
    frame: Uint8Array,
    maxAnswerBytes: number,
    signal: AbortSignal,
  ): Promise<Frame> {
    const onAbort = () => stream.abort(asError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.writeFrame(stream, frame, signal);
      await stream.close({ signal });
      return await this.readFrame(stream, maxAnswerBytes, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  // ---- listener side -----------------------------------------------------------------------

  /** A connection that has not said HELLO (either way) within the handshake deadline is dropped. */
  private watchHandshake(connection: Connection, lifetime: AbortSignal): void {
    const timer = setTimeout(() => {
      if (lifetime.aborted || this.inboundAuth.has(connection) || this.outboundAuth.has(connection)) return;
      this.components.logger?.warn(
        { remotePeer: connection.remotePeer.toString(), remoteAddr: connection.remoteAddr.toString() },
        'closed a libp2p connection that did not authenticate in time',
      );
      void connection.close().catch(() => undefined);
    }, this.options.handshakeTimeoutMs);
    timer.unref();
  }

  private async onStream(
    stream: Stream,
    connection: Connection,
    handler: InboundHandler,
    lifetime: AbortSignal,
  ): Promise<void> {
    const signal = AbortSignal.any([lifetime, AbortSignal.timeout(this.options.timeoutMs)]);
    const onAbort = () => stream.abort(asError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const answer = await this.serve(stream, connection, handler, signal);
      await this.writeFrame(stream, answer.frame, signal);
      await stream.close({ signal });
      if (answer.hangUp) void connection.close().catch(() => undefined);
    } catch (error) {
      // The dialer went away or broke the protocol; nothing to answer.
      stream.abort(asError(error));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Decides the answer frame to one inbound stream; `hangUp` closes the connection after it. */
  private async serve(
    stream: Stream,
    connection: Connection,
    handler: InboundHandler,
    signal: AbortSignal,
  ): Promise<{ frame: Uint8Array; hangUp?: boolean }> {
    const remotePeerId = connection.remotePeer.toString();
    const refuse = (body: ErrorFrameBody) => {
      this.components.logger?.warn(
        { remotePeer: remotePeerId, code: body.code, reason: body.message },
        'refused a libp2p peer',
      );
      return { frame: encodeJsonFrame(FrameType.ERROR, body), hangUp: true };
    };
    const partner = this.components.peers().find((peer) => peer.peerId === remotePeerId);
    let request: Frame;
    try {
      request = await this.readFrame(stream, this.options.maxMessageBytes + FRAME_OVERHEAD_BYTES, signal);
    } catch (error) {
      if (isTooLong(error)) {
        return {
          frame: encodeJsonFrame(FrameType.ERROR, {
            code: TransportErrorCode.MESSAGE_TOO_LARGE,
            message: `the message exceeds the maximum of ${this.options.maxMessageBytes} bytes`,
            transient: false,
          }),
        };
      }
      throw error;
    }
    if (!partner) {
      return refuse({
        code: TransportErrorCode.PEER_UNKNOWN,
        message: `peer ${remotePeerId} is not in any agreement`,
        transient: false,
      });
    }
    if (request.type === FrameType.HELLO) {
      let certificates: string[];
      try {
        certificates = parseHello(request.body).certificates;
      } catch (error) {
        return refuse({ code: TransportErrorCode.PROTOCOL, message: asError(error).message, transient: false });
      }
      const check = this.checkRemoteChain(certificates, partner, remotePeerId, EKU_CLIENT_AUTH);
      if (!check.ok) {
        return refuse({ code: TransportErrorCode.PEER_UNTRUSTED, message: check.reason, transient: false });
      }
      this.inboundAuth.set(connection, partner.partnerId);
      return { frame: encodeJsonFrame(FrameType.HELLO_ACCEPTED, { version: 1, certificates: this.localChain }) };
    }
    if (request.type !== FrameType.MESSAGE && request.type !== FrameType.BATCH) {
      return refuse({
        code: TransportErrorCode.PROTOCOL,
        message: `unexpected frame type ${request.type}`,
        transient: false,
      });
    }
    if (this.inboundAuth.get(connection) !== partner.partnerId) {
      return refuse({
        code: TransportErrorCode.PEER_UNTRUSTED,
        message: `${request.type === FrameType.BATCH ? 'BATCH' : 'MESSAGE'} before a successful HELLO on this connection`,
        transient: false,
      });
    }
    const maxBody = this.options.maxMessageBytes;
    if (request.body.byteLength > maxBody) {
      return {
        frame: encodeJsonFrame(FrameType.ERROR, {
          code: TransportErrorCode.MESSAGE_TOO_LARGE,
          message: `the message exceeds the maximum of ${maxBody} bytes`,
          transient: false,
        }),
      };
    }
    try {
      const delivery =
        request.type === FrameType.BATCH
          ? { partnerId: partner.partnerId, bytes: request.body, batch: true }
          : { partnerId: partner.partnerId, bytes: request.body };
      const answer = await handler(delivery);
      return { frame: encodeFrame(FrameType.ANSWER, answer) };
    } catch (error) {
      return { frame: encodeJsonFrame(FrameType.ERROR, this.describeHandlerError(error, partner.partnerId)) };
    }
  }

  /** A GncError goes back with its code; 5xx ones are transient. Anything else is logged, not shown. */
  private describeHandlerError(error: unknown, partnerId: string): ErrorFrameBody {
    if (error instanceof GncError) {
      const transient = error.httpStatus >= 500 || error.httpStatus === 408 || error.httpStatus === 429;
      if (error.httpStatus >= 500) this.components.logger?.error({ err: error, partnerId }, 'inbound message failed');
      return { code: error.code, message: error.message, transient };
    }
    this.components.logger?.error({ err: error, partnerId }, 'inbound handler threw a non-GncError');
    return { code: 'GNC_INTERNAL', message: 'internal error', transient: true };
  }

  // ---- framing -----------------------------------------------------------------------------

  private async writeFrame(stream: Stream, frame: Uint8Array, signal: AbortSignal): Promise<void> {
    const mods = this.mods as Modules;
    if (!stream.send(mods.lp.encode.single(frame))) await stream.onDrain({ signal });
  }

  private async readFrame(stream: Stream, maxBytes: number, signal: AbortSignal): Promise<Frame> {
    const mods = this.mods as Modules;
    const frames = mods.lp.decode(stream, { maxDataLength: maxBytes });
    try {
      for await (const data of frames) {
        return decodeFrame(data.subarray());
      }
    } finally {
      await frames.return(undefined);
    }
    if (signal.aborted) throw asError(signal.reason);
    throw new Error('the stream ended before a frame');
  }

  private addressOf(to: TransportPeer): Multiaddr {
    const mods = this.mods as Modules;
    if (!to.peerId) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `the agreement of ${to.partnerId} has no peer id`,
        {
          transient: false,
          partnerId: to.partnerId,
        },
      );
    }
    try {
      const address = mods.multiaddr(to.endpoint);
      const named = address.getComponents().find((component) => component.name === 'p2p')?.value;
      if (named !== undefined && named !== to.peerId) {
        throw new Error(`it names peer ${named}, the agreement ${to.peerId}`);
      }
      return named === undefined ? address.encapsulate(`/p2p/${to.peerId}`) : address;
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `endpoint '${to.endpoint}' of ${to.partnerId} is not usable: ${asError(error).message}`,
        { transient: false, partnerId: to.partnerId, cause: error },
      );
    }
  }

  private endpointOf(node: Libp2p): string {
    const address = node.getMultiaddrs()[0];
    if (!address)
      throw new TransportError(TransportErrorCode.BAD_CONFIGURATION, 'libp2p has no listen address', {
        transient: false,
      });
    return address.toString();
  }
}

function stoppedError(partnerId: string): TransportError {
  return new TransportError(TransportErrorCode.STOPPED, 'the transport is stopped', { transient: true, partnerId });
}

function protocolError(partnerId: string, detail: string): TransportError {
  return new TransportError(TransportErrorCode.PROTOCOL, `${partnerId} broke ${EXCHANGE_PROTOCOL}: ${detail}`, {
    transient: false,
    partnerId,
  });
}

function refusal(body: ErrorFrameBody, partnerId: string): TransportError {
  return new TransportError(TransportErrorCode.PEER_REFUSED, `${partnerId} refused us: ${body.message}`, {
    transient: false,
    partnerId,
    remoteCode: body.code,
  });
}

function isTooLong(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'InvalidDataLengthError' || error.name === 'InvalidMessageLengthError')
  );
}

// Errors libp2p raises when the remote is not the peer the address names.
const WRONG_PEER_ERRORS = new Set(['UnexpectedPeerError', 'InvalidPeerIdError']);
// libp2p's upgrader rewraps Noise's UnexpectedPeerError as EncryptionFailedError(message) and
// drops the cause, so the message is all that is left to recognise it by (libp2p 3.3).
const WRONG_PEER_MESSAGE = /does not match expected remote identity key|unexpected peer/i;

/** The error, its causes and, for an AggregateError, its members: libp2p wraps dial failures. */
function causes(error: Error, depth = 0): Error[] {
  if (depth > 4) return [error];
  const nested = [
    ...(error.cause instanceof Error ? [error.cause] : []),
    ...(error instanceof AggregateError ? error.errors.map(asError) : []),
  ];
  return [error, ...nested.flatMap((inner) => causes(inner, depth + 1))];
}

function classify(error: unknown, partnerId: string): TransportError {
  if (error instanceof TransportError) return error;
  const err = asError(error);
  if (causes(err).some((e) => WRONG_PEER_ERRORS.has(e.name) || WRONG_PEER_MESSAGE.test(e.message))) {
    return new TransportError(
      TransportErrorCode.PEER_UNTRUSTED,
      `the peer at the endpoint of ${partnerId} is not the one of its agreement: ${err.message}`,
      { transient: false, partnerId, cause: err },
    );
  }
  return new TransportError(TransportErrorCode.UNREACHABLE, `cannot reach ${partnerId}: ${err.message}`, {
    transient: true,
    partnerId,
    cause: err,
  });
}

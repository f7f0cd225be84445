import http2, {
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { GncError, asError } from '../../../node/src/errors';
import { raceSignal, runSend, type CallContext } from '../call-context';
import { EKU_CLIENT_AUTH, commonNameOf, matchPartner, parsePemChain, type PartnerMatch } from '../peer-certificates';
import type {
  InboundHandler,
  SendOptions,
  Transport,
  TransportComponents,
  TransportLogger,
  TransportFactory,
  TransportPeer,
} from '../transport';
import { TransportError, TransportErrorCode } from '../transport-errors';
import { CommonTransportOptions, parseTransportOptions } from '../transport-options';
import { classifyTlsFailure, listenOn, presentedChain, unreachable, urlHost } from '../tls-peer';

/** The route of one message: POST the sealed message, get the receipt back. */
export const MESSAGES_PATH = '/gnc/v1/messages';
/** The route of a batch frame: POST an encoded gnc.v1.MessageBatch, get the gnc.v1.ReceiptBatch back. */
export const BATCHES_PATH = '/gnc/v1/batches';

/** Options of the http transport (`init`), validated at construction. */
export const HttpTransportOptions = Type.Object(
  {
    /** Address to listen on. 127.0.0.1 unless the node really must be reachable from elsewhere. */
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** 0 picks a free port on the first start; later starts reuse the port first bound. */
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 0 }),
    ...CommonTransportOptions,
  },
  { additionalProperties: false },
);
export type HttpTransportOptions = Static<typeof HttpTransportOptions>;

/**
 * `http`: HTTP/2 over TLS with mutual authentication. The server asks every client for a
 * certificate and attributes the connection to the one partner whose trust anchors it chains to
 * (and whose subject CN it carries when the agreement names one); the client trusts only the
 * anchors of the partner it calls. One HTTP/2 session per partner carries all its messages.
 */
export const http: TransportFactory = (init) => {
  const options = parseTransportOptions('http', HttpTransportOptions, init);
  return (components) => new HttpTransport(options, components);
};

/**
 * HTTP/2 flow-control windows. The protocol's default, 64 KiB per stream and per connection, lets
 * a sender put only 64 KiB on the wire before it must wait for a WINDOW_UPDATE, which the
 * receiver sends only from its event loop as it reads: a batch frame of a few hundred KiB then
 * crosses in many round trips, each waiting behind whatever the receiver's loop is doing (opening
 * the previous frame's messages), which shows in the latency tail. A stream's window holds one
 * whole request (the message limit, up to 8 MiB); the connection's several of them at once.
 * Memory is not what these bound: a request is read in full, up to maxMessageBytes, either way.
 */
function streamWindowBytes(maxMessageBytes: number): number {
  return Math.max(65_535, Math.min(maxMessageBytes + 16 * 1024, 8 * 1024 * 1024));
}

function connectionWindowBytes(maxMessageBytes: number): number {
  return Math.min(4 * streamWindowBytes(maxMessageBytes), 32 * 1024 * 1024);
}

interface ClientEntry {
  readonly session: ClientHttp2Session;
  readonly ready: Promise<void>;
}

interface ErrorBody {
  code: string;
  message: string;
}

class HttpTransport implements Transport {
  readonly name = 'http';
  readonly carriesBatches = true;
  private server: Http2SecureServer | undefined;
  private endpoint: string | undefined;
  private boundPort: number | undefined;
  private lifetime = new AbortController();
  private running = false;
  private readonly inbound = new Set<ServerHttp2Session>();
  private readonly authentication = new WeakMap<ServerHttp2Session, PartnerMatch>();
  private readonly clients = new Map<string, ClientEntry>();

  constructor(
    private readonly options: Readonly<HttpTransportOptions>,
    private readonly components: TransportComponents,
  ) {
    this.lifetime.abort();
  }

  async start(handler: InboundHandler): Promise<string> {
    if (this.running && this.endpoint) return this.endpoint;
    const { certificatePem, privateKeyPem } = this.components;
    try {
      if (parsePemChain(certificatePem).length === 0) throw new Error('no certificate in certificatePem');
      createPrivateKey(privateKeyPem);
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `unusable transport identity: ${asError(error).message}`,
        {
          transient: false,
          cause: error,
        },
      );
    }
    const server = http2.createSecureServer({
      key: privateKeyPem,
      cert: certificatePem,
      // We ask for a certificate but judge it ourselves against the *current* agreements
      // (peers() may change while we run) and answer a refusal as a typed 403 the sender can
      // classify, instead of a TLS alert that looks like a network failure.
      requestCert: true,
      rejectUnauthorized: false,
      allowHTTP1: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: this.options.handshakeTimeoutMs,
      maxSessionMemory: 64,
      settings: {
        maxConcurrentStreams: this.options.maxConcurrentStreams,
        enablePush: false,
        initialWindowSize: streamWindowBytes(this.options.maxMessageBytes),
      },
    });
    server.on('session', (session) => this.onSession(session));
    server.on('stream', (stream, headers) => this.onStream(stream, headers, handler));
    server.on('tlsClientError', (error: Error, socket: TLSSocket) =>
      this.components.logger?.warn({ err: error, remoteAddress: socket.remoteAddress }, 'TLS handshake failed'),
    );
    this.boundPort = await listenOn(server, this.options.host, this.boundPort ?? this.options.port);
    this.server = server;
    this.endpoint = `https://${urlHost(this.options.host)}:${this.boundPort}`;
    this.lifetime = new AbortController();
    this.running = true;
    return this.endpoint;
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
      (error) => this.classify(error, to.partnerId),
      async (call) => {
        const entry = this.clientFor(to);
        await raceSignal(entry.ready, call.signal);
        return await this.request(entry, to, bytes, call, options.batch ? BATCHES_PATH : MESSAGES_PATH);
      },
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.lifetime.abort();
    for (const { session } of this.clients.values()) session.destroy();
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    // Inbound messages still in their handler are cut: their senders see a transient error and
    // retry, and the receiving pipeline dedupes by message id.
    for (const session of this.inbound) session.destroy();
    this.inbound.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- server side -------------------------------------------------------------------------

  private onSession(session: ServerHttp2Session): void {
    this.inbound.add(session);
    if (!session.destroyed) session.setLocalWindowSize(connectionWindowBytes(this.options.maxMessageBytes));
    session.once('close', () => this.inbound.delete(session));
    session.on('error', (error) => this.components.logger?.warn({ err: error }, 'inbound HTTP/2 session failed'));
    const socket = session.socket as TLSSocket;
    let match: PartnerMatch;
    try {
      match = matchPartner(presentedChain(socket), this.components.peers(), new Date(), EKU_CLIENT_AUTH);
    } catch (error) {
      match = { ok: false, unknown: true, reason: `unreadable client certificate: ${asError(error).message}` };
    }
    if (!match.ok) {
      this.components.logger?.warn(
        { remoteAddress: socket.remoteAddress, reason: match.reason },
        'refused an inbound connection',
      );
    }
    this.authentication.set(session, match);
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, handler: InboundHandler): void {
    stream.on('error', () => undefined); // a reset by the client is not our failure; the close tidies up
    const logger = this.components.logger;
    const match = this.authentication.get(stream.session as ServerHttp2Session);
    if (!match?.ok) {
      const code = match?.unknown === false ? TransportErrorCode.PEER_UNTRUSTED : TransportErrorCode.PEER_UNKNOWN;
      respondError(stream, 403, { code, message: `refused: ${match?.reason ?? 'not authenticated'}` }, logger);
      // Nothing this connection sends can be accepted; let the answers drain, then hang up.
      stream.session?.close();
      return;
    }
    const partnerId = match.partner.partnerId;
    if (!this.components.peers().some((peer) => peer.partnerId === partnerId)) {
      respondError(
        stream,
        403,
        {
          code: TransportErrorCode.PEER_UNKNOWN,
          message: `refused: partner ${partnerId} is no longer in the agreements`,
        },
        logger,
      );
      stream.session?.close();
      return;
    }
    const path = headers[':path'];
    if (headers[':method'] !== 'POST' || (path !== MESSAGES_PATH && path !== BATCHES_PATH)) {
      respondError(
        stream,
        404,
        {
          code: TransportErrorCode.PROTOCOL,
          message: `only POST ${MESSAGES_PATH} and POST ${BATCHES_PATH} are served`,
        },
        logger,
      );
      return;
    }
    const batch = path === BATCHES_PATH;
    const max = this.options.maxMessageBytes;
    const tooLarge = () =>
      respondError(
        stream,
        413,
        { code: TransportErrorCode.MESSAGE_TOO_LARGE, message: `the message exceeds the maximum of ${max} bytes` },
        logger,
        true,
      );
    const declared = Number(headers['content-length'] ?? NaN);
    if (declared > max) return tooLarge();

    // A sender that opens a stream and stalls must not hold it (and its memory) forever.
    stream.setTimeout(this.options.timeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    stream.on('data', (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > max) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (refused) return;
      const bytes = new Uint8Array(Buffer.concat(chunks, received));
      handler(batch ? { partnerId, bytes, batch } : { partnerId, bytes }).then(
        (answer) => respond(stream, 200, 'application/octet-stream', answer, logger),
        (error: unknown) => respondError(stream, ...this.describeHandlerError(error, partnerId), logger),
      );
    });
  }

  /** A GncError goes back with its code and status; anything else is our bug: logged, not shown. */
  private describeHandlerError(error: unknown, partnerId: string): [number, ErrorBody] {
    if (error instanceof GncError) {
      const status = error.httpStatus >= 400 && error.httpStatus <= 599 ? error.httpStatus : 500;
      if (status >= 500) this.components.logger?.error({ err: error, partnerId }, 'inbound message failed');
      return [status, { code: error.code, message: error.message }];
    }
    this.components.logger?.error({ err: error, partnerId }, 'inbound handler threw a non-GncError');
    return [500, { code: 'GNC_INTERNAL', message: 'internal error' }];
  }

  // ---- client side -------------------------------------------------------------------------

  private clientFor(to: TransportPeer): ClientEntry {
    const key = `${to.partnerId}\n${to.endpoint}`;
    const cached = this.clients.get(key);
    if (cached && !cached.session.closed && !cached.session.destroyed) return cached;

    let url: URL;
    try {
      url = new URL(to.endpoint);
      if (url.protocol !== 'https:') throw new Error('the scheme must be https');
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `endpoint '${to.endpoint}' of ${to.partnerId} is not an https URL: ${asError(error).message}`,
        { transient: false, partnerId: to.partnerId, cause: error },
      );
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const session = http2.connect(url.origin, {
      // Only the partner's own anchors: a certificate from any other CA (public ones included)
      // fails the handshake.
      ca: [...to.trustAnchorsPem],
      cert: this.components.certificatePem,
      key: this.components.privateKeyPem,
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
      minVersion: 'TLSv1.2',
      maxSessionMemory: 64,
      settings: { enablePush: false, initialWindowSize: streamWindowBytes(this.options.maxMessageBytes) },
      checkServerIdentity: (host: string, cert: PeerCertificate) => {
        const hostError = checkServerIdentity(host, cert);
        if (hostError) return hostError;
        if (to.subjectCommonName !== undefined) {
          const cn = commonNameOf(new X509Certificate(cert.raw));
          if (cn !== to.subjectCommonName) {
            return Object.assign(
              new Error(`server certificate CN '${cn ?? ''}' is not '${to.subjectCommonName}' as the agreement names`),
              { code: 'ERR_GNC_SUBJECT_MISMATCH' },
            );
          }
        }
        return undefined;
      },
    });
    const forget = () => {
      if (this.clients.get(key)?.session === session) this.clients.delete(key);
    };
    const ready = new Promise<void>((resolve, reject) => {
      session.once('connect', () => {
        session.setLocalWindowSize(connectionWindowBytes(this.options.maxMessageBytes));
        resolve();
      });
      session.once('error', reject);
      session.once('close', () => reject(new Error('the connection closed during set-up')));
    });
    // Every failure also surfaces on the streams or on `ready`; this keeps it from being unhandled.
    ready.catch(() => undefined);
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    // A session that cannot even connect within the handshake deadline is dropped, so the next
    // send starts afresh instead of waiting on a dead one.
    const connectTimer = setTimeout(() => {
      if (!session.connecting) return;
      session.destroy(new Error('connection set-up timed out'));
    }, this.options.handshakeTimeoutMs);
    session.once('connect', () => clearTimeout(connectTimer));
    session.once('close', () => clearTimeout(connectTimer));
    const entry: ClientEntry = { session, ready };
    this.clients.set(key, entry);
    return entry;
  }

  private request(
    entry: ClientEntry,
    to: TransportPeer,
    bytes: Uint8Array,
    call: CallContext,
    path: string,
  ): Promise<Uint8Array> {
    const { partnerId } = to;
    const max = this.options.maxMessageBytes;
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      let stream: ClientHttp2Stream;
      const finish = (error: Error | undefined, value?: Uint8Array, answered = false) => {
        if (settled) return;
        settled = true;
        call.signal.removeEventListener('abort', onAbort);
        // A complete answer closes the stream from both ends by itself; a reset then would only
        // be one more frame for the server to discard.
        if (!answered && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
        if (error) reject(error);
        else resolve(value ?? new Uint8Array());
      };
      const onAbort = () => {
        finish(call.failure());
        if (call.failure()?.code === TransportErrorCode.TIMEOUT) this.probe(entry);
      };
      try {
        stream = entry.session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/octet-stream',
          'content-length': String(bytes.byteLength),
        });
      } catch (error) {
        reject(asError(error));
        return;
      }
      call.signal.addEventListener('abort', onAbort, { once: true });
      let status = 0;
      let contentType = '';
      const chunks: Buffer[] = [];
      let received = 0;
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        contentType = String(headers['content-type'] ?? '');
      });
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > max + 4096) {
          finish(
            new TransportError(
              TransportErrorCode.MESSAGE_TOO_LARGE,
              `the answer of ${partnerId} exceeds ${max} bytes`,
              {
                transient: false,
                partnerId,
              },
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      const connectionLost = () =>
        new TransportError(TransportErrorCode.UNREACHABLE, `the connection to ${partnerId} closed before the answer`, {
          transient: true,
          partnerId,
        });
      stream.on('end', () => {
        // The stream can end without any response when the server's session is torn down.
        if (status === 0) return finish(connectionLost());
        const body = Buffer.concat(chunks, received);
        if (status === 200) return finish(undefined, new Uint8Array(body), true);
        finish(answerError(status, contentType, body, partnerId), undefined, true);
      });
      stream.on('error', (error: Error) => finish(error));
      // Every stream closes, mostly after its answer: the error (and its stack trace) is only built when it is one.
      stream.on('close', () => {
        if (!settled) finish(connectionLost());
      });
      stream.end(bytes);
    });
  }

  /** After a timeout: a session whose peer no longer answers pings is dropped, so the next send reconnects. */
  private probe(entry: ClientEntry): void {
    const { session } = entry;
    if (session.destroyed || session.closed) return;
    const timer = setTimeout(() => session.destroy(), this.options.handshakeTimeoutMs);
    const sent = session.ping((error) => {
      clearTimeout(timer);
      if (error) session.destroy();
    });
    if (!sent) {
      clearTimeout(timer);
      session.destroy();
    }
  }

  private classify(error: unknown, partnerId: string): TransportError {
    return classifyTlsFailure(error, partnerId) ?? unreachable(error, partnerId);
  }
}

function respond(
  stream: ServerHttp2Stream,
  status: number,
  contentType: string,
  body: Uint8Array,
  logger: TransportLogger | undefined,
  endEarly = false,
): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  try {
    const headers = { ':status': status, 'content-type': contentType, 'content-length': body.byteLength };
    if (body.byteLength === 0) {
      stream.respond(headers, { endStream: true });
      return;
    }
    stream.respond(headers);
    // Not end(body): Node then shuts the writable side in the same tick, so END_STREAM leaves with
    // the body; the sender having already ended its half, nghttp2 closes the stream and Node
    // destroys it before the write's completion callback runs, which then builds an
    // ERR_STREAM_DESTROYED (message and stack trace) for nobody, on every answer. Ending only
    // once the body's write has completed costs one empty DATA frame and builds nothing. The
    // tick in between: the write callback runs inside Node's after-write step, which checks for
    // a destroyed stream right after it, and ending there can close the stream synchronously.
    stream.write(body, (writeError) => {
      if (writeError) return reportUndelivered(logger, status, writeError);
      process.nextTick(() =>
        stream.end((endError?: Error | null) => {
          if (endError) return reportUndelivered(logger, status, endError);
          // RFC 9113 8.1: a complete early answer may be followed by RST_STREAM(NO_ERROR) so the
          // client stops uploading a body we will not read.
          if (endEarly) stream.close(constants.NGHTTP2_NO_ERROR);
        }),
      );
    });
  } catch {
    // The stream was reset in the meantime: the sender sees that as a transient failure.
  }
}

/** The sender reset the stream (or lost the connection) before our answer left: it retries. */
function reportUndelivered(logger: TransportLogger | undefined, status: number, error: Error): void {
  logger?.warn({ err: error, status }, 'an answer was not delivered: the stream closed before it was written');
}

function respondError(
  stream: ServerHttp2Stream,
  status: number,
  body: ErrorBody,
  logger: TransportLogger | undefined,
  endEarly = false,
): void {
  respond(stream, status, 'application/json', Buffer.from(JSON.stringify(body), 'utf8'), logger, endEarly);
}

/** Turns a non-200 answer into the TransportError the sender branches on. */
function answerError(status: number, contentType: string, body: Buffer, partnerId: string): TransportError {
  let remote: Partial<ErrorBody> = {};
  if (contentType.startsWith('application/json')) {
    try {
      remote = JSON.parse(body.toString('utf8')) as Partial<ErrorBody>;
    } catch {
      remote = {};
    }
  }
  const remoteCode = typeof remote.code === 'string' ? remote.code : undefined;
  const remoteMessage = typeof remote.message === 'string' ? remote.message : `HTTP ${status}`;
  const transient = status >= 500 || status === 408 || status === 429;
  const common = { partnerId, remoteCode, remoteStatus: status };
  if (remoteCode === undefined) {
    return new TransportError(
      TransportErrorCode.PROTOCOL,
      `${partnerId} answered HTTP ${status} without an error code`,
      {
        ...common,
        transient,
      },
    );
  }
  if (
    status === 403 &&
    (remoteCode === TransportErrorCode.PEER_UNKNOWN || remoteCode === TransportErrorCode.PEER_UNTRUSTED)
  ) {
    return new TransportError(TransportErrorCode.PEER_REFUSED, `${partnerId} refused us: ${remoteMessage}`, {
      ...common,
      transient: false,
    });
  }
  if (status === 413 && remoteCode === TransportErrorCode.MESSAGE_TOO_LARGE) {
    return new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `${partnerId}: ${remoteMessage}`, {
      ...common,
      transient: false,
    });
  }
  return new TransportError(TransportErrorCode.REMOTE_ERROR, `${partnerId} answered ${remoteCode}: ${remoteMessage}`, {
    ...common,
    transient,
  });
}

import { X509Certificate, createHash, createPrivateKey, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { GncError, asError } from '../../../node/src/errors';
import { batchNotCarried, runSend, type CallContext } from '../call-context';
import {
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  checkPartnerChain,
  commonNameOf,
  matchPartner,
  parsePemChain,
} from '../peer-certificates';
import type {
  InboundHandler,
  SendOptions,
  Transport,
  TransportComponents,
  TransportFactory,
  TransportPeer,
} from '../transport';
import { TransportError, TransportErrorCode } from '../transport-errors';
import { parseTransportOptions } from '../transport-options';
import { As4TransportOptions, pmodeFor, type As4PMode } from './as4-options';
import { EBMS, EbmsFault, gncDetail, transportErrorOf } from './ebms-errors';
import {
  SECURITY_SLOT,
  errorEnvelope,
  readEnvelope,
  receiptEnvelope,
  userMessageEnvelope,
  type ParsedEnvelope,
  type ParsedUserMessage,
} from './ebms-messages';
import { SOAP12_CONTENT_TYPE, buildMultipart, parseContentType, parseMultipart, type MimePart } from './mime';
import { EBMS_DEFAULTS } from './namespaces';
import {
  SignatureError,
  canonicalize,
  referencesFor,
  sameDigest,
  signParts,
  verifySignature,
  type PartReference,
} from './ws-security';
import { decodeUtf8, elementsWithId, idOf, parseSafeXml } from './xml-dom';
import { classifyTlsFailure, listenOn, presentedChain, unreachable, urlHost } from '../tls-peer';

/**
 * `as4`: ebMS 3 / AS4 one-way push over HTTPS (HTTP/1.1, mutual TLS), SOAP 1.2 with MIME
 * attachments, WS-Security X.509 signatures, synchronous Receipts carrying non-repudiation
 * information and the receiving node's answer, Error signals, and duplicate elimination by
 * eb:MessageId. See README.md in this folder for what is and is not supported.
 */
export const as4: TransportFactory = (init) => {
  const options = parseTransportOptions('as4', As4TransportOptions, init);
  return (components) => new As4Transport(options, components);
};

/** Room for the SOAP envelope and MIME framing on top of the payload limit. */
const ENVELOPE_ALLOWANCE = 64 * 1024;

/** An HTTP answer of the receiving MSH. */
interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

interface DuplicateEntry {
  fingerprint: string;
  /** The handler's answer to the first copy. */
  answer: Promise<Uint8Array>;
}

class As4Transport implements Transport {
  readonly name = 'as4';
  /** Its partners speak ebMS 3 / AS4, not the gnc batch frame: one message per send. */
  readonly carriesBatches = false;
  private server: https.Server | undefined;
  private endpoint: string | undefined;
  private boundPort: number | undefined;
  private lifetime = new AbortController();
  private running = false;
  private readonly sockets = new Set<Socket>();
  private readonly agents = new Map<string, https.Agent>();
  /** Duplicate elimination: `${partnerId}\n${MessageId}` -> the answer given (insertion order = age). */
  private readonly seen = new Map<string, DuplicateEntry>();
  private readonly ownPartyId: string;

  constructor(
    private readonly options: Readonly<As4TransportOptions>,
    private readonly components: TransportComponents,
  ) {
    this.lifetime.abort();
    let cn: string | undefined;
    try {
      const [leaf] = parsePemChain(components.certificatePem);
      cn = leaf ? commonNameOf(leaf) : undefined;
    } catch {
      cn = undefined; // reported by start()
    }
    this.ownPartyId = cn ?? 'gnc-node';
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
        { transient: false, cause: error },
      );
    }
    const server = https.createServer({
      key: privateKeyPem,
      cert: certificatePem,
      // As in http/: we ask for a certificate and judge it against the *current* agreements, and
      // answer a refusal with a typed ebMS Error the sender can classify.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: this.options.handshakeTimeoutMs,
      keepAliveTimeout: 60_000,
      requestTimeout: this.options.timeoutMs + this.options.handshakeTimeoutMs,
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, handler));
    server.on('tlsClientError', (error: Error, socket: TLSSocket) =>
      this.components.logger?.warn({ err: error, remoteAddress: socket.remoteAddress }, 'TLS handshake failed'),
    );
    this.boundPort = await listenOn(server, this.options.host, this.boundPort ?? this.options.port);
    this.server = server;
    this.endpoint = `https://${urlHost(this.options.host)}:${this.boundPort}${this.options.path}`;
    this.lifetime = new AbortController();
    this.running = true;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.lifetime.abort();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    const server = this.server;
    this.server = undefined;
    // Messages still in their handler are cut: their senders see a transient error and retry
    // (same MessageId: duplicate elimination, then the node's own dedupe).
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse, handler: InboundHandler): void {
    req.on('error', () => undefined);
    const partner = this.authenticate(req);
    if (!partner.ok) {
      req.resume();
      res.setHeader('connection', 'close');
      this.sendAnswer(
        res,
        this.faultAnswer(
          new EbmsFault(EBMS.FAILED_AUTHENTICATION, partner.reason, {
            httpStatus: 403,
            detail: gncDetail(partner.code, 403, `refused: ${partner.reason}`),
          }),
          undefined,
        ),
      );
      return;
    }
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== this.options.path) {
      req.resume();
      this.sendAnswer(
        res,
        this.faultAnswer(
          new EbmsFault(EBMS.OTHER, `only POST ${this.options.path} is served`, {
            httpStatus: 404,
            detail: gncDetail(TransportErrorCode.PROTOCOL, 404, `only POST ${this.options.path} is served`),
          }),
          undefined,
        ),
      );
      return;
    }
    const limit = this.options.maxMessageBytes + ENVELOPE_ALLOWANCE;
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        // Read on (and drop) so the sender gets our answer rather than a reset, up to a point.
        if (received > 4 * limit) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        const fault = tooLargeFault(this.options.maxMessageBytes);
        this.sendAnswer(res, this.faultAnswer(fault, undefined));
        return;
      }
      const body = Buffer.concat(chunks, received);
      this.receive(partner.peer, String(req.headers['content-type'] ?? ''), body, handler).then(
        (answer) => this.sendAnswer(res, answer),
        (error: unknown) => {
          this.components.logger?.error({ err: error, partnerId: partner.peer.partnerId }, 'AS4 receive failed');
          this.sendAnswer(
            res,
            this.faultAnswer(
              new EbmsFault(EBMS.OTHER, 'internal error', {
                httpStatus: 500,
                detail: gncDetail('GNC_INTERNAL', 500, 'internal error'),
              }),
              undefined,
            ),
          );
        },
      );
    });
  }

  private authenticate(
    req: IncomingMessage,
  ): { ok: true; peer: TransportPeer } | { ok: false; code: string; reason: string } {
    const socket = req.socket as TLSSocket;
    let match;
    try {
      match = matchPartner(presentedChain(socket), this.components.peers(), new Date(), EKU_CLIENT_AUTH);
    } catch (error) {
      match = { ok: false as const, unknown: true, reason: `unreadable client certificate: ${asError(error).message}` };
    }
    if (match.ok) return { ok: true, peer: match.partner };
    this.components.logger?.warn(
      { remoteAddress: socket.remoteAddress, reason: match.reason },
      'refused an AS4 sender',
    );
    return {
      ok: false,
      code: match.unknown ? TransportErrorCode.PEER_UNKNOWN : TransportErrorCode.PEER_UNTRUSTED,
      reason: match.reason,
    };
  }

  private sendAnswer(res: ServerResponse, answer: HttpAnswer): void {
    if (res.writableEnded || res.destroyed) return;
    try {
      res.writeHead(answer.status, {
        'content-type': answer.contentType,
        'content-length': answer.body.length,
      });
      res.end(answer.body);
    } catch {
      // The connection went away: the sender sees a transient failure.
    }
  }

  /** Processes one inbound HTTP body; every refusal becomes an ebMS Error answer. */
  private async receive(
    peer: TransportPeer,
    contentType: string,
    body: Buffer,
    handler: InboundHandler,
  ): Promise<HttpAnswer> {
    let refTo: string | undefined;
    try {
      const { envelope, attachments } = this.readMessage(contentType, body);
      if (envelope.signal) {
        refTo = envelope.signal.messageId;
        if (envelope.signal.pullRequest) {
          // We only push: there is never anything to pull (ebMS 3 core 6.7.2: a warning).
          throw new EbmsFault(EBMS.EMPTY_MPC, `nothing to pull from ${envelope.signal.pullRequest.mpc}`, {
            httpStatus: 200,
            severity: 'warning',
          });
        }
        // Receipts and errors come back synchronously on our own requests; one posted to us is
        // acknowledged and logged, nothing else.
        this.components.logger?.warn(
          { partnerId: peer.partnerId, messageId: envelope.signal.messageId },
          'unsolicited ebMS signal received and ignored',
        );
        return { status: 202, contentType: 'text/plain', body: Buffer.alloc(0) };
      }
      const user = envelope.userMessage as ParsedUserMessage;
      refTo = user.messageId;
      return await this.accept(peer, envelope, user, attachments, handler);
    } catch (error) {
      if (error instanceof EbmsFault) return this.faultAnswer(error, refTo);
      throw error;
    }
  }

  private readMessage(contentType: string, body: Buffer): { envelope: ParsedEnvelope; attachments: MimePart[] } {
    let parts: MimePart[];
    try {
      const { mediaType } = parseContentType(contentType);
      if (mediaType === 'multipart/related') parts = parseMultipart(contentType, body);
      else if (mediaType === SOAP12_CONTENT_TYPE || mediaType === 'text/xml') {
        parts = [{ contentId: '', contentType, body: new Uint8Array(body) }];
      } else throw new Error(`content type ${mediaType || '(none)'} is not SOAP`);
    } catch (error) {
      throw new EbmsFault(EBMS.MIME_INCONSISTENCY, asError(error).message, { cause: error });
    }
    const [root, ...attachments] = parts as [MimePart, ...MimePart[]];
    let doc;
    try {
      doc = parseSafeXml(decodeUtf8(root.body), { maxBytes: this.options.maxMessageBytes + ENVELOPE_ALLOWANCE });
    } catch (error) {
      throw new EbmsFault(EBMS.INVALID_HEADER, `the SOAP envelope is refused: ${asError(error).message}`, {
        cause: error,
      });
    }
    return { envelope: readEnvelope(doc), attachments };
  }

  /** Checks a new UserMessage against the P-Mode and its signature, delivers it, and builds the Receipt. */
  private async accept(
    peer: TransportPeer,
    envelope: ParsedEnvelope,
    user: ParsedUserMessage,
    attachments: MimePart[],
    handler: InboundHandler,
  ): Promise<HttpAnswer> {
    try {
      const pmode = pmodeFor(this.options, peer.partnerId);
      checkAgainstPMode(user, pmode, this.ownPartyId);
      let verified;
      try {
        verified = verifySignature(envelope.doc, envelope.header, attachments);
      } catch (error) {
        throw new EbmsFault(EBMS.FAILED_AUTHENTICATION, asError(error).message, { cause: error });
      }
      if (!verified && pmode.requireSignature) {
        throw new EbmsFault(
          EBMS.POLICY_NONCOMPLIANCE,
          'the P-Mode requires a signed UserMessage; this one is not signed',
        );
      }
      if (verified) {
        const check = checkPartnerChain([verified.certificate], peer, new Date(), EKU_CLIENT_AUTH);
        if (!check.ok) {
          throw new EbmsFault(
            EBMS.FAILED_AUTHENTICATION,
            `the signing certificate is not ${peer.partnerId}'s: ${check.reason}`,
          );
        }
        if (!verified.elements.has(envelope.messaging)) {
          throw new EbmsFault(EBMS.FAILED_AUTHENTICATION, 'the signature does not cover eb:Messaging');
        }
      }
      const payload = this.payloadOf(envelope, user, attachments, verified);
      if (payload.bytes.byteLength > this.options.maxMessageBytes) throw tooLargeFault(this.options.maxMessageBytes);

      const isTest = user.service.value === EBMS_DEFAULTS.TEST_SERVICE && user.action === EBMS_DEFAULTS.TEST_ACTION;
      let answer: Uint8Array;
      if (isTest) answer = new Uint8Array();
      else {
        try {
          answer = await this.deliverOnce(peer.partnerId, user, attachments, () =>
            handler({ partnerId: peer.partnerId, bytes: payload.bytes }),
          );
        } catch (error) {
          throw error instanceof EbmsFault ? error : this.handlerFault(error, peer.partnerId);
        }
      }
      // Non-repudiation information: the references the sender signed (we verified each), or, for
      // an unsigned message, the digests of what we received computed the same way.
      const nri: PartReference[] =
        verified?.references ??
        referencesFor(
          envelope.doc,
          [idOf(envelope.messaging), payload.bodyId].filter((id): id is string => id !== undefined),
          payload.contentId !== undefined ? attachments.filter((a) => a.contentId === payload.contentId) : [],
        );
      return this.receiptAnswer(user.messageId, nri, answer, pmode);
    } catch (error) {
      if (error instanceof EbmsFault) return this.faultAnswer(error, user.messageId);
      throw error;
    }
  }

  /**
   * Duplicate elimination (ebMS 3 core 8.2.2 / AS4 reception awareness): a UserMessage whose
   * MessageId this partner already used, with the same headers and payload, is not delivered
   * again; it gets a Receipt for its own parts carrying the handler's first answer. Only answers
   * are remembered, so after a handler error the same MessageId is delivered again. The same
   * MessageId with other content is refused (EBMS:0004, GNC_AS4_DUPLICATE_MESSAGE_ID, 409).
   */
  private deliverOnce(
    partnerId: string,
    user: ParsedUserMessage,
    attachments: MimePart[],
    deliver: () => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    const key = `${partnerId}\n${user.messageId}`;
    const fingerprint = payloadFingerprint(user, attachments);
    const known = this.seen.get(key);
    if (known) {
      if (known.fingerprint === fingerprint) return known.answer;
      const message = `MessageId ${user.messageId} was already used for another message`;
      return Promise.reject(
        new EbmsFault(EBMS.OTHER, message, {
          detail: gncDetail('GNC_AS4_DUPLICATE_MESSAGE_ID', 409, message),
          httpStatus: 409,
        }),
      );
    }
    const answer = deliver();
    const entry: DuplicateEntry = { fingerprint, answer };
    if (this.options.duplicateCacheSize > 0) {
      this.seen.set(key, entry);
      if (this.seen.size > this.options.duplicateCacheSize) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
    }
    answer.catch(() => {
      if (this.seen.get(key) === entry) this.seen.delete(key);
    });
    return answer;
  }

  /** The one payload: a `cid:` attachment, or the SOAP Body's content (`#id` of the Body). */
  private payloadOf(
    envelope: ParsedEnvelope,
    user: ParsedUserMessage,
    attachments: MimePart[],
    verified: ReturnType<typeof verifySignature>,
  ): { bytes: Uint8Array; contentId?: string; bodyId?: string } {
    if (user.parts.length === 0) return { bytes: new Uint8Array() };
    if (user.parts.length > 1) {
      throw new EbmsFault(EBMS.FEATURE_NOT_SUPPORTED, 'only one payload per UserMessage is supported');
    }
    const href = user.parts[0]?.href ?? '';
    if (href.startsWith('cid:')) {
      const contentId = decodeURIComponent(href.slice(4));
      const attachment = attachments.find((a) => a.contentId === contentId);
      if (!attachment) throw new EbmsFault(EBMS.EXTERNAL_PAYLOAD, `no MIME part <${contentId}> for PartInfo ${href}`);
      if (verified && !verified.contentIds.has(contentId)) {
        throw new EbmsFault(EBMS.FAILED_AUTHENTICATION, `the signature does not cover the payload ${href}`);
      }
      return { bytes: attachment.body, contentId };
    }
    if (href.startsWith('#')) {
      const id = href.slice(1);
      const [target, ...more] = elementsWithId(envelope.doc, id);
      if (!target || more.length > 0 || target !== envelope.body) {
        throw new EbmsFault(EBMS.VALUE_NOT_RECOGNIZED, `PartInfo ${href} does not name the SOAP Body`);
      }
      if (verified && !verified.elements.has(envelope.body)) {
        throw new EbmsFault(EBMS.FAILED_AUTHENTICATION, 'the signature does not cover the SOAP Body payload');
      }
      const content = [];
      for (let c = envelope.body.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) content.push(c);
      if (content.length !== 1)
        throw new EbmsFault(EBMS.VALUE_NOT_RECOGNIZED, 'the SOAP Body payload must be one element');
      // The payload is the Body's element in exclusive canonical form (its namespaces made explicit).
      return { bytes: Buffer.from(canonicalize(content[0] as never), 'utf8'), bodyId: id };
    }
    throw new EbmsFault(
      EBMS.VALUE_NOT_RECOGNIZED,
      `PartInfo href '${href}' is neither cid: nor #id (external payloads are not supported)`,
    );
  }

  private handlerFault(error: unknown, partnerId: string): EbmsFault {
    if (error instanceof GncError) {
      const status = error.httpStatus >= 400 && error.httpStatus <= 599 ? error.httpStatus : 500;
      if (status >= 500) this.components.logger?.error({ err: error, partnerId }, 'inbound message failed');
      return new EbmsFault(EBMS.OTHER, error.message, {
        httpStatus: status,
        detail: gncDetail(error.code, status, error.message),
      });
    }
    this.components.logger?.error({ err: error, partnerId }, 'inbound handler threw a non-GncError');
    return new EbmsFault(EBMS.OTHER, 'internal error', {
      httpStatus: 500,
      detail: gncDetail('GNC_INTERNAL', 500, 'internal error'),
    });
  }

  private receiptAnswer(refTo: string, nri: PartReference[], answer: Uint8Array, pmode: As4PMode): HttpAnswer {
    const messageId = `${randomUUID()}@gnc-node`;
    const messagingId = `_ebmessaging-${randomUUID()}`;
    const bodyId = `_body-${randomUUID()}`;
    const answerPart: MimePart = {
      contentId: `answer-${randomUUID()}@gnc-node`,
      contentType: 'application/octet-stream',
      body: answer,
    };
    let xml = receiptEnvelope(
      {
        messageId,
        timestamp: new Date().toISOString(),
        refToMessageId: refTo,
        nri,
        answerContentId: answerPart.contentId,
      },
      messagingId,
      bodyId,
    );
    xml = xml.replace(
      SECURITY_SLOT,
      pmode.sign ? signParts(xml, [messagingId], [answerPart], this.components).securityHeader : '',
    );
    const soap: MimePart = {
      contentId: `soap-${randomUUID()}@gnc-node`,
      contentType: `${SOAP12_CONTENT_TYPE}; charset=UTF-8`,
      body: Buffer.from(xml, 'utf8'),
    };
    const { contentType, body } = buildMultipart([soap, answerPart]);
    return { status: 200, contentType, body };
  }

  private faultAnswer(fault: EbmsFault, refTo: string | undefined): HttpAnswer {
    const xml = errorEnvelope({
      messageId: `${randomUUID()}@gnc-node`,
      timestamp: new Date().toISOString(),
      refToMessageId: refTo,
      kind: fault.kind,
      severity: fault.severity,
      description: fault.message,
      detail: fault.detail,
    });
    return {
      status: fault.httpStatus,
      contentType: `${SOAP12_CONTENT_TYPE}; charset=UTF-8`,
      body: Buffer.from(xml, 'utf8'),
    };
  }

  // ---- sending -------------------------------------------------------------------------------

  async send(to: TransportPeer, bytes: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    if (options.batch) return Promise.reject(batchNotCarried(this.name, to.partnerId));
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
        const url = this.endpointUrl(to);
        const pmode = pmodeFor(this.options, to.partnerId);
        const message = this.buildUserMessage(to, bytes, pmode);
        const answer = await this.post(url, to, message.contentType, message.body, call);
        return this.readReceipt(answer, to, message.messageId, message.references, pmode);
      },
    );
  }

  private endpointUrl(to: TransportPeer): URL {
    try {
      const url = new URL(to.endpoint);
      if (url.protocol !== 'https:') throw new Error('the scheme must be https');
      return url;
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `endpoint '${to.endpoint}' of ${to.partnerId} is not an https URL: ${asError(error).message}`,
        { transient: false, partnerId: to.partnerId, cause: error },
      );
    }
  }

  private buildUserMessage(to: TransportPeer, bytes: Uint8Array, pmode: As4PMode) {
    // The MessageId is derived from what is sent, so the node's retry of the same sealed message
    // carries the same MessageId and the receiver's duplicate elimination answers it with the
    // first Receipt instead of delivering it again.
    const messageId = `${createHash('sha256')
      .update(`${to.partnerId}\n${pmode.service}\n${pmode.action}\n`)
      .update(bytes)
      .digest('hex')
      .slice(0, 40)}@gnc-node`;
    const payload: MimePart = {
      contentId: `payload-${randomUUID()}@gnc-node`,
      contentType: pmode.payloadMimeType,
      body: bytes,
    };
    const messagingId = `_ebmessaging-${randomUUID()}`;
    let xml = userMessageEnvelope(
      {
        messageId,
        timestamp: new Date().toISOString(),
        mpc: pmode.mpc,
        from: {
          id: pmode.party.id ?? this.ownPartyId,
          type: pmode.party.type,
          role: pmode.party.role ?? EBMS_DEFAULTS.ROLE,
        },
        to: {
          id: pmode.partner.id ?? to.partnerId,
          type: pmode.partner.type,
          role: pmode.partner.role ?? EBMS_DEFAULTS.ROLE,
        },
        agreementRef: pmode.agreementRef ? { value: pmode.agreementRef, type: pmode.agreementRefType } : undefined,
        service: { value: pmode.service, type: pmode.serviceType },
        action: pmode.action,
        conversationId: messageId,
        parts: [{ contentId: payload.contentId, mimeType: pmode.payloadMimeType }],
      },
      messagingId,
      `_body-${randomUUID()}`,
    );
    let references: PartReference[];
    if (pmode.sign) {
      const signed = signParts(xml, [messagingId], [payload], this.components);
      xml = xml.replace(SECURITY_SLOT, signed.securityHeader);
      references = signed.references;
    } else {
      xml = xml.replace(SECURITY_SLOT, '');
      references = referencesFor(parseSafeXml(xml, { maxBytes: Number.MAX_SAFE_INTEGER }), [messagingId], [payload]);
    }
    const soap: MimePart = {
      contentId: `soap-${randomUUID()}@gnc-node`,
      contentType: `${SOAP12_CONTENT_TYPE}; charset=UTF-8`,
      body: Buffer.from(xml, 'utf8'),
    };
    return { messageId, references, ...buildMultipart([soap, payload]) };
  }

  private agentFor(url: URL, to: TransportPeer): https.Agent {
    const key = [to.partnerId, url.origin, to.subjectCommonName ?? '', ...to.trustAnchorsPem].join('\n');
    let agent = this.agents.get(key);
    if (agent) return agent;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: this.options.maxSockets,
      // Only the partner's own anchors: any other CA (public ones included) fails the handshake.
      ca: [...to.trustAnchorsPem],
      cert: this.components.certificatePem,
      key: this.components.privateKeyPem,
      minVersion: 'TLSv1.2',
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
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
    this.agents.set(key, agent);
    return agent;
  }

  private post(url: URL, to: TransportPeer, contentType: string, body: Buffer, call: CallContext): Promise<HttpAnswer> {
    const limit = this.options.maxMessageBytes + ENVELOPE_ALLOWANCE;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = https.request(url, {
        method: 'POST',
        agent: this.agentFor(url, to),
        signal: call.signal,
        headers: { 'content-type': contentType, 'content-length': body.length, soapaction: '""' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limit) {
            req.destroy();
            reject(
              new TransportError(
                TransportErrorCode.MESSAGE_TOO_LARGE,
                `the answer of ${to.partnerId} exceeds ${limit} bytes`,
                {
                  transient: false,
                  partnerId: to.partnerId,
                },
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('the connection closed before the whole answer')));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks, received),
          }),
        );
      });
      req.end(body);
    });
  }

  /** Checks the answer to our UserMessage and returns the receiving node's answer bytes. */
  private readReceipt(
    answer: HttpAnswer,
    to: TransportPeer,
    messageId: string,
    sent: PartReference[],
    pmode: As4PMode,
  ): Uint8Array {
    const { partnerId } = to;
    const protocol = (message: string, transient = false, remoteCode?: string) =>
      new TransportError(TransportErrorCode.PROTOCOL, `${partnerId}: ${message}`, {
        transient,
        partnerId,
        remoteStatus: answer.status,
        ...(remoteCode ? { remoteCode } : {}),
      });
    if (answer.body.length === 0) {
      // ebMS 3 EBMS:0301 MissingReceipt. Sending again is safe (same MessageId: the receiver
      // answers a duplicate with its first Receipt), so it is transient.
      throw protocol(
        `HTTP ${answer.status} without a Receipt (EBMS:0301 MissingReceipt)`,
        true,
        EBMS.MISSING_RECEIPT.code,
      );
    }
    let envelope: ParsedEnvelope;
    let attachments: MimePart[];
    try {
      ({ envelope, attachments } = this.readMessage(answer.contentType, answer.body));
    } catch (error) {
      throw protocol(`unreadable answer (HTTP ${answer.status}): ${asError(error).message}`, answer.status >= 500);
    }
    const signal = envelope.signal;
    if (!signal) throw protocol('answered with a UserMessage instead of a signal');
    const failure = signal.errors.find((e) => e.severity !== 'warning') ?? signal.errors[0];
    if (failure) throw transportErrorOf(failure, answer.status, partnerId);
    if (!signal.receipt)
      throw protocol('answered with a signal that is not a Receipt', true, EBMS.MISSING_RECEIPT.code);
    if (signal.refToMessageId !== messageId) {
      throw protocol(
        `the Receipt refers to ${signal.refToMessageId ?? 'no message'}, not ${messageId}`,
        false,
        EBMS.INVALID_RECEIPT.code,
      );
    }
    let verified;
    try {
      verified = verifySignature(envelope.doc, envelope.header, attachments);
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.PEER_UNTRUSTED,
        `the Receipt of ${partnerId} has a bad signature: ${asError(error).message}`,
        {
          transient: false,
          partnerId,
          cause: error,
        },
      );
    }
    const href = signal.receipt.applicationResponseHref;
    const answerId = href?.startsWith('cid:') ? decodeURIComponent(href.slice(4)) : undefined;
    if (verified) {
      const check = checkPartnerChain([verified.certificate], to, new Date(), EKU_SERVER_AUTH);
      if (!check.ok) {
        throw new TransportError(
          TransportErrorCode.PEER_UNTRUSTED,
          `the Receipt is not signed by ${partnerId}: ${check.reason}`,
          {
            transient: false,
            partnerId,
          },
        );
      }
      if (
        !verified.elements.has(envelope.messaging) ||
        (answerId !== undefined && !verified.contentIds.has(answerId))
      ) {
        throw new TransportError(
          TransportErrorCode.PEER_UNTRUSTED,
          `the Receipt's signature does not cover the receipt and the answer`,
          {
            transient: false,
            partnerId,
          },
        );
      }
    } else if (pmode.requireSignature) {
      throw protocol(
        'the Receipt is not signed, and the P-Mode requires it (EBMS:0302 InvalidReceipt)',
        false,
        EBMS.INVALID_RECEIPT.code,
      );
    }
    // Non-repudiation: the receiver must acknowledge exactly what we sent, part by part.
    for (const ref of sent) {
      if (!signal.receipt.nri.some((r) => r.uri === ref.uri && sameDigest(r.digestValue, ref.digestValue))) {
        throw protocol(
          `the Receipt's non-repudiation information lacks ${ref.uri} with our digest`,
          false,
          EBMS.INVALID_RECEIPT.code,
        );
      }
    }
    if (answerId === undefined) return new Uint8Array(); // an MSH that is not a gnc node: no answer bytes
    const part = attachments.find((a) => a.contentId === answerId);
    if (!part) throw protocol(`the Receipt names the answer ${href ?? ''} but carries no such part`);
    return part.body;
  }

  private classify(error: unknown, partnerId: string): TransportError {
    const tls = classifyTlsFailure(error, partnerId);
    if (tls) return tls;
    if (error instanceof SignatureError) {
      return new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `cannot sign for ${partnerId}: ${asError(error).message}`,
        {
          transient: false,
          partnerId,
          cause: error,
        },
      );
    }
    return unreachable(error, partnerId);
  }
}

function tooLargeFault(max: number): EbmsFault {
  const message = `the message exceeds the maximum of ${max} bytes`;
  return new EbmsFault(EBMS.OTHER, message, {
    httpStatus: 413,
    detail: gncDetail(TransportErrorCode.MESSAGE_TOO_LARGE, 413, message),
  });
}

/** P-Mode checks of an inbound UserMessage (ebMS 3 core: the P-Mode the message claims must be the agreement's). */
function checkAgainstPMode(user: ParsedUserMessage, pmode: As4PMode, ownPartyId: string): void {
  const mismatch = (what: string, got: string | undefined, expected: string | undefined) =>
    new EbmsFault(
      EBMS.PMODE_MISMATCH,
      `${what} '${got ?? ''}' is not '${expected ?? ''}' as the agreement's P-Mode says`,
    );
  const isTest = user.service.value === EBMS_DEFAULTS.TEST_SERVICE && user.action === EBMS_DEFAULTS.TEST_ACTION;
  if (!isTest) {
    if (user.service.value !== pmode.service || (user.service.type ?? undefined) !== pmode.serviceType) {
      throw new EbmsFault(
        EBMS.VALUE_NOT_RECOGNIZED,
        `service '${user.service.value}' is not recognized for this partner`,
      );
    }
    if (user.action !== pmode.action) {
      throw new EbmsFault(EBMS.VALUE_NOT_RECOGNIZED, `action '${user.action}' is not recognized for this partner`);
    }
  }
  if (pmode.agreementRef !== undefined && user.agreementRef?.value !== pmode.agreementRef) {
    throw mismatch('eb:AgreementRef', user.agreementRef?.value, pmode.agreementRef);
  }
  if (user.mpc !== pmode.mpc) throw mismatch('mpc', user.mpc, pmode.mpc);
  const partnerRole = pmode.partner.role ?? EBMS_DEFAULTS.ROLE;
  const ownRole = pmode.party.role ?? EBMS_DEFAULTS.ROLE;
  if (user.from.role !== partnerRole) throw mismatch('eb:From/eb:Role', user.from.role, partnerRole);
  if (user.to.role !== ownRole) throw mismatch('eb:To/eb:Role', user.to.role, ownRole);
  const hasParty = (ids: Array<{ id: string; type?: string | undefined }>, id: string, type: string | undefined) =>
    ids.some((p) => p.id === id && (type === undefined || p.type === type));
  if (pmode.partner.id !== undefined && !hasParty(user.from.partyIds, pmode.partner.id, pmode.partner.type)) {
    throw mismatch('eb:From/eb:PartyId', user.from.partyIds[0]?.id, pmode.partner.id);
  }
  const ownId = pmode.party.id ?? (pmode.party.type !== undefined ? ownPartyId : undefined);
  if (ownId !== undefined && !hasParty(user.to.partyIds, ownId, pmode.party.type)) {
    throw mismatch('eb:To/eb:PartyId', user.to.partyIds[0]?.id, ownId);
  }
}

/**
 * What makes a resent message "the same": its ebMS headers and payload bytes, not its timestamp,
 * Content-IDs or signature, which a sender regenerates when it sends the message again.
 */
function payloadFingerprint(user: ParsedUserMessage, attachments: MimePart[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ ...user, timestamp: '', parts: user.parts.length }));
  for (const a of attachments) hash.update(String(a.body.byteLength)).update(a.body);
  return hash.digest('base64');
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../errors';

/**
 * A partner agreement: everything the node needs to exchange with one counterpart
 * administration, the equivalent of an AS4 P-Mode. One JSON file per partner in a folder
 * (network-config/partners/ for the shipped examples), validated at start: every problem of
 * every file is listed and the node refuses to start on any.
 */

const UtilityBlockGrant = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    version: Type.String({ default: '1' }),
    /** send: we may send it to the partner; receive: the partner may send it to us. */
    direction: Type.Union([Type.Literal('send'), Type.Literal('receive'), Type.Literal('both')]),
    pattern: Type.Union([Type.Literal('push'), Type.Literal('request-response')], { default: 'push' }),
    /** The legal basis the agreement cites (an MRA article, a treaty reference). */
    legalBasis: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const AgreementSchema = Type.Object(
  {
    partnerId: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
    name: Type.String({ minLength: 1 }),
    /** ISO 3166-1 alpha-2 codes of the countries the partner administers (routes flows to it). */
    countries: Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), { default: [] }),
    /** PEM files of the CA certificates the partner's certificates chain to, relative to the agreement file. */
    trustAnchors: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    transport: Type.Object(
      {
        kind: Type.String({ minLength: 1 }),
        endpoint: Type.String({ minLength: 1 }),
        /** libp2p: the partner's peer id, bound to its X.509 identity. */
        peerId: Type.Optional(Type.String()),
        options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      },
      { additionalProperties: false },
    ),
    security: Type.Object(
      {
        scheme: Type.String({ minLength: 1 }),
        /** The partner's encryption certificate (PEM file), when the scheme encrypts. */
        encryptionCertificate: Type.Optional(Type.String()),
        options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      },
      { additionalProperties: false },
    ),
    format: Type.Object(
      {
        kind: Type.String({ minLength: 1 }),
        options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      },
      { additionalProperties: false },
    ),
    /**
     * How the partner sends to us, when it differs from how we send to it (each administration
     * chooses how it receives): the transport we listen on for it, and the scheme and format it uses.
     */
    inbound: Type.Optional(
      Type.Object(
        {
          transport: Type.String({ minLength: 1 }),
          /** libp2p: the peer id the partner connects with (bound to its X.509 identity). */
          peerId: Type.Optional(Type.String()),
          security: Type.String({ minLength: 1 }),
          securityOptions: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
          format: Type.String({ minLength: 1 }),
          formatOptions: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
        },
        { additionalProperties: false },
      ),
    ),
    utilityBlocks: Type.Array(UtilityBlockGrant, { minItems: 1 }),
    retry: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, default: 10 }),
        initialDelayMs: Type.Integer({ minimum: 1, default: 500 }),
        maxDelayMs: Type.Integer({ minimum: 1, default: 60_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rateLimit: Type.Object(
      { messagesPerSecond: Type.Number({ exclusiveMinimum: 0, default: 2000 }) },
      { additionalProperties: false, default: {} },
    ),
    maxMessageBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /**
     * Messages sent to the partner and not yet receipted, at most (the window). Throughput to a
     * partner is about this window divided by the round trip of a batch frame (sealed, sent,
     * verified and made durable there, receipt verified and stored here): 1,024 over ~180 ms is
     * ~5,600 messages/s between two nodes on one machine. As a receiver, the node takes at most
     * this many single messages from the partner at once. Messages always leave in queue order;
     * with more than one in flight they may arrive slightly out of order, so 1 gives strict order.
     */
    maxInFlight: Type.Integer({ minimum: 1, maximum: 4096, default: 1024 }),
    /**
     * Over a transport that carries batch frames (http, libp2p): at most this many queued
     * messages leave in one frame, answered by one signed batch receipt. A frame takes what is
     * queued when it leaves (no waiting to fill it), so an idle link still sends each message at
     * once. 1 sends every message on its own, as as4 and filedrop always do.
     */
    maxBatchMessages: Type.Integer({ minimum: 1, maximum: 4096, default: 256 }),
    /**
     * Bytes of messages in one batch frame (a frame always takes at least one message, however
     * large). The receiver refuses a frame over maxBatchBytes + maxMessageBytes.
     */
    maxBatchBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /**
     * Batch frames in flight at once (they share the maxInFlight messages): the next frame
     * leaves while earlier ones are still being answered. As a receiver, the node takes at most
     * this many frames from the partner at once (more are refused as busy, and retried), so one
     * partner holds at most maxBatchesInFlight x (maxBatchBytes + maxMessageBytes) of frames here.
     */
    maxBatchesInFlight: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
    /** Inbound messages whose created-at is further than this from now are refused as replays. */
    replayWindowSeconds: Type.Integer({ minimum: 1, default: 300 }),
    /** Serial numbers (hex) of the partner's revoked certificates. */
    revokedSerials: Type.Array(Type.String({ pattern: '^[0-9a-fA-F]+$' }), { default: [] }),
  },
  { additionalProperties: false },
);

export type Agreement = Static<typeof AgreementSchema>;

/** An agreement with its files read: trust anchors and encryption certificate as PEM text. */
export interface LoadedAgreement extends Agreement {
  source: string;
  trustAnchorsPem: string[];
  encryptionCertificatePem?: string;
}

/** Validates one agreement; returns its problems (empty when valid) and the value with defaults. */
export function checkAgreement(raw: unknown): { agreement?: Agreement; problems: string[] } {
  const value = Value.Default(AgreementSchema, structuredClone(raw));
  const problems = [...Value.Errors(AgreementSchema, value)].map((e) => `${e.path || '/'}: ${e.message}`);
  return problems.length > 0 ? { problems } : { agreement: value as Agreement, problems };
}

/**
 * Loads every *.json agreement in `folder`; throws ConfigError listing every problem of every
 * file (schema, unreadable trust anchors, duplicate partner ids, unknown edge kinds).
 */
export async function loadAgreements(
  folder: string,
  known: { transports: readonly string[]; securitySchemes: readonly string[]; formats: readonly string[] },
): Promise<LoadedAgreement[]> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new ConfigError(`cannot read the partner agreements folder ${folder}`, [], { cause: error });
  }
  const problems: string[] = [];
  const loaded: LoadedAgreement[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = path.join(folder, name);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      problems.push(`${name}: not readable JSON (${(error as Error).message})`);
      continue;
    }
    const { agreement, problems: found } = checkAgreement(raw);
    if (!agreement) {
      problems.push(...found.map((p) => `${name}${p}`));
      continue;
    }
    const edgeProblems: Array<readonly [string, readonly string[], string]> = [
      [agreement.transport.kind, known.transports, 'transport.kind'],
      [agreement.security.scheme, known.securitySchemes, 'security.scheme'],
      [agreement.format.kind, known.formats, 'format.kind'],
    ];
    if (agreement.inbound) {
      edgeProblems.push(
        [agreement.inbound.transport, known.transports, 'inbound.transport'],
        [agreement.inbound.security, known.securitySchemes, 'inbound.security'],
        [agreement.inbound.format, known.formats, 'inbound.format'],
      );
    }
    for (const [value, allowed, field] of edgeProblems) {
      if (!allowed.includes(value)) problems.push(`${name}/${field}: '${value}' is not one of ${allowed.join(', ')}`);
    }
    const previous = seen.get(agreement.partnerId);
    if (previous) problems.push(`${name}/partnerId: '${agreement.partnerId}' is also the partner of ${previous}`);
    seen.set(agreement.partnerId, name);
    const readPem = async (relative: string, field: string): Promise<string | undefined> => {
      try {
        const text = await readFile(path.resolve(folder, relative), 'utf8');
        if (!text.includes('-----BEGIN CERTIFICATE-----'))
          problems.push(`${name}/${field}: ${relative} holds no PEM certificate`);
        return text;
      } catch {
        problems.push(`${name}/${field}: cannot read ${relative}`);
        return undefined;
      }
    };
    const trustAnchorsPem: string[] = [];
    for (const [i, anchor] of agreement.trustAnchors.entries()) {
      const pem = await readPem(anchor, `trustAnchors/${i}`);
      if (pem) trustAnchorsPem.push(pem);
    }
    const encryptionCertificatePem = agreement.security.encryptionCertificate
      ? await readPem(agreement.security.encryptionCertificate, 'security/encryptionCertificate')
      : undefined;
    loaded.push({
      ...agreement,
      source: file,
      trustAnchorsPem,
      ...(encryptionCertificatePem ? { encryptionCertificatePem } : {}),
    });
  }
  if (problems.length > 0) throw new ConfigError(`partner agreements in ${folder} are not valid`, problems);
  return loaded;
}

/** How the partner's messages reach us: the inbound edges, or the outbound ones mirrored. */
export function inboundEdges(agreement: Agreement): {
  transport: string;
  peerId?: string;
  security: string;
  securityOptions: Record<string, unknown>;
  format: string;
  formatOptions: Record<string, unknown>;
} {
  return (
    agreement.inbound ?? {
      transport: agreement.transport.kind,
      ...(agreement.transport.peerId ? { peerId: agreement.transport.peerId } : {}),
      security: agreement.security.scheme,
      securityOptions: agreement.security.options,
      format: agreement.format.kind,
      formatOptions: agreement.format.options,
    }
  );
}

/** Whether the agreement lets this Utility Block travel in this direction (as seen from us). */
export function allowsUtilityBlock(agreement: Agreement, utilityBlock: string, direction: 'send' | 'receive'): boolean {
  return agreement.utilityBlocks.some(
    (grant) => grant.id === utilityBlock && (grant.direction === 'both' || grant.direction === direction),
  );
}

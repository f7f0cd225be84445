import { Type, type Static } from '@sinclair/typebox';
import { CommonTransportOptions } from '../transport-options';

/** Options of the filedrop transport (`init`), validated at construction. */
export const FiledropTransportOptions = Type.Object(
  {
    /** The folder partners drop files into (ours, watched). Created if missing. */
    inbound: Type.String({ minLength: 1 }),
    /** Where handled files go, each with its `<name>.receipt`; default `<inbound>/processed`. Partners read receipts here. */
    processed: Type.Optional(Type.String({ minLength: 1 })),
    /** Where refused files go, each with its `<name>.error.json`; default `<inbound>/error`. Partners read errors here. */
    error: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Base of the per-partner outbound folders: a partner endpoint that is a relative path (e.g.
     * `customs-b`) means `<outbound>/customs-b`, typically the SFTP mount of that partner's inbound
     * folder. Endpoints that are `file:` URLs are used as they are.
     */
    outbound: Type.Optional(Type.String({ minLength: 1 })),
    /** How often the inbound folder and the partners' receipt folders are looked at. */
    pollIntervalMs: Type.Integer({ minimum: 5, maximum: 600_000, default: 1_000 }),
    /** Inbound files handled at once; more wait in the inbound folder. */
    maxConcurrentFiles: Type.Integer({ minimum: 1, maximum: 1_024, default: 64 }),
    /**
     * Names this node's claim folder `<inbound>/.processing/<workerId>`. Several node instances
     * may watch one inbound folder (each file goes to exactly one, by atomic rename) if each has
     * its own workerId: at start, a node recovers only the files it itself held at a crash.
     */
    workerId: Type.String({ pattern: '^[A-Za-z0-9._-]+$', default: 'main' }),
    /** fsync each file before its atomic rename (turn off only on file systems that lack it). */
    fsync: Type.Boolean({ default: true }),
    maxMessageBytes: CommonTransportOptions.maxMessageBytes,
    timeoutMs: CommonTransportOptions.timeoutMs,
  },
  { additionalProperties: false },
);
export type FiledropTransportOptions = Static<typeof FiledropTransportOptions>;

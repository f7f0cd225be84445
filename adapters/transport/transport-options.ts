import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../../node/src/errors';

/**
 * Options every transport takes in its `init` (from the node configuration or the agreement).
 * Defaults live in the schema; validation lists every problem at once.
 */
export const CommonTransportOptions = {
  /** Largest message (request body) accepted or sent; answers (receipts) have the same limit. */
  maxMessageBytes: Type.Integer({ minimum: 1, maximum: 256 * 1024 * 1024, default: 4 * 1024 * 1024 }),
  /** Default deadline of one send (connect, handshake, request, answer), when the call gives none. */
  timeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 30_000 }),
  /** Deadline of the connection set-up and the identity checks; a peer that idles longer is dropped. */
  handshakeTimeoutMs: Type.Integer({ minimum: 1, maximum: 600_000, default: 10_000 }),
  /** Messages in flight at once on one connection; more wait for a free slot (no error). */
  maxConcurrentStreams: Type.Integer({ minimum: 1, maximum: 65_536, default: 2_048 }),
};

/** Builds the frozen, defaulted options of one transport from its schema, or throws ConfigError listing every problem. */
export function parseTransportOptions<T extends TProperties>(
  transportName: string,
  schema: TObject<T>,
  init: Record<string, unknown>,
): Readonly<Static<TObject<T>>> {
  const withDefaults: unknown = Value.Default(schema, structuredClone(init));
  const problems = [...Value.Errors(schema, withDefaults)].map(
    (error) => `${error.path === '' ? '(root)' : error.path}: ${error.message}`,
  );
  if (problems.length > 0) throw new ConfigError(`invalid options for transport '${transportName}'`, problems);
  return Object.freeze(withDefaults as Static<TObject<T>>);
}

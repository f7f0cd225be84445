import { FormatInvalidError, gnc, verifyMessage } from '../../node/src/canonical';
import { ConfigError } from '../../node/src/errors';

const ENVELOPE = 'gnc.v1.Envelope';

/**
 * What every format demands of a decoded Envelope beyond the schema types: a header with a
 * message id (dedupe and receipts key on it) and exactly one body. Known enum numbers only.
 */
export function checkEnvelope(envelope: gnc.v1.Envelope): gnc.v1.Envelope {
  verifyMessage(gnc.v1.Envelope, envelope);
  if (!envelope.header) throw new FormatInvalidError(ENVELOPE, 'header: missing');
  if (!envelope.header.messageId) throw new FormatInvalidError(ENVELOPE, 'header.messageId: missing');
  if (!envelope.body) throw new FormatInvalidError(ENVELOPE, 'body: no record (declaration, inspection, ...) is set');
  return envelope;
}

/** Refuses input above the format's size limit before any parsing. */
export function checkSize(bytes: Uint8Array, maxBytes: number): void {
  if (bytes.length > maxBytes) {
    throw new FormatInvalidError(ENVELOPE, `${bytes.length} bytes exceed the limit of ${maxBytes}`);
  }
}

/** Reads the `maxBytes` option every format takes (default 4 MiB). */
export function readFormatOptions(
  format: string,
  init: Record<string, unknown>,
  extra: readonly string[] = [],
): { maxBytes: number } {
  const problems: string[] = [];
  for (const key of Object.keys(init)) {
    if (key !== 'maxBytes' && !extra.includes(key)) problems.push(`unknown option '${key}'`);
  }
  const maxBytes = init.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    problems.push(`'maxBytes' must be a positive integer`);
  }
  if (problems.length > 0) {
    throw new FormatConfigError(format, problems);
  }
  return { maxBytes: maxBytes as number };
}

/** 4 MiB: far above any customs message, small enough that parsing it cannot exhaust memory. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

class FormatConfigError extends ConfigError {
  constructor(format: string, problems: string[]) {
    super(`message format '${format}' options are invalid`, problems);
  }
}

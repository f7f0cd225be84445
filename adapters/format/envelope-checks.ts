import { FormatInvalidError, gnc, verifyMessage } from '../../node/src/canonical';
import { ConfigError } from '../../node/src/errors';

const ENVELOPE = 'gnc.v1.Envelope';

/**
 * Envelopes a format's decode verified and handed out, so that encoding that same object again
 * (a translation: decode one format, encode another) does not verify it a second time. Weak: an
 * envelope leaves the set with the envelope. What an encoder is given otherwise (anything built in
 * process or passed through an API) is verified by verifyEnvelope as before.
 */
const decodedAndVerified = new WeakSet<object>();

/**
 * What every format demands of a decoded Envelope beyond the schema types: a header with a
 * message id (dedupe and receipts key on it) and exactly one body. Known enum numbers only.
 */
export function checkEnvelope(envelope: gnc.v1.Envelope): gnc.v1.Envelope {
  verifyMessage(gnc.v1.Envelope, envelope);
  return checkEnvelopeParts(envelope);
}

/**
 * checkEnvelope() without protobufjs's verify, for an envelope fromObject built from values the
 * format has already held to the schema, so that verify cannot fail on it: after fromObject
 * coerced every scalar to its field's type, verify can only refuse an enum number the enum lacks
 * or a second member of a oneof. wco-xml: the mapping sets enums by name from its tables, and the
 * gnc:Extension fields are held to their types, enum names and oneofs as they are applied. edifact: the reader sets enums from the gnc.v1 enums' own values only
 * and a single body. Verifying again measured about 2% of each decode. The fuzz targets of both
 * formats check that every envelope they decode passes verify.
 */
export function checkEnvelopeOfCheckedValues(envelope: gnc.v1.Envelope): gnc.v1.Envelope {
  return checkEnvelopeParts(envelope);
}

function checkEnvelopeParts(envelope: gnc.v1.Envelope): gnc.v1.Envelope {
  if (!envelope.header) throw new FormatInvalidError(ENVELOPE, 'header: missing');
  if (!envelope.header.messageId) throw new FormatInvalidError(ENVELOPE, 'header.messageId: missing');
  if (!envelope.body) throw new FormatInvalidError(ENVELOPE, 'body: no record (declaration, inspection, ...) is set');
  decodedAndVerified.add(envelope);
  return envelope;
}

/**
 * The check an encoder makes of the envelope it is given (protobufjs verify: field types, known
 * enum numbers, one body). Skipped for an envelope that checkEnvelope passed on decode: it was
 * verified once already. A caller that changes a decoded envelope in place before encoding it
 * takes that change on trust, as it does any other value it builds in process.
 */
export function verifyEnvelope(envelope: gnc.v1.IEnvelope): void {
  if (decodedAndVerified.has(envelope)) return;
  verifyMessage(gnc.v1.Envelope, envelope);
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

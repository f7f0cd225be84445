import { FormatInvalidError, fromJsonObject, gnc } from '../../../node/src/canonical';
import { ConfigError } from '../../../node/src/errors';
import { checkEnvelope, checkSize, readFormatOptions, verifyEnvelope } from '../envelope-checks';
import type { MessageFormat, MessageFormatFactory } from '../message-format';
import {
  INT64_AS_IS,
  findProtoDir,
  loadMessageRule,
  pruneDefaults,
  validateJson,
  type MessageRule,
} from './json-schema';

const ENVELOPE = 'gnc.v1.Envelope';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * `json`: the proto3 JSON mapping of gnc.v1.Envelope (adapters/format/README.md): lowerCamelCase
 * names, enums by name, int64 as decimal strings, bytes as base64, default values left out.
 * Decoding validates strictly against the .proto schema and names the JSON path of any problem.
 * Options: `maxBytes` (default 4 MiB), `protoDir` (default: the proto/ directory of this checkout).
 */
export const jsonFormat: MessageFormatFactory = (init) => {
  const { maxBytes } = readFormatOptions('json', init, ['protoDir']);
  if (init.protoDir !== undefined && typeof init.protoDir !== 'string') {
    throw new ConfigError(`message format 'json': 'protoDir' must be a string`);
  }
  const rule = loadMessageRule(init.protoDir ?? findProtoDir(), ENVELOPE);
  return () => newJsonFormat(maxBytes, rule);
};

function newJsonFormat(maxBytes: number, rule: MessageRule): MessageFormat {
  return {
    name: 'json',
    contentType: 'application/json',
    encode(envelope: gnc.v1.IEnvelope): Uint8Array {
      verifyEnvelope(envelope);
      // A plain object may hold proto3 defaults ('', 0, false) as own properties, which toObject
      // writes; proto3 JSON leaves them out, so equal messages give equal JSON. int64 values come
      // out as toJsonObject writes them (decimal strings), finished by pruneDefaults.
      const object = gnc.v1.Envelope.toObject(envelope as gnc.v1.Envelope, INT64_AS_IS);
      return Buffer.from(JSON.stringify(pruneDefaults(object, rule)), 'utf8');
    },
    decode(bytes: Uint8Array): gnc.v1.Envelope {
      checkSize(bytes, maxBytes);
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch (err) {
        throw new FormatInvalidError(ENVELOPE, 'input is not valid UTF-8', { cause: err });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new FormatInvalidError(ENVELOPE, `not JSON: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      const normalized = validateJson(parsed, rule, ENVELOPE);
      return checkEnvelope(fromJsonObject(gnc.v1.Envelope, normalized));
    },
  };
}

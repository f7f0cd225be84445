import { FormatInvalidError, fromJsonObject, gnc } from '../../../node/src/canonical';
import { ConfigError } from '../../../node/src/errors';
import { XmlParseError, parseXml } from '../../xml';
import { checkSize, checkEnvelopeOfCheckedValues, readFormatOptions, verifyEnvelope } from '../envelope-checks';
import { findProtoDir, loadMessageRule, toPrunedObject, type MessageRule } from '../json/json-schema';
import type { MessageFormat, MessageFormatFactory } from '../message-format';
import { decodeWco, type WcoDecoded, type WcoUnmapped } from './wco-decode';
import { decodeWcoStream } from './wco-stream-decode';
import { encodeWco } from './wco-encode';

const ENVELOPE = 'gnc.v1.Envelope';

/** What decodeWithReport() returns: the envelope and everything the canonical schema could not hold. */
export interface WcoDecodeResult {
  readonly envelope: gnc.v1.Envelope;
  /** `DEC` goods declaration, `RES` response / notification. */
  readonly document: 'DEC' | 'RES';
  /** WCO content with no canonical field (not carried further), by XPath, in document order. */
  readonly unmapped: readonly WcoUnmapped[];
  /** True when the document had no gnc:Extension header and the header was derived from it. */
  readonly headerDerived: boolean;
}

/** The `wco-xml` format, with the decoding report besides the MessageFormat contract. */
export interface WcoXmlFormat extends MessageFormat {
  decodeWithReport(bytes: Uint8Array): WcoDecodeResult;
}

/**
 * `wco-xml`: WCO Data Model 3.6 documents as HMRC CDS uses them (DMS namespaces): a goods
 * declaration (DEC) or a response / notification (RES) <-> an Envelope with a Declaration body,
 * field by field (docs/formats.md). Parsed with adapters/xml (no DTD, no entities, limits).
 * Options: `maxBytes` (default 4 MiB); `unmapped`: `'allow'` (default: WCO content without a
 * canonical field is left behind and listed by decodeWithReport) or `'reject'` (decode fails on
 * the first such element, naming its XPath), for agreements that must not lose anything.
 */
export const wcoXmlFormat: MessageFormatFactory = (init) => {
  const { maxBytes } = readFormatOptions('wco-xml', init, ['unmapped']);
  const unmapped = init.unmapped ?? 'allow';
  if (unmapped !== 'allow' && unmapped !== 'reject') {
    throw new ConfigError(`message format 'wco-xml' options are invalid`, [`'unmapped' must be 'allow' or 'reject'`]);
  }
  const rule = loadMessageRule(findProtoDir(), ENVELOPE);
  return () => newWcoXmlFormat(maxBytes, unmapped === 'reject', rule);
};

/** parseXml() and decodeWco(): every document, with the unmapped report and errors naming an XPath. */
export function decodeWcoTree(bytes: Uint8Array, maxBytes: number, rule: MessageRule): WcoDecoded {
  let doc;
  try {
    doc = parseXml(bytes, { maxBytes });
  } catch (err) {
    if (err instanceof XmlParseError) {
      throw new FormatInvalidError(ENVELOPE, `not acceptable XML: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return decodeWco(doc, bytes, rule);
}

function newWcoXmlFormat(maxBytes: number, rejectUnmapped: boolean, rule: MessageRule): WcoXmlFormat {
  const decodeWithReport = (bytes: Uint8Array): WcoDecodeResult => {
    checkSize(bytes, maxBytes);
    // A document that maps completely is mapped as it is scanned; any other (unmapped content, an
    // error to report with its XPath) is read again by the tree decoder, which gives the same
    // envelope for the first kind (a differential test holds them to that).
    const decoded = decodeWcoStream(bytes, maxBytes, rule) ?? decodeWcoTree(bytes, maxBytes, rule);
    if (rejectUnmapped && decoded.unmapped.length > 0) {
      const first = decoded.unmapped[0]!;
      throw new FormatInvalidError(
        ENVELOPE,
        `${first.xpath}: no canonical field for this content (${decoded.unmapped.length} unmapped item(s); option unmapped: 'reject')`,
      );
    }
    // No validateJson pass over the whole object: the mapping code types every value it sets, and
    // what the gnc:Extension block sets is held to its field's type and range as it is applied.
    const envelope = checkEnvelopeOfCheckedValues(fromJsonObject(gnc.v1.Envelope, decoded.object));
    return { envelope, document: decoded.document, unmapped: decoded.unmapped, headerDerived: decoded.headerDerived };
  };
  return {
    name: 'wco-xml',
    contentType: 'application/xml',
    encode(envelope: gnc.v1.IEnvelope): Uint8Array {
      verifyEnvelope(envelope);
      if (!envelope.header?.messageId) throw new FormatInvalidError(ENVELOPE, 'header.messageId: missing');
      if (!envelope.declaration) {
        throw new FormatInvalidError(ENVELOPE, 'body: wco-xml carries Declaration bodies only');
      }
      // The pruned proto3 JSON copy the encoder marks as it writes, made in one pass (64-bit
      // integers as text from their two halves: Long's own decimal conversion, by 32-bit
      // division, measured 5% of an encode).
      const object = toPrunedObject(envelope, rule);
      return Buffer.from(encodeWco(object), 'utf8');
    },
    decode(bytes: Uint8Array): gnc.v1.Envelope {
      return decodeWithReport(bytes).envelope;
    },
    decodeWithReport,
  };
}

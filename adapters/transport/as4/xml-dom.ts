/**
 * Reading SOAP envelopes safely: every partner document first goes through adapters/xml's
 * `parseXml`, which refuses any DOCTYPE (so no DTD, no external entity, no entity expansion), any
 * entity other than the five predefined ones, non-UTF-8 input and oversized or over-deep
 * documents; only then is it parsed by @xmldom/xmldom, whose DOM xml-crypto canonicalizes.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { GncError } from '../../../node/src/errors';
import { XmlParseError, parseXml } from '../../xml';

/** GNC_AS4_XML_INVALID (400): a SOAP part that is not XML this node reads; `line`/`column` are 1-based. */
export class As4XmlError extends GncError {
  constructor(
    message: string,
    readonly line = 0,
    readonly column = 0,
    options: { cause?: unknown } = {},
  ) {
    super('GNC_AS4_XML_INVALID', line > 0 ? `line ${line}, column ${column}: ${message}` : message, {
      httpStatus: 400,
      cause: options.cause,
    });
  }
}

export interface SafeXmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

/** Decodes UTF-8 strictly (no UTF-16, no invalid sequences). */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe || bytes[0] === 0xff) throw new As4XmlError('UTF-16 is not accepted: SOAP parts must be UTF-8');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw new As4XmlError('the SOAP part is not valid UTF-8', 0, 0, { cause: error });
  }
}

/** Throws As4XmlError unless `text` is a well-formed, DTD-free, entity-free document within `limits`. */
export function assertSafeXml(text: string, limits: Partial<SafeXmlLimits> = {}): void {
  try {
    parseXml(text, limits);
  } catch (error) {
    if (error instanceof XmlParseError)
      throw new As4XmlError(error.problem, error.line, error.column, { cause: error });
    throw error;
  }
}

/** assertSafeXml, then an xmldom Document (which xml-crypto canonicalizes). */
export function parseSafeXml(text: string, limits: Partial<SafeXmlLimits> = {}): Document {
  assertSafeXml(text, limits);
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') errors.push(message);
    },
  }).parseFromString(text, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) {
    throw new As4XmlError(`unreadable XML: ${errors[0] ?? 'no document element'}`);
  }
  return doc;
}

export const ELEMENT_NODE = 1;

/** The element children of `node`, optionally only those in namespace `uri` with local name `local`. */
export function children(node: Node, uri?: string, local?: string): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== ELEMENT_NODE) continue;
    const el = child as Element;
    if (uri !== undefined && el.namespaceURI !== uri) continue;
    if (local !== undefined && el.localName !== local) continue;
    out.push(el);
  }
  return out;
}

export function child(node: Node, uri: string, local: string): Element | undefined {
  return children(node, uri, local)[0];
}

/** Trimmed text content of an element (ebMS values are tokens; the samples wrap them in whitespace). */
export function text(el: Element | undefined): string | undefined {
  return el ? (el.textContent ?? '').trim() : undefined;
}

/** Every element of the document with `name` = `value` among the id attributes WS-Security uses. */
export function elementsWithId(doc: Document, id: string): Element[] {
  const out: Element[] = [];
  const visit = (node: Node) => {
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType !== ELEMENT_NODE) continue;
      const el = c as Element;
      if (idOf(el) === id) out.push(el);
      visit(el);
    }
  };
  visit(doc);
  return out;
}

const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

/** The element's wsu:Id, or its unqualified Id / id. */
export function idOf(el: Element): string | undefined {
  return el.getAttributeNS(WSU, 'Id') ?? el.getAttribute('Id') ?? el.getAttribute('id') ?? undefined;
}

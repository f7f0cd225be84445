/**
 * The one XML parser for what partners send (WCO payloads, XML signatures, AS4 envelopes): saxes
 * with namespaces, a small tree, and no DTD at all. A DOCTYPE is refused before saxes reads it, so
 * neither internal-subset entities (billion laughs) nor external entities can matter; any entity
 * reference other than the five predefined ones is refused too. Nothing is ever resolved or
 * fetched. Limits on size, depth, element and attribute counts bound the work per document.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { XmlParseError, type XmlParseErrorReason } from './xml-errors';
import type { XmlAttribute, XmlDocument, XmlNode } from './xml-tree';

export interface XmlParseOptions {
  /** Bytes of UTF-8 (for a string: its UTF-16 length). Default 4 MiB. */
  maxBytes?: number;
  /** Element nesting; the root element is depth 1. Default 64. */
  maxDepth?: number;
  /** Elements in the document. Default 100,000. */
  maxElements?: number;
  /** Attributes on one element, namespace declarations included. Default 256. */
  maxAttributes?: number;
  /** Keep whitespace-only text nodes (indentation). Default false. */
  keepWhitespaceText?: boolean;
  /** Keep comments inside the root element. Default false. */
  keepComments?: boolean;
}

export const XML_DEFAULT_LIMITS = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 100_000,
  maxAttributes: 256,
});

const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface MutableElement {
  kind: 'element';
  name: string;
  prefix: string;
  local: string;
  uri: string;
  attributes: XmlAttribute[];
  namespaces: Record<string, string>;
  children: XmlNode[];
  parent: MutableElement | undefined;
  line: number;
  column: number;
  start: number;
  end: number;
}

/**
 * Parses `input` (UTF-8 bytes, or a string) into an XmlDocument. Throws XmlParseError (code
 * GNC_XML_INVALID) naming line and column for: any DOCTYPE (reason `doctype`), an entity reference
 * other than &amp; &lt; &gt; &quot; &apos; and character references (`entity`), a limit exceeded
 * (`limit`), a non-UTF-8 document (`encoding`), and any well-formedness or namespace error (`syntax`).
 */
/** Turns a saxes error into an XmlParseError with its reason and position. */
function classify(raw: string, text: string, position: number, line: number, column: number): XmlParseError {
  const message = raw.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
  if (/entity/.test(message)) {
    // Name the reference and point at its '&' rather than after its ';'.
    const amp = text.lastIndexOf('&', position);
    const ref = amp >= 0 ? text.slice(amp, Math.min(position, amp + 40)) : '';
    const at = amp >= 0 ? lineColumn(text, amp) : { line, column };
    return new XmlParseError(
      'entity',
      `${message}${ref ? ` '${ref}'` : ''}: only &amp; &lt; &gt; &quot; &apos; and character references are accepted`,
      at.line,
      at.column,
    );
  }
  if (/doctype/i.test(message)) {
    const at = lineColumn(text, Math.max(0, text.lastIndexOf('<!DOCTYPE', position)));
    return new XmlParseError('doctype', `a DOCTYPE (DTD) is not accepted (${message})`, at.line, at.column);
  }
  return new XmlParseError('syntax', message, line, column);
}

export function parseXml(input: Uint8Array | string, options: XmlParseOptions = {}): XmlDocument {
  const maxBytes = options.maxBytes ?? XML_DEFAULT_LIMITS.maxBytes;
  const maxDepth = options.maxDepth ?? XML_DEFAULT_LIMITS.maxDepth;
  const maxElements = options.maxElements ?? XML_DEFAULT_LIMITS.maxElements;
  const maxAttributes = options.maxAttributes ?? XML_DEFAULT_LIMITS.maxAttributes;
  const keepWhitespace = options.keepWhitespaceText ?? false;
  const keepComments = options.keepComments ?? false;

  let text: string;
  if (typeof input === 'string') {
    if (input.length > maxBytes)
      throw new XmlParseError('limit', `${input.length} characters exceed the limit of ${maxBytes}`, 0, 0);
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    if (input.length > maxBytes)
      throw new XmlParseError('limit', `${input.length} bytes exceed the limit of ${maxBytes}`, 0, 0);
    text = decodeUtf8(input);
  }
  refuseDoctypeInProlog(text);

  const parser = new SaxesParser({ xmlns: true, position: true });
  // saxes reports the position after the token it just read; errors carry its 1-based line/column.
  const fail = (
    reason: XmlParseErrorReason,
    problem: string,
    line = parser.line,
    column = parser.column + 1,
  ): never => {
    throw new XmlParseError(reason, problem, line, column);
  };
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let declaration: XmlDocument['declaration'];
  let elements = 0;

  // Registration order matters to V8 (the handlers become properties of the parser object): this
  // order measured fastest; saxes gets ~5x slower with some others or with more than six handlers.
  parser.on('opentag', (tag: SaxesTagNS) => {
    const el = stack[stack.length - 1]!;
    el.prefix = tag.prefix;
    el.local = tag.local;
    el.uri = tag.uri;
    let count = 0;
    for (const key in tag.attributes) {
      const a = tag.attributes[key]!;
      if (++count > maxAttributes) fail('limit', `more than ${maxAttributes} attributes on <${tag.name}>`);
      if (a.uri === XMLNS_URI) continue;
      el.attributes.push({ name: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value });
    }
    if (tag.ns) for (const p in tag.ns) el.namespaces[p] = tag.ns[p]!;
  });
  parser.on('text', (t) => {
    const parent = stack[stack.length - 1];
    if (!parent) return;
    if (!keepWhitespace && isWhitespace(t)) return;
    parent.children.push({ kind: 'text', text: t, cdata: false });
  });
  parser.on('opentagstart', (tag) => {
    if (stack.length >= maxDepth) fail('limit', `elements nested deeper than ${maxDepth}`);
    if (++elements > maxElements) fail('limit', `more than ${maxElements} elements`);
    const position = parser.position;
    const start = text.lastIndexOf(`<${tag.name}`, position);
    let line = parser.line;
    let column: number;
    // saxes has read the character after the name; if it was a line end, the line has moved on.
    if (text.charCodeAt(position - 1) === 10 || text.charCodeAt(position - 1) === 13) {
      line -= 1;
      column = start - text.lastIndexOf('\n', start - 1);
    } else {
      column = parser.columnIndex - (position - start) + 1;
    }
    const parent = stack[stack.length - 1];
    const el: MutableElement = {
      kind: 'element',
      name: tag.name,
      prefix: '',
      local: '',
      uri: '',
      attributes: [],
      namespaces: {},
      children: [],
      parent,
      line,
      column,
      start,
      end: -1,
    };
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    const el = stack.pop();
    if (el) el.end = parser.position;
  });
  parser.on('cdata', (t) => {
    stack[stack.length - 1]?.children.push({ kind: 'text', text: t, cdata: true });
  });
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) {
      fail('encoding', `encoding '${decl.encoding}' is not accepted (UTF-8 only)`);
    }
    declaration = { version: decl.version ?? '1.0', encoding: decl.encoding, standalone: decl.standalone };
  });
  if (keepComments) parser.on('comment', (t) => stack[stack.length - 1]?.children.push({ kind: 'comment', text: t }));

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof XmlParseError) throw err;
    // saxes reports its own errors by throwing: an `error` handler would cost a 6x slowdown (V8
    // stops optimising the parser object once more than six handlers are set on it).
    throw classify(
      err instanceof Error ? err.message : String(err),
      text,
      parser.position,
      parser.line,
      parser.column + 1,
    );
  }
  if (!root) throw new XmlParseError('syntax', 'no root element', parser.line, parser.column + 1);
  return { root: root, declaration, text };
}

function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) {
    throw new XmlParseError('encoding', 'UTF-16 input is not accepted (UTF-8 only)', 0, 0);
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return utf8.decode(bom ? bytes.subarray(bom) : bytes);
  } catch {
    const { line, column } = invalidUtf8At(bytes.subarray(bom));
    throw new XmlParseError('encoding', 'invalid UTF-8', line, column);
  }
}

/** Where the first invalid UTF-8 sequence is (only computed for the error message). */
function invalidUtf8At(bytes: Uint8Array): { line: number; column: number } {
  let lo = 0;
  let hi = bytes.length;
  // The longest decodable prefix, by bisection (a prefix may also end inside a valid sequence).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // A stream decode keeps an incomplete sequence pending: step back to where it starts.
  let start = lo;
  while (start > 0 && (bytes[start - 1]! & 0xc0) === 0x80) start--;
  if (start > 0 && bytes[start - 1]! >= 0xc0) start--;
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, start));
  return lineColumn(prefix, prefix.length);
}

/**
 * A DOCTYPE can only stand in the prolog; it is refused there before saxes reads it, so that an
 * internal subset of any size or shape is never parsed. Skips whitespace, the XML declaration,
 * comments and processing instructions.
 */
function refuseDoctypeInProlog(text: string): void {
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return;
      i = end + 3;
    } else {
      break;
    }
  }
  if (text.startsWith('<!DOCTYPE', i) || text.startsWith('<!doctype', i)) {
    const { line, column } = lineColumn(text, i);
    throw new XmlParseError('doctype', 'a DOCTYPE (DTD) is not accepted', line, column);
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

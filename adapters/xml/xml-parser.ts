/**
 * The one XML parser for what partners send (WCO payloads, XML signatures, AS4 envelopes): a
 * scanner over the decoded text that checks XML 1.0 well-formedness and Namespaces in XML 1.0 and
 * builds a small tree. There is no DTD support at all: a DOCTYPE is refused wherever it stands, so
 * neither internal-subset entities (billion laughs) nor external entities can matter; any entity
 * reference other than the five predefined ones is refused too. Nothing is ever resolved or
 * fetched. Limits on size, depth, element and attribute counts bound the work per document.
 *
 * Written by hand rather than on a SAX library: the tree is all the node needs, and building it
 * straight from the text (indexOf over character data, one check of every character up front)
 * costs a fraction of an event-per-token parser, which was most of the time of a WCO translation.
 */
import { isAscii } from 'node:buffer';
import { XmlParseError, type XmlParseErrorReason } from './xml-errors';
import type { XmlAttribute, XmlDocument, XmlElement, XmlNode } from './xml-tree';

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

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A character outside the XML 1.0 Char production (controls, U+FFFE/U+FFFF, a lone surrogate). */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** The same for text decoded from UTF-8, which cannot hold a lone surrogate (a faster, non-Unicode pattern). */
// Finding control characters is the point of this pattern.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR_DECODED = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
/** NCName of Namespaces in XML (a Name without colons), for names with non-ASCII characters. */
// The Name production allows the combining marks U+0300-U+036F after the first character, as a range.
// eslint-disable-next-line no-misleading-character-class
const NCNAME = new RegExp(`^[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*$`, 'u');
/** ASCII name characters: 1 may start a name, 2 may only follow; ':' is checked as the QName separator. */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) ASCII_NAME[c] = 1;
  else if (/[-.0-9]/.test(ch)) ASCII_NAME[c] = 2;
}
/** ASCII_NAME for qnameEnd(), the colon apart as 3: 1 then means a name character with no further test. */
const QNAME_KIND = ASCII_NAME.map((kind, c) => (c === 0x3a ? 3 : kind));
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NO_ATTRIBUTES: readonly XmlAttribute[] = Object.freeze([]);
const NO_NAMESPACES: Readonly<Record<string, string>> = Object.freeze({});
/** The children of every element in event mode (scanXml): nothing is collected there. */
const NO_CHILDREN: XmlNode[] = Object.freeze([]) as unknown as XmlNode[];

/**
 * What scanXml() reports, in document order, instead of building a tree. The elements it passes
 * are those parseXml() builds (names, namespaces, attributes, parent, line, column, index), with
 * no children: a reader that maps the document as it goes does not pay for the tree.
 */
export interface XmlEventHandler {
  /** A start tag (a self-closing element is followed at once by its endElement). */
  startElement(el: XmlElement): void;
  /** Character data or a CDATA section inside the root element (indentation dropped as in parseXml). */
  text(value: string): void;
  endElement(el: XmlElement): void;
}

type Bindings = Record<string, string>;

interface MutableElement {
  kind: 'element';
  name: string;
  prefix: string;
  local: string;
  uri: string;
  attributes: readonly XmlAttribute[];
  namespaces: Readonly<Record<string, string>>;
  children: XmlNode[];
  parent: MutableElement | undefined;
  line: number;
  column: number;
  start: number;
  end: number;
  index: number;
}

/**
 * Parses `input` (UTF-8 bytes, or a string) into an XmlDocument. Throws XmlParseError (code
 * GNC_XML_INVALID) naming line and column for: any DOCTYPE (reason `doctype`), an entity reference
 * other than &amp; &lt; &gt; &quot; &apos; and character references (`entity`), a limit exceeded
 * (`limit`), a non-UTF-8 document (`encoding`), and any well-formedness or namespace error (`syntax`).
 */
export function parseXml(input: Uint8Array | string, options: XmlParseOptions = {}): XmlDocument {
  const { text, codes, notXmlChar } = documentText(input, options.maxBytes ?? XML_DEFAULT_LIMITS.maxBytes);
  return new Scanner(text, codes, options, undefined).document(notXmlChar);
}

/**
 * The text of `input`, its code units, and the pattern that finds a character outside the XML
 * Char production in it, or undefined when the bytes were checked already: ASCII bytes (one SIMD
 * pass, isAscii) are checked for control characters four at a time and taken as Latin-1 (a copy),
 * instead of a UTF-8 decode and a regular expression over the text (which measured a quarter of a
 * scan). Those bytes are also the text's code units, index for index.
 */
function documentText(
  input: Uint8Array | string,
  maxBytes: number,
): { text: string; codes: CodeUnits; notXmlChar?: RegExp } {
  if (typeof input === 'string') {
    if (input.length > maxBytes)
      throw new XmlParseError('limit', `${input.length} characters exceed the limit of ${maxBytes}`, 0, 0);
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return { text, codes: codeUnitsOf(text), notXmlChar: NOT_XML_CHAR };
  }
  if (input.length > maxBytes)
    throw new XmlParseError('limit', `${input.length} bytes exceed the limit of ${maxBytes}`, 0, 0);
  // No byte-order mark or UTF-16 mark is ASCII: decodeUtf8() handles those.
  if (isAscii(input)) {
    const text = Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');
    // A control character found: the regular expression names it, as for any other document.
    return hasControlCharacter(input)
      ? { text, codes: input, notXmlChar: NOT_XML_CHAR_DECODED }
      : { text, codes: input };
  }
  const text = decodeUtf8(input);
  return { text, codes: codeUnitsOf(text), notXmlChar: NOT_XML_CHAR_DECODED };
}

/**
 * The UTF-16 code units of a document's text, index for index, which the scanner reads instead of
 * text.charCodeAt(): a typed array load is one machine load, where charCodeAt() first finds out
 * how the string is stored (measured: the scan of a 6 KB declaration 24 -> 20 µs). An ASCII
 * document's bytes are its code units as they are; other text is copied once. Read past the end,
 * a typed array gives undefined, which fails every comparison as charCodeAt()'s NaN does.
 */
type CodeUnits = Uint8Array | Uint16Array;

/** UTF-16LE bytes read as a Uint16Array are the code units only on a little-endian machine. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function codeUnitsOf(text: string): Uint16Array {
  const codes = new Uint16Array(text.length);
  if (LITTLE_ENDIAN) {
    // One native copy (Buffer's UTF-16LE encoder), where a loop of charCodeAt() cost a sixth of
    // the decoding of a 17 KB non-ASCII declaration.
    Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).write(text, 'utf16le');
    return codes;
  }
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  return codes;
}

/** 0x01 in every byte: with it, `(w - ONES * n) & ONES * 0x80` flags an ASCII word with a byte below n. */
const BYTE_ONES = 0x01010101;
const BELOW_SPACE = BYTE_ONES * 0x20;
const HIGH_BITS = BYTE_ONES * 0x80;

/**
 * Whether ASCII `bytes` hold a control character other than tab, line feed and carriage return
 * (the only ones below 0x20 that XML 1.0 allows). Four bytes at a time: a word with a byte below
 * 0x20 (exact for a limit of at most 0x80) has its bytes looked at one by one. The bytes are
 * ASCII (isAscii() passed), so no byte has its high bit set before the subtraction: the usual
 * `& ~w` of the test is not needed. Eight words are tested together, their results or-ed, which
 * measured 2.5 times faster than one word per iteration (1.7 -> 0.63 µs for a 6 KB document).
 */
function hasControlCharacter(bytes: Uint8Array): boolean {
  const length = bytes.length;
  const head = Math.min(length, (4 - (bytes.byteOffset & 3)) & 3);
  for (let i = 0; i < head; i++) if (isDisallowedControl(bytes[i]!)) return true;
  const words = (length - head) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + head, words);
    let k = 0;
    for (; k + 8 <= words; k += 8) {
      const borrows =
        (view[k]! - BELOW_SPACE) |
        (view[k + 1]! - BELOW_SPACE) |
        (view[k + 2]! - BELOW_SPACE) |
        (view[k + 3]! - BELOW_SPACE) |
        (view[k + 4]! - BELOW_SPACE) |
        (view[k + 5]! - BELOW_SPACE) |
        (view[k + 6]! - BELOW_SPACE) |
        (view[k + 7]! - BELOW_SPACE);
      if ((borrows & HIGH_BITS) === 0) continue;
      const at = head + k * 4;
      for (let i = at; i < at + 32; i++) if (isDisallowedControl(bytes[i]!)) return true;
    }
    for (; k < words; k++) {
      if (((view[k]! - BELOW_SPACE) & HIGH_BITS) === 0) continue;
      const at = head + k * 4;
      for (let i = at; i < at + 4; i++) if (isDisallowedControl(bytes[i]!)) return true;
    }
  }
  for (let i = head + words * 4; i < length; i++) if (isDisallowedControl(bytes[i]!)) return true;
  return false;
}

function isDisallowedControl(b: number): boolean {
  return b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;
}

/**
 * Scans `input` with every check and limit of parseXml() (same errors), reporting elements and
 * text to `handler` as they come instead of building a tree; comments are not reported. An error
 * the handler throws ends the scan. Returns the number of elements.
 */
export function scanXml(
  input: Uint8Array | string,
  handler: XmlEventHandler,
  options: Omit<XmlParseOptions, 'keepComments'> = {},
): number {
  const { text, codes, notXmlChar } = documentText(input, options.maxBytes ?? XML_DEFAULT_LIMITS.maxBytes);
  return new Scanner(text, codes, options, handler).document(notXmlChar).elementCount;
}

class Scanner {
  private readonly length: number;
  private readonly hasCarriageReturn: boolean;
  private readonly maxDepth: number;
  private readonly maxElements: number;
  private readonly maxAttributes: number;
  private readonly keepWhitespace: boolean;
  private readonly keepComments: boolean;
  private readonly lines: LineCursor;
  /**
   * The innermost open element (its `parent` the next one out), and how many are open: the open
   * elements need no array of their own, which measured 5% of a scan in pushes and reads.
   */
  private openElement: MutableElement | undefined;
  private depth = 0;
  private readonly scopes: Bindings[] = [];
  private scope: Bindings;
  private root: MutableElement | undefined;
  private rootClosed = false;
  private elements = 0;
  private declaration: XmlDocument['declaration'];
  /** Set by qnameEnd(). */
  private scannedQName = false;
  /** Set by qnameEnd(): where the colon of the name is, from its start (-1: none). */
  private scannedColon = -1;
  /**
   * The last namespace resolution of an element name: its scope, prefix and URI. A scope is not
   * changed once made (a declaration makes a new one), so the same scope and prefix give the same
   * URI: siblings and children without declarations skip the lookup in the scope's dictionary.
   */
  private lastScope: Bindings | undefined;
  private lastPrefix = '';
  private lastUri = '';

  constructor(
    private readonly text: string,
    /** The code units of `text` (see CodeUnits): every character the scan looks at is read here. */
    private readonly codes: CodeUnits,
    options: XmlParseOptions,
    /** Event mode (scanXml): elements and text go to it, and no tree is built. */
    private readonly handler: XmlEventHandler | undefined,
  ) {
    this.length = text.length;
    this.hasCarriageReturn = text.includes('\r');
    this.maxDepth = options.maxDepth ?? XML_DEFAULT_LIMITS.maxDepth;
    this.maxElements = options.maxElements ?? XML_DEFAULT_LIMITS.maxElements;
    this.maxAttributes = options.maxAttributes ?? XML_DEFAULT_LIMITS.maxAttributes;
    this.keepWhitespace = options.keepWhitespaceText ?? false;
    this.keepComments = (options.keepComments ?? false) && handler === undefined;
    this.lines = new LineCursor(text);
    const initial: Bindings = Object.create(null) as Bindings;
    initial.xml = XML_NS;
    this.scope = initial;
  }

  private fail(reason: XmlParseErrorReason, problem: string, offset: number): never {
    const { line, column } = new LineCursor(this.text).at(Math.min(offset, this.length));
    throw new XmlParseError(reason, problem, line, column);
  }

  /** Parses the whole text; `notXmlChar` finds a character outside the Char production (undefined: none). */
  document(notXmlChar: RegExp | undefined): XmlDocument {
    const text = this.text;
    const codes = this.codes;
    const bad = notXmlChar?.exec(text);
    if (bad) {
      const code = bad[0].codePointAt(0)!;
      this.fail('syntax', `disallowed character U+${code.toString(16).toUpperCase().padStart(4, '0')}`, bad.index);
    }
    let pos = 0;
    if (text.startsWith('<?xml', 0) && isSpace(codes[5]!)) pos = this.xmlDeclaration();
    const length = this.length;
    while (pos < length) {
      // Markup often follows markup (`</a><b>`): no text to look at before the '<' already there.
      if (codes[pos]! !== 0x3c /* < */) {
        pos = this.characterData(pos);
        if (pos >= length) break;
      }
      const lt = pos;
      const next = codes[lt + 1]!;
      if (next === 0x2f /* / */) pos = this.closeTag(lt);
      else if (next === 0x3f /* ? */) pos = this.processingInstruction(lt);
      else if (next === 0x21 /* ! */) pos = this.bang(lt);
      else pos = this.openTag(lt);
    }
    const open = this.openElement;
    if (open) this.fail('syntax', `unclosed tag: ${open.name}`, length);
    if (!this.root) this.fail('syntax', 'no root element', length);
    return { root: this.root, declaration: this.declaration, text, elementCount: this.elements };
  }

  /** `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` at the very start. */
  private xmlDeclaration(): number {
    const text = this.text;
    const close = text.indexOf('?>', 5);
    if (close < 0) this.fail('syntax', 'unterminated XML declaration', 0);
    const body = text.slice(5, close);
    const m =
      /^[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"(1\.[0-9]+)"|'(1\.[0-9]+)')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"([A-Za-z][A-Za-z0-9._-]*)"|'([A-Za-z][A-Za-z0-9._-]*)'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(yes|no)"|'(yes|no)'))?[ \t\r\n]*$/.exec(
        body,
      );
    if (!m) this.fail('syntax', 'malformed XML declaration', 0);
    const encoding = m[3] ?? m[4];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
      this.fail('encoding', `encoding '${encoding}' is not accepted (UTF-8 only)`, 0);
    }
    this.declaration = { version: m[1] ?? m[2]!, encoding, standalone: m[5] ?? m[6] };
    return close + 2;
  }

  /**
   * Text from `start` up to the next '<' (or the end of the document), in the root element or
   * around it; returns where it ends. One pass over the characters finds its end and what the
   * text needs (a reference, a "]]>", a carriage return, anything but white space), so that
   * indentation is dropped without a copy and plain text is sliced once, instead of a search for
   * the '<' and then further passes over the same characters (most text is a short value).
   */
  private characterData(start: number): number {
    const text = this.text;
    const codes = this.codes;
    const length = this.length;
    let onlySpace = true;
    let ampersand = false;
    let carriageReturn = false;
    /** Where the first "]]>" of this text starts, if any. */
    let forbidden = -1;
    let end = start;
    for (; end < length; end++) {
      const c = codes[end]!;
      if (c === 0x3c /* < */) break;
      if (c === 0x20 || c === 0x0a || c === 0x09) continue;
      if (c === 0x0d) carriageReturn = true;
      else {
        onlySpace = false;
        if (c === 0x26 /* & */) ampersand = true;
        else if (
          c === 0x3e /* > */ &&
          forbidden < 0 &&
          end - start >= 2 &&
          codes[end - 1]! === 0x5d /* ] */ &&
          codes[end - 2]! === 0x5d
        )
          forbidden = end - 2;
      }
    }
    const parent = this.openElement;
    if (!parent) {
      if (!onlySpace) this.fail('syntax', 'text data outside of root node', start);
      return end;
    }
    // Found in the pass above: a search from here would run on past this text, to the end.
    if (forbidden >= 0) this.fail('syntax', `the string "]]>" is disallowed in char data`, forbidden);
    if (!this.keepWhitespace && onlySpace) return end;
    const raw = text.slice(start, end);
    const value = ampersand || carriageReturn ? this.decode(raw, start, false) : raw;
    // Character references may spell white space too (&#32;): such text is indentation as well.
    if (!this.keepWhitespace && value !== raw && isWhitespace(value)) return end;
    if (this.handler) this.handler.text(value);
    else parent.children.push({ kind: 'text', text: value, cdata: false });
    return end;
  }

  /**
   * The value of character data or of an attribute (`raw` starts at offset `start`): line ends
   * normalised, references replaced, and for an attribute white space characters as spaces.
   */
  private decode(raw: string, start: number, attribute: boolean): string {
    let amp = raw.indexOf('&');
    if (amp < 0) return this.literal(raw, attribute);
    let out = '';
    let from = 0;
    while (amp >= 0) {
      out += this.literal(raw.slice(from, amp), attribute);
      const semi = raw.indexOf(';', amp + 1);
      const name = semi < 0 ? raw.slice(amp + 1, amp + 12) : raw.slice(amp + 1, semi);
      out += this.reference(name, semi >= 0, start + amp);
      from = semi + 1;
      amp = raw.indexOf('&', from);
    }
    return out + this.literal(raw.slice(from), attribute);
  }

  private literal(s: string, attribute: boolean): string {
    if (this.hasCarriageReturn && s.includes('\r')) s = s.replace(/\r\n?/g, '\n');
    if (attribute && /[\t\n]/.test(s)) s = s.replace(/[\t\n]/g, ' ');
    return s;
  }

  /** `&name;` (without the delimiters): a predefined entity or a character reference. */
  private reference(name: string, terminated: boolean, at: number): string {
    const refused = (problem: string): never =>
      this.fail(
        'entity',
        `${problem} '&${terminated ? `${name};` : name}': only &amp; &lt; &gt; &quot; &apos; and character references are accepted`,
        at,
      );
    if (!terminated) return refused('unterminated entity reference');
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    if (name.charCodeAt(0) === 0x23 /* # */) {
      const m = /^#(?:([0-9]{1,7})|x([0-9A-Fa-f]{1,6}))$/.exec(name);
      const code = m ? (m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16)) : -1;
      if (code < 0 || code > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(code))) {
        return refused('malformed character reference');
      }
      return String.fromCodePoint(code);
    }
    return refused(isQName(name) ? 'undefined entity' : 'malformed entity reference');
  }

  /** `<!--`, `<![CDATA[` or a refused `<!DOCTYPE`. */
  private bang(lt: number): number {
    const text = this.text;
    const codes = this.codes;
    if (text.startsWith('<!--', lt)) {
      const dashes = text.indexOf('--', lt + 4);
      if (dashes < 0) this.fail('syntax', 'unterminated comment', lt);
      if (codes[dashes + 2]! !== 0x3e /* > */) this.fail('syntax', `"--" is not allowed in a comment`, dashes);
      const parent = this.openElement;
      if (this.keepComments && parent) {
        parent.children.push({ kind: 'comment', text: this.literal(text.slice(lt + 4, dashes), false) });
      }
      return dashes + 3;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const close = text.indexOf(']]>', lt + 9);
      if (close < 0) this.fail('syntax', 'unterminated CDATA section', lt);
      const parent = this.openElement;
      if (!parent) this.fail('syntax', 'text data outside of root node', lt);
      const value = this.literal(text.slice(lt + 9, close), false);
      if (this.handler) this.handler.text(value);
      else parent.children.push({ kind: 'text', text: value, cdata: true });
      return close + 3;
    }
    if (/^<!doctype/i.test(text.slice(lt, lt + 9))) this.fail('doctype', 'a DOCTYPE (DTD) is not accepted', lt);
    return this.fail('syntax', 'incorrect syntax after "<!"', lt);
  }

  /** `<?target ...?>`: checked and skipped (no vocabulary the node reads uses them). */
  private processingInstruction(lt: number): number {
    const text = this.text;
    const codes = this.codes;
    const close = text.indexOf('?>', lt + 2);
    if (close < 0) this.fail('syntax', 'unterminated processing instruction', lt);
    const nameEnd = this.nameEnd(lt + 2);
    const target = text.slice(lt + 2, nameEnd);
    if (target === '' || target.includes(':') || !isQName(target)) {
      this.fail('syntax', 'malformed processing instruction target', lt + 2);
    }
    if (target.toLowerCase() === 'xml') {
      this.fail('syntax', 'an XML declaration is allowed only at the start of the document', lt);
    }
    if (nameEnd !== close && !isSpace(codes[nameEnd]!)) {
      this.fail('syntax', 'processing instruction target not followed by white space', nameEnd);
    }
    return close + 2;
  }

  /** Where the name-like run of characters starting at `pos` ends (validated by the caller). */
  private nameEnd(pos: number): number {
    const codes = this.codes;
    const length = this.length;
    while (pos < length) {
      const c = codes[pos]!;
      // Non-ASCII characters are taken here and checked by isQName() with the full Name production.
      if (c < 0x80 && ASCII_NAME[c] === 0) break;
      pos++;
    }
    return pos;
  }

  /**
   * Where the name starting at `pos` ends, checking on the way that it is a QName (isQName() for
   * ASCII names, in the same pass); `scannedQName` tells the result.
   */
  private qnameEnd(pos: number): number {
    const text = this.text;
    const codes = this.codes;
    const length = this.length;
    const start = pos;
    // Letters and underscores (most names are nothing else) change none of the state below: they
    // are passed in a loop of their own (past the end a read gives undefined, which ends it).
    let c0 = codes[pos]!;
    while (c0 < 0x80 && QNAME_KIND[c0] === 1) c0 = codes[++pos]!;
    let colon = -1;
    let valid = true;
    let ascii = true;
    for (; pos < length; pos++) {
      const c = codes[pos]!;
      if (c >= 0x80) {
        ascii = false;
        continue;
      }
      const kind = QNAME_KIND[c];
      // Letters first: most characters of a name take no further test.
      if (kind === 1) continue;
      if (kind === 0) break;
      if (kind === 3 /* : */) {
        if (colon >= 0 || pos === start) valid = false;
        colon = pos;
      } else if (pos === start || pos === colon + 1) {
        valid = false;
      }
    }
    if (pos === start || colon === pos - 1) valid = false;
    this.scannedQName = valid && (ascii || isQName(text.slice(start, pos)));
    this.scannedColon = colon < 0 ? -1 : colon - start;
    return pos;
  }

  private skipSpace(pos: number): number {
    const codes = this.codes;
    while (pos < this.length && isSpace(codes[pos]!)) pos++;
    return pos;
  }

  private openTag(lt: number): number {
    const text = this.text;
    const codes = this.codes;
    if (this.rootClosed) this.fail('syntax', 'text data outside of root node (a second root element)', lt);
    if (this.depth >= this.maxDepth) this.fail('limit', `elements nested deeper than ${this.maxDepth}`, lt);
    if (++this.elements > this.maxElements) this.fail('limit', `more than ${this.maxElements} elements`, lt);
    const nameEnd = this.qnameEnd(lt + 1);
    const name = text.slice(lt + 1, nameEnd);
    // Taken before the attribute names are scanned (they set it again).
    const colon = this.scannedColon;
    if (!this.scannedQName)
      this.fail('syntax', name === '' ? 'unexpected "<"' : `malformed tag name '${name}'`, lt + 1);

    // Attributes as written, namespace declarations included (they count against the limit).
    let names: string[] | undefined;
    let values: string[] | undefined;
    let distinct: DistinctNames | undefined;
    let pos = nameEnd;
    let selfClosing = false;
    for (;;) {
      const afterSpace = this.skipSpace(pos);
      const c = codes[afterSpace]!;
      if (c === 0x3e /* > */) {
        pos = afterSpace + 1;
        break;
      }
      if (c === 0x2f /* / */) {
        if (codes[afterSpace + 1]! !== 0x3e) this.fail('syntax', 'expected "/>"', afterSpace);
        pos = afterSpace + 2;
        selfClosing = true;
        break;
      }
      if (afterSpace >= this.length) this.fail('syntax', `unterminated start tag <${name}>`, lt);
      if (afterSpace === pos) this.fail('syntax', `white space expected before an attribute of <${name}>`, pos);
      const attrEnd = this.qnameEnd(afterSpace);
      const attrName = text.slice(afterSpace, attrEnd);
      if (!this.scannedQName) {
        this.fail(
          'syntax',
          attrName === '' ? `unexpected character in <${name}>` : `malformed attribute name '${attrName}'`,
          afterSpace,
        );
      }
      const eq = this.skipSpace(attrEnd);
      if (codes[eq]! !== 0x3d /* = */) this.fail('syntax', `attribute '${attrName}' has no value`, eq);
      const open = this.skipSpace(eq + 1);
      const quote = codes[open]!;
      if (quote !== 0x22 && quote !== 0x27) this.fail('syntax', `attribute '${attrName}': value not quoted`, open);
      const close = text.indexOf(quote === 0x22 ? '"' : "'", open + 1);
      if (close < 0) this.fail('syntax', `attribute '${attrName}': unterminated value`, open);
      // One pass over the value finds what it needs: a `<` (refused), a reference, a white space
      // character to normalise; most values (codes, a path) have none and are used as sliced.
      let plain = true;
      for (let i = open + 1; i < close; i++) {
        const v = codes[i]!;
        if (v === 0x3c /* < */) this.fail('syntax', `attribute '${attrName}': "<" is not allowed in a value`, i);
        if (v === 0x26 /* & */ || v === 0x09 || v === 0x0a || v === 0x0d) plain = false;
      }
      const raw = text.slice(open + 1, close);
      names ??= [];
      values ??= [];
      if (names.length >= this.maxAttributes) {
        this.fail('limit', `more than ${this.maxAttributes} attributes on <${name}>`, afterSpace);
      }
      // A duplicate needs a second attribute: the set of names is made for the second one.
      if (names.length === 1) {
        distinct = new DistinctNames();
        distinct.add(names[0]!);
      }
      if (distinct && !distinct.add(attrName)) this.fail('syntax', `duplicate attribute: ${attrName}`, afterSpace);
      names.push(attrName);
      values.push(plain ? raw : this.decode(raw, open + 1, true));
      pos = close + 1;
    }

    // The scope around this element: its own declarations end with it (self-closing or not).
    const outerScope = this.scope;
    const el = this.element(name, colon, lt, names, values);
    const parent = this.openElement;
    const handler = this.handler;
    if (!parent) this.root = el;
    else if (!handler) parent.children.push(el);
    if (handler) handler.startElement(el);
    if (selfClosing) {
      el.end = pos;
      if (!parent) this.rootClosed = true;
      this.scope = outerScope;
      if (handler) handler.endElement(el);
    } else {
      this.openElement = el;
      this.depth++;
      this.scopes.push(outerScope);
    }
    return pos;
  }

  /** The element with its namespaces resolved; `this.scope` becomes its scope. */
  /** `colon`: where the colon of `name` is (-1: none), as qnameEnd() found it. */
  private element(name: string, colon: number, lt: number, names?: string[], values?: string[]): MutableElement {
    let scope = this.scope;
    let namespaces = NO_NAMESPACES;
    let attributes = NO_ATTRIBUTES;
    if (names) {
      let declared: Record<string, string> | undefined;
      for (let i = 0; i < names.length; i++) {
        const attrName = names[i]!;
        if (attrName !== 'xmlns' && !attrName.startsWith('xmlns:')) continue;
        const prefix = attrName === 'xmlns' ? '' : attrName.slice(6);
        const uri = values![i]!;
        const problem = namespaceProblem(prefix, uri);
        if (problem) this.fail('syntax', problem, lt);
        if (!declared) {
          declared = {};
          scope = Object.assign(Object.create(null) as Bindings, scope);
        }
        declared[prefix] = uri;
        scope[prefix] = uri;
      }
      if (declared) namespaces = declared;
      const resolved: XmlAttribute[] = [];
      let expandedNames: DistinctNames | undefined;
      for (let i = 0; i < names.length; i++) {
        const attrName = names[i]!;
        if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) continue;
        const colon = attrName.indexOf(':');
        const prefix = colon < 0 ? '' : attrName.slice(0, colon);
        const local = colon < 0 ? attrName : attrName.slice(colon + 1);
        // Unprefixed attributes are in no namespace (they do not take the default one).
        const uri = colon < 0 ? '' : (scope[prefix] ?? this.unbound(prefix, lt));
        // Two prefixes bound to one namespace can make different names the same attribute.
        if (colon >= 0) {
          const expanded = `{${uri}}${local}`;
          expandedNames ??= new DistinctNames();
          if (!expandedNames.add(expanded)) this.fail('syntax', `duplicate attribute: ${expanded}`, lt);
        }
        resolved.push({ name: attrName, prefix, local, uri, value: values![i]! });
      }
      if (resolved.length > 0) attributes = resolved;
    }
    this.scope = scope;
    const prefix = colon < 0 ? '' : name.slice(0, colon);
    let uri: string;
    if (scope === this.lastScope && prefix === this.lastPrefix) {
      uri = this.lastUri;
    } else {
      uri = (colon < 0 ? scope[''] : (scope[prefix] ?? this.unbound(prefix, lt))) ?? '';
      this.lastScope = scope;
      this.lastPrefix = prefix;
      this.lastUri = uri;
    }
    const lines = this.lines;
    const line = lines.lineOf(lt);
    const column = lt - lines.lineStart + 1;
    return {
      kind: 'element',
      name,
      prefix,
      local: colon < 0 ? name : name.slice(colon + 1),
      uri,
      attributes,
      namespaces,
      children: this.handler ? NO_CHILDREN : [],
      parent: this.openElement,
      line,
      column,
      start: lt,
      end: -1,
      index: this.elements - 1,
    };
  }

  private unbound(prefix: string, at: number): never {
    return this.fail('syntax', `unbound namespace prefix: "${prefix}"`, at);
  }

  private closeTag(lt: number): number {
    const text = this.text;
    const codes = this.codes;
    const el = this.openElement;
    if (el) {
      this.openElement = el.parent;
      this.depth--;
    }
    // The usual case, `</name>` of the open element, without taking the name out of the text.
    if (el && this.closesWith(el, lt + 2)) return this.closed(el, lt + 3 + el.name.length);
    const nameEnd = this.nameEnd(lt + 2);
    const name = text.slice(lt + 2, nameEnd);
    if (!el) this.fail('syntax', `unexpected close tag </${name}>`, lt);
    if (name !== el.name) this.fail('syntax', `unexpected close tag </${name}> (expected </${el.name}>)`, lt);
    const gt = this.skipSpace(nameEnd);
    if (codes[gt]! !== 0x3e /* > */) this.fail('syntax', `malformed close tag </${name}>`, gt);
    return this.closed(el, gt + 1);
  }

  /**
   * Whether the name of `el` followed by `>` stands at `pos`. The `>` is tested first (a cheap
   * miss), then the code units are compared with those of the start tag's name (just after its
   * `<`): with code units, a loop is faster than a slice compared with the name in one string
   * comparison, which allocated the slice (measured: the scan of a 6 KB declaration 20.6 -> 18.4 µs;
   * with charCodeAt() the slice had been the faster).
   */
  private closesWith(el: MutableElement, pos: number): boolean {
    const codes = this.codes;
    const end = pos + el.name.length;
    if (codes[end]! !== 0x3e /* > */) return false;
    const toStartTag = el.start + 1 - pos;
    for (let i = pos; i < end; i++) if (codes[i]! !== codes[i + toStartTag]!) return false;
    return true;
  }

  /** Ends `el` (popped already) at `end`, just after its end tag. */
  private closed(el: MutableElement, end: number): number {
    el.end = end;
    this.scope = this.scopes.pop()!;
    if (this.depth === 0) this.rootClosed = true;
    if (this.handler) this.handler.endElement(el);
    return end;
  }
}

/**
 * Names added one by one, telling whether each was there already: a scan for the usual few, a Set
 * beyond, so that the maximum number of attributes cannot cost a quadratic number of comparisons.
 */
class DistinctNames {
  private readonly few: string[] = [];
  private many: Set<string> | undefined;

  /** Adds `name`; false when it was there already. */
  add(name: string): boolean {
    if (this.many) {
      if (this.many.has(name)) return false;
      this.many.add(name);
      return true;
    }
    if (this.few.includes(name)) return false;
    this.few.push(name);
    if (this.few.length >= 16) this.many = new Set(this.few);
    return true;
  }
}

/** Why a namespace declaration is not acceptable (Namespaces in XML 1.0, section 3), if it is not. */
function namespaceProblem(prefix: string, uri: string): string | undefined {
  if (prefix === 'xmlns') return 'the prefix xmlns must not be declared';
  if (prefix === 'xml' && uri !== XML_NS) return `the prefix xml must be bound to ${XML_NS}`;
  if (prefix !== 'xml' && uri === XML_NS) return `only the prefix xml may be bound to ${XML_NS}`;
  if (uri === XMLNS_NS) return `no prefix may be bound to ${XMLNS_NS}`;
  if (prefix !== '' && uri === '') return `the prefix ${prefix} cannot be undeclared (XML 1.0)`;
  return undefined;
}

/** A QName of Namespaces in XML: NCName, or NCName ':' NCName. */
function isQName(name: string): boolean {
  const length = name.length;
  if (length === 0) return false;
  let ascii = true;
  let colon = -1;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else if (c === 0x3a /* : */) {
      if (colon >= 0) return false;
      colon = i;
    }
  }
  if (colon === 0 || colon === length - 1) return false;
  if (!ascii) {
    return colon < 0 ? NCNAME.test(name) : NCNAME.test(name.slice(0, colon)) && NCNAME.test(name.slice(colon + 1));
  }
  return ASCII_NAME[name.charCodeAt(0)] === 1 && (colon < 0 || ASCII_NAME[name.charCodeAt(colon + 1)] === 1);
}

/**
 * Line and column of offsets met in increasing order, found by jumping from line break to line
 * break (a document without line breaks costs nothing). A line break is LF, CR LF or a lone CR.
 */
class LineCursor {
  private line = 1;
  /** Offset of the first character of the current line. */
  lineStart = 0;
  /** The next LF and CR at or after the last search (Infinity: none left); -1 before the first. */
  private nextLf = -1;
  private nextCr = -1;
  private nextBreak: number;

  constructor(private readonly text: string) {
    if (!text.includes('\r')) this.nextCr = Infinity;
    this.nextBreak = this.breakFrom(0);
  }

  /**
   * The first line break at or after `from`. Each kind is searched again only once passed, so a
   * document of many LF lines with one CR somewhere costs one search for the CR, not one per line.
   */
  private breakFrom(from: number): number {
    if (this.nextLf < from) {
      const lf = this.text.indexOf('\n', from);
      this.nextLf = lf < 0 ? Infinity : lf;
    }
    if (this.nextCr < from) {
      const cr = this.text.indexOf('\r', from);
      this.nextCr = cr < 0 ? Infinity : cr;
    }
    return Math.min(this.nextLf, this.nextCr);
  }

  /** 1-based line and column (in UTF-16 code units) of `offset`. */
  at(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    return { line, column: offset - this.lineStart + 1 };
  }

  /**
   * The 1-based line of `offset`; its column is then `offset - lineStart + 1`. For every element,
   * without the object at() returns.
   */
  lineOf(offset: number): number {
    while (this.nextBreak < offset) {
      const at = this.nextBreak;
      this.line++;
      this.lineStart = this.text.charCodeAt(at) === 13 && this.text.charCodeAt(at + 1) === 10 ? at + 2 : at + 1;
      this.nextBreak = this.breakFrom(this.lineStart);
    }
    return this.line;
  }
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
  return new LineCursor(prefix).at(prefix.length);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

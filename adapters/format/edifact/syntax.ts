/**
 * The UN/EDIFACT syntax layer (ISO 9735 versions 3 and 4): a hand-written scanner from bytes to
 * segments, and the interchange envelope (UNA, UNB/UNZ, UNG/UNE, UNH/UNT) with its counts and
 * control references checked. Knows nothing of any message's content; see structure.ts for the
 * segment tables and the mapping files for what the segments mean.
 */
import { TextDecoder } from 'node:util';
import { EdifactSyntaxError, SyntaxErrorCode as E, type EdifactPosition } from './errors';

/** The service characters, as UTF-16 code units (-1: not used). */
export interface Separators {
  readonly component: number;
  readonly element: number;
  readonly decimal: number;
  /** Release (escape) character; -1 when the UNA gives a space (none). */
  readonly release: number;
  /** Repetition separator (syntax 4 only); -1 in syntax 3, where the position is reserved. */
  readonly repetition: number;
  readonly segment: number;
}

/** `:+.? '` — the ISO 9735 defaults for UNOA/UNOB and the usual ones for every level. */
export function defaultSeparators(syntaxVersion: number): Separators {
  return {
    component: 0x3a,
    element: 0x2b,
    decimal: 0x2e,
    release: 0x3f,
    repetition: syntaxVersion >= 4 ? 0x2a : -1,
    segment: 0x27,
  };
}

/** One segment: its tag and data elements, each the list of its components. */
export interface Segment {
  readonly tag: string;
  /** Data elements after the tag; a simple element has one component. Trailing ones may be omitted. */
  readonly elements: string[][];
  /** 1-based position in the interchange (UNB is 1). */
  readonly number: number;
  /** 1-based line the segment starts on. */
  readonly line: number;
}

export interface PartyId {
  readonly id: string;
  readonly qualifier: string;
  readonly routing: string;
}

/** A message of the interchange, UNH to UNT inclusive. */
export interface EdifactMessage {
  readonly reference: string;
  /** S009: 0065 type, 0052 version, 0054 release, 0051 agency, 0057 association code. */
  readonly type: string;
  readonly version: string;
  readonly release: string;
  readonly agency: string;
  readonly associationCode: string;
  /** UNH first, UNT last. */
  readonly segments: readonly Segment[];
  /** The UNG group reference (0048) when the message is in a functional group. */
  readonly groupReference?: string;
}

export interface Interchange {
  readonly syntaxIdentifier: string;
  readonly syntaxVersion: 3 | 4;
  readonly separators: Separators;
  readonly hasServiceStringAdvice: boolean;
  readonly hasByteOrderMark: boolean;
  readonly sender: PartyId;
  readonly recipient: PartyId;
  /** S004 as written: YYMMDD (syntax 3) or CCYYMMDD (syntax 4), and HHMM. */
  readonly preparationDate: string;
  readonly preparationTime: string;
  readonly controlReference: string;
  readonly applicationReference: string;
  readonly acknowledgementRequested: boolean;
  readonly testIndicator: boolean;
  readonly messages: readonly EdifactMessage[];
  readonly unb: Segment;
}

/** Syntax levels (0001) and the character encoding of their bytes. */
const CHARSETS: Readonly<Record<string, string>> = {
  UNOA: 'ascii',
  UNOB: 'ascii',
  UNOC: 'latin1',
  UNOD: 'iso-8859-2',
  UNOE: 'iso-8859-5',
  UNOF: 'iso-8859-7',
  UNOG: 'iso-8859-3',
  UNOH: 'iso-8859-4',
  UNOI: 'iso-8859-6',
  UNOJ: 'iso-8859-8',
  UNOK: 'iso-8859-9',
  UNOW: 'utf-8',
  UNOY: 'utf-8',
};

export function charsetOf(syntaxIdentifier: string): string | undefined {
  return CHARSETS[syntaxIdentifier];
}

/** Component `c` (0-based) of element `e` (0-based), or '' when absent. */
export function component(seg: Segment, e: number, c = 0): string {
  return seg.elements[e]?.[c] ?? '';
}

export function positionOf(seg: Segment, element?: string, elementPosition?: number): EdifactPosition {
  return { segment: seg.tag, segmentNumber: seg.number, line: seg.line, element, elementPosition };
}

const decoders = new Map<string, TextDecoder>();

/** Turns the interchange bytes into text with the encoding the UNB syntax identifier names. */
function decodeText(bytes: Uint8Array, start: number, syntaxId: string, unbAt: EdifactPosition): string {
  const charset = CHARSETS[syntaxId];
  if (charset === undefined) {
    throw new EdifactSyntaxError(
      { ...unbAt, element: 'S001/0001' },
      `syntax identifier '${syntaxId}' is not supported (${Object.keys(CHARSETS).join(', ')})`,
      E.syntaxVersionNotSupported,
    );
  }
  // A Buffer (what transports hand over) is used as it is; another Uint8Array is viewed as one.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (charset === 'latin1') return buf.toString('latin1', start);
  if (charset === 'ascii') {
    for (let i = start; i < buf.length; i++) {
      if (buf[i]! > 0x7e) {
        throw new EdifactSyntaxError(
          { line: lineAt(buf, i) },
          `byte 0x${buf[i]!.toString(16)} at offset ${i} is outside the ${syntaxId} character set`,
          E.invalidCharacter,
        );
      }
    }
    return buf.toString('latin1', start);
  }
  let decoder = decoders.get(charset);
  if (!decoder) {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: true });
    decoders.set(charset, decoder);
  }
  try {
    return decoder.decode(buf.subarray(start));
  } catch (err) {
    throw new EdifactSyntaxError({}, `input is not valid ${charset} as ${syntaxId} requires`, E.invalidCharacter, {
      cause: err,
    });
  }
}

function lineAt(buf: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (buf[i] === 0x0a) line++;
  return line;
}

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * Reads the UNA service string advice at `at` (bytes "UNA" + 6 characters) and checks that the
 * six characters are usable: distinct, not letters or digits (they would be read as data).
 */
function readUna(buf: Uint8Array, at: number): { seps: number[]; end: number } {
  if (buf.length < at + 9) {
    throw new EdifactSyntaxError(
      { segment: 'UNA', line: 1 },
      'service string advice is shorter than 9 characters',
      E.invalidServiceCharacter,
    );
  }
  const seps = [buf[at + 3]!, buf[at + 4]!, buf[at + 5]!, buf[at + 6]!, buf[at + 7]!, buf[at + 8]!];
  const names = [
    'component separator',
    'data element separator',
    'decimal mark',
    'release character',
    'repetition separator',
    'segment terminator',
  ];
  for (let k = 0; k < 6; k++) {
    const c = seps[k]!;
    const optional = k === 3 || k === 4;
    if (isAlnum(c) || c > 0x7e || c < 0x20 || (c === 0x20 && !optional)) {
      throw new EdifactSyntaxError(
        { segment: 'UNA', line: 1, element: `position ${k + 1}` },
        `${names[k]} ${JSON.stringify(String.fromCharCode(c))} is not a usable service character`,
        E.invalidServiceCharacter,
      );
    }
    for (let j = 0; j < k; j++) {
      if (seps[j] === c && c !== 0x20) {
        throw new EdifactSyntaxError(
          { segment: 'UNA', line: 1, element: `position ${k + 1}` },
          `${names[k]} is the same character as the ${names[j]}`,
          E.invalidServiceCharacter,
        );
      }
    }
  }
  if (seps[2] !== 0x2e && seps[2] !== 0x2c) {
    throw new EdifactSyntaxError(
      { segment: 'UNA', line: 1, element: 'position 3' },
      `decimal mark must be '.' or ','`,
      E.invalidServiceCharacter,
    );
  }
  return { seps, end: at + 9 };
}

/** Reads "UNB<sep>XXXX<sep>N" enough to know the syntax identifier and version before decoding. */
function peekSyntax(buf: Uint8Array, at: number, elementSep: number, componentSep: number, line: number) {
  const unbAt: EdifactPosition = { segment: 'UNB', segmentNumber: 1, line };
  if (buf[at] !== 0x55 || buf[at + 1] !== 0x4e || buf[at + 2] !== 0x42 || buf[at + 3] !== elementSep) {
    const found = Buffer.from(buf.subarray(at, at + 3)).toString('latin1');
    throw new EdifactSyntaxError(
      { segmentNumber: 1, line },
      `an interchange starts with UNA or UNB, found ${JSON.stringify(found)}`,
      E.missing,
    );
  }
  let i = at + 4;
  let id = '';
  while (i < buf.length && i < at + 12 && buf[i] !== componentSep && buf[i] !== elementSep)
    id += String.fromCharCode(buf[i++]!);
  let version = '';
  if (buf[i] === componentSep) {
    i++;
    while (i < buf.length && i < at + 20 && isAlnum(buf[i]!)) version += String.fromCharCode(buf[i++]!);
  }
  return { id, version, unbAt };
}

// What a character below 256 is to the tokenizer (0: data, the usual case).
const DATA = 0;
const LINE_FEED = 1;
const RELEASE = 2;
const COMPONENT = 3;
const ELEMENT = 4;
const SEGMENT = 5;
const REPETITION = 6;

/** The table of the last separators tokenized (an interchange's text is all read with one set). */
let lastKinds: { key: string; table: Uint8Array } | undefined;

/** By character below 256, the tokenizer's kind of it for these separators. */
function characterKinds(seps: Separators): Uint8Array {
  const key = `${seps.component},${seps.element},${seps.release},${seps.repetition},${seps.segment}`;
  if (lastKinds?.key === key) return lastKinds.table;
  const table = new Uint8Array(256);
  table[0x0a] = LINE_FEED;
  // Set after the line feed: a separator wins over it, as the comparisons in order did.
  if (seps.repetition >= 0) table[seps.repetition] = REPETITION;
  table[seps.segment] = SEGMENT;
  table[seps.element] = ELEMENT;
  table[seps.component] = COMPONENT;
  if (seps.release >= 0) table[seps.release] = RELEASE;
  lastKinds = { key, table };
  return table;
}

/**
 * Splits the text into segments. The fast path slices each component straight out of the text;
 * only a component that contains the release character is copied again to drop it. Data
 * characters are passed with one table lookup each, and each element's components are gathered
 * in a scratch list and copied once into an array of their number: a list grown by push()
 * allocates room for 17 on its first push, and that was most of the tokenizer's time.
 */
export function tokenize(text: string, seps: Separators, firstLine = 1, maxSegments = Infinity): Segment[] {
  const kinds = characterKinds(seps);
  const rc = seps.release;
  const n = text.length;
  const out: Segment[] = [];
  const components: string[] = [];
  const elementList: string[][] = [];
  let line = firstLine;
  let i = 0;
  while (i < n && out.length < maxSegments) {
    let c = text.charCodeAt(i);
    // Line breaks (and the odd blank) between segments are layout, not data.
    if (c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09) {
      if (c === 0x0a) line++;
      i++;
      continue;
    }
    const number = out.length + 1;
    const segLine = line;
    let tag: string | undefined;
    let componentCount = 0;
    let elementCount = 0;
    let from = i;
    let escaped = false;
    for (;;) {
      // Data characters (any above 255 too); past the end charCodeAt gives NaN, which ends it.
      while (c < 256 ? kinds[c] === DATA : c < 0x10000) c = text.charCodeAt(++i);
      if (i >= n) {
        throw new EdifactSyntaxError(
          { segment: tag ?? text.slice(from, from + 3), segmentNumber: number, line: segLine },
          'segment is not terminated (the data ends before the segment terminator)',
          E.invalidServiceCharacter,
        );
      }
      const kind = kinds[c]!;
      if (kind === RELEASE) {
        if (i + 1 >= n) {
          throw new EdifactSyntaxError(
            { segment: tag, segmentNumber: number, line: segLine },
            'release character at the end of the data',
            E.invalidServiceCharacter,
          );
        }
        escaped = true;
        if (text.charCodeAt(i + 1) === 0x0a) line++;
        i += 2;
        c = text.charCodeAt(i);
        continue;
      }
      if (kind === LINE_FEED) {
        line++;
        c = text.charCodeAt(++i);
        continue;
      }
      if (kind === REPETITION) {
        throw new EdifactSyntaxError(
          { segment: tag, segmentNumber: number, line: segLine, elementPosition: elementCount + 1 },
          'repeated data elements (repetition separator) are not used by the supported directories (D96B, D99B)',
          E.tooManyConstituents,
        );
      }
      // A component, element or segment ends here.
      if (tag === undefined) {
        // A tag met before is found by its three characters, without cutting it out of the text.
        tag = escaped || i - from !== 3 ? undefined : knownTag(text, from);
        if (tag === undefined) {
          const raw = text.slice(from, i);
          const value = escaped ? unescape(raw, rc) : raw;
          if (!isTag(value)) {
            throw new EdifactSyntaxError(
              { segmentNumber: number, line: segLine },
              `segment tag ${JSON.stringify(value.slice(0, 12))} is not 3 upper-case letters or digits`,
              E.invalidValue,
            );
          }
          tag = internedTag(value);
        }
        if (kind === COMPONENT) {
          throw new EdifactSyntaxError(
            { segment: tag, segmentNumber: number, line: segLine },
            'segment tag followed by a component separator',
            E.invalidServiceCharacter,
          );
        }
      } else {
        const raw = text.slice(from, i);
        const value = escaped ? unescape(raw, rc) : raw;
        if (kind === COMPONENT) {
          components[componentCount++] = value;
        } else {
          // The element's last component; a simple element (most of them) is a list of one.
          let element: string[];
          if (componentCount === 0) element = [value];
          else {
            components[componentCount++] = value;
            element = firstOf(components, componentCount);
            componentCount = 0;
          }
          elementList[elementCount++] = element;
        }
      }
      from = ++i;
      escaped = false;
      if (kind === SEGMENT) break;
      c = text.charCodeAt(i);
    }
    out.push({ tag: tag, elements: firstOf(elementList, elementCount), number, line: segLine });
  }
  return out;
}

/**
 * The first `count` entries of a scratch list, as a new array of that length. Up to four (most
 * elements and segments) by an array literal, which the compiler allocates in place: slice() is a
 * call into the runtime's library, and those calls measured a fifth of the tokenizer.
 */
function firstOf<T>(list: T[], count: number): T[] {
  switch (count) {
    case 1:
      return [list[0]!];
    case 2:
      return [list[0]!, list[1]!];
    case 3:
      return [list[0]!, list[1]!, list[2]!];
    case 4:
      return [list[0]!, list[1]!, list[2]!, list[3]!];
    default:
      return list.slice(0, count);
  }
}

/** By the three characters of a tag ([0-9A-Z] each), the one string every segment with that tag gets. */
const TAGS: Array<string | undefined> = new Array<string | undefined>(36 * 36 * 36);

const tagDigit = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x41 + 10);

/** The index in TAGS of the tag spelt by the character codes `a`, `b`, `c`. */
const tagIndex = (a: number, b: number, c: number): number => (tagDigit(a) * 36 + tagDigit(b)) * 36 + tagDigit(c);

const isTagCharacter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

/** The tag string made before for the three characters of `text` at `at`, if they spell one. */
function knownTag(text: string, at: number): string | undefined {
  const a = text.charCodeAt(at);
  const b = text.charCodeAt(at + 1);
  const c = text.charCodeAt(at + 2);
  if (!isTagCharacter(a) || !isTagCharacter(b) || !isTagCharacter(c)) return undefined;
  return TAGS[tagIndex(a, b, c)];
}

/**
 * The one string for the tag `tag` (3 upper-case letters or digits, as isTag checks), made on its
 * first use from a property name, which the engine keeps unique. Tags are compared with string
 * literals and the structure tables' tags (also made here) for every segment, several times: two
 * such strings are compared by identity, where a tag sliced from the text was compared character
 * by character, and those comparisons were a quarter of matching a message's structure.
 */
export function internedTag(tag: string): string {
  const index = tagIndex(tag.charCodeAt(0), tag.charCodeAt(1), tag.charCodeAt(2));
  const known = TAGS[index];
  if (known !== undefined) return known;
  const unique = Object.keys({ [tag]: 0 })[0]!;
  TAGS[index] = unique;
  return unique;
}

function isTag(v: string): boolean {
  if (v.length !== 3) return false;
  for (let k = 0; k < 3; k++) if (!isTagCharacter(v.charCodeAt(k))) return false;
  return true;
}

function unescape(raw: string, rc: number): string {
  let s = '';
  for (let k = 0; k < raw.length; k++) {
    if (raw.charCodeAt(k) === rc) k++;
    s += raw[k] ?? '';
  }
  return s;
}

const DIGITS = /^[0-9]+$/;

function need(seg: Segment, e: number, c: number, element: string, what: string): string {
  const v = component(seg, e, c);
  if (v === '') throw new EdifactSyntaxError(positionOf(seg, element, e + 1), `${what} is missing`, E.missing);
  return v;
}

function count(seg: Segment, element: string, what: string): number {
  const v = need(seg, 0, 0, element, what);
  if (!DIGITS.test(v) || v.length > 6) {
    throw new EdifactSyntaxError(
      positionOf(seg, element, 1),
      `${what} ${JSON.stringify(v)} is not a number`,
      E.invalidValue,
    );
  }
  return Number(v);
}

/**
 * Parses and checks an interchange: optional UTF-8 byte-order mark, optional UNA, UNB with a
 * supported syntax identifier and version 3 or 4, messages UNH..UNT (optionally within UNG..UNE
 * groups) with their segment counts and references, and UNZ with the message (or group) count
 * and the UNB control reference. Anything after UNZ other than line breaks is refused.
 */
export function parseInterchange(bytes: Uint8Array): Interchange {
  const { text, seps, line, base } = prepare(bytes);
  return readEnvelope(tokenize(text, seps, line), base);
}

/** The UNB of an interchange (for acknowledging one whose later segments are wrong), if readable. */
export function peekUnb(bytes: Uint8Array): { unb: Segment; base: EnvelopeBase } | undefined {
  try {
    const { text, seps, line, base } = prepare(bytes);
    const [unb] = tokenize(text, seps, line, 1);
    return unb?.tag === 'UNB' ? { unb, base } : undefined;
  } catch {
    return undefined;
  }
}

function prepare(bytes: Uint8Array): { text: string; seps: Separators; line: number; base: EnvelopeBase } {
  let at = 0;
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (hasBom) at = 3;
  let line = 1;
  while (at < bytes.length && (bytes[at] === 0x0d || bytes[at] === 0x0a || bytes[at] === 0x20 || bytes[at] === 0x09)) {
    if (bytes[at] === 0x0a) line++;
    at++;
  }
  if (at >= bytes.length) throw new EdifactSyntaxError({}, 'no interchange: the input is empty', E.missing);
  let una: number[] | undefined;
  if (bytes[at] === 0x55 && bytes[at + 1] === 0x4e && bytes[at + 2] === 0x41) {
    const r = readUna(bytes, at);
    una = r.seps;
    at = r.end;
    while (at < bytes.length && (bytes[at] === 0x0d || bytes[at] === 0x0a)) {
      if (bytes[at] === 0x0a) line++;
      at++;
    }
  }
  const elementSep = una ? una[1]! : 0x2b;
  const componentSep = una ? una[0]! : 0x3a;
  const { id, version, unbAt } = peekSyntax(bytes, at, elementSep, componentSep, line);
  if (version === '') {
    throw new EdifactSyntaxError(
      { ...unbAt, element: 'S001/0002', elementPosition: 1 },
      'syntax version number is missing',
      E.missing,
    );
  }
  if (version !== '3' && version !== '4') {
    throw new EdifactSyntaxError(
      { ...unbAt, element: 'S001/0002', elementPosition: 1 },
      `syntax version ${version} is not supported (3 or 4)`,
      E.syntaxVersionNotSupported,
    );
  }
  const syntaxVersion = version === '3' ? 3 : 4;
  const seps: Separators = una
    ? {
        component: una[0]!,
        element: una[1]!,
        decimal: una[2]!,
        release: una[3] === 0x20 ? -1 : una[3]!,
        repetition: syntaxVersion === 4 && una[4] !== 0x20 ? una[4]! : -1,
        segment: una[5]!,
      }
    : defaultSeparators(syntaxVersion);
  const text = decodeText(bytes, at, id, unbAt);
  const base: EnvelopeBase = {
    syntaxIdentifier: id,
    syntaxVersion,
    separators: seps,
    hasServiceStringAdvice: una !== undefined,
    hasByteOrderMark: hasBom,
  };
  return { text, seps, line, base };
}

export interface EnvelopeBase {
  syntaxIdentifier: string;
  syntaxVersion: 3 | 4;
  separators: Separators;
  hasServiceStringAdvice: boolean;
  hasByteOrderMark: boolean;
}

function readEnvelope(segments: Segment[], base: EnvelopeBase): Interchange {
  const unb = segments[0]!;
  if (unb.tag !== 'UNB') {
    throw new EdifactSyntaxError(positionOf(unb), 'the first segment must be UNB', E.missing);
  }
  const v4 = base.syntaxVersion === 4;
  const sender: PartyId = {
    id: need(unb, 1, 0, 'S002/0004', 'interchange sender identification'),
    qualifier: component(unb, 1, 1),
    routing: component(unb, 1, 2),
  };
  const recipient: PartyId = {
    id: need(unb, 2, 0, 'S003/0010', 'interchange recipient identification'),
    qualifier: component(unb, 2, 1),
    routing: component(unb, 2, 2),
  };
  const date = need(unb, 3, 0, 'S004/0017', 'date of preparation');
  if (!DIGITS.test(date) || date.length !== (v4 ? 8 : 6)) {
    throw new EdifactSyntaxError(
      positionOf(unb, 'S004/0017', 4),
      `date of preparation ${JSON.stringify(date)} is not ${v4 ? 'CCYYMMDD (syntax 4)' : 'YYMMDD (syntax 3)'}`,
      E.invalidValue,
    );
  }
  const time = need(unb, 3, 1, 'S004/0019', 'time of preparation');
  if (!DIGITS.test(time) || time.length !== 4) {
    throw new EdifactSyntaxError(
      positionOf(unb, 'S004/0019', 4),
      `time of preparation ${JSON.stringify(time)} is not HHMM`,
      E.invalidValue,
    );
  }
  const controlReference = need(unb, 4, 0, '0020', 'interchange control reference');
  const messages: EdifactMessage[] = [];
  const refs = new Set<string>();
  let groupCount = 0;
  let inGroup: { seg: Segment; ref: string; messages: number } | undefined;
  let usesGroups: boolean | undefined;
  let k = 1;
  for (;;) {
    const seg = segments[k];
    if (!seg) {
      const last = segments[segments.length - 1]!;
      throw new EdifactSyntaxError(
        { segment: last.tag, segmentNumber: last.number, line: last.line },
        'the interchange ends without UNZ',
        E.missing,
      );
    }
    if (seg.tag === 'UNZ') break;
    if (seg.tag === 'UNG') {
      if (inGroup)
        throw new EdifactSyntaxError(
          positionOf(seg),
          `UNG inside the group '${inGroup.ref}', which has no UNE`,
          E.missing,
        );
      if (usesGroups === false) {
        throw new EdifactSyntaxError(
          positionOf(seg),
          'an interchange has either functional groups or messages outside groups, not both',
          E.notSupportedInPosition,
        );
      }
      usesGroups = true;
      inGroup = { seg, ref: need(seg, 4, 0, '0048', 'group reference number'), messages: 0 };
      groupCount++;
      k++;
      continue;
    }
    if (seg.tag === 'UNE') {
      if (!inGroup) throw new EdifactSyntaxError(positionOf(seg), 'UNE without UNG', E.notSupportedInPosition);
      const n = count(seg, '0060', 'number of messages');
      if (n !== inGroup.messages) {
        throw new EdifactSyntaxError(
          positionOf(seg, '0060', 1),
          `message count ${n} does not match the ${inGroup.messages} message(s) of group '${inGroup.ref}'`,
          E.controlCountMismatch,
        );
      }
      const ref = need(seg, 1, 0, '0048', 'group reference number');
      if (ref !== inGroup.ref) {
        throw new EdifactSyntaxError(
          positionOf(seg, '0048', 2),
          `group reference '${ref}' does not match UNG '${inGroup.ref}'`,
          E.referencesDoNotMatch,
        );
      }
      inGroup = undefined;
      k++;
      continue;
    }
    if (seg.tag !== 'UNH') {
      throw new EdifactSyntaxError(
        positionOf(seg),
        `${seg.tag} outside a message (expected UNH, UNG or UNZ)`,
        E.notSupportedInPosition,
      );
    }
    if (usesGroups === true && !inGroup) {
      throw new EdifactSyntaxError(
        positionOf(seg),
        'UNH outside the functional groups of this interchange',
        E.notSupportedInPosition,
      );
    }
    usesGroups ??= false;
    const reference = need(seg, 0, 0, '0062', 'message reference number');
    if (refs.has(reference)) {
      throw new EdifactSyntaxError(
        positionOf(seg, '0062', 1),
        `message reference '${reference}' is used twice in this interchange`,
        E.duplicate,
      );
    }
    refs.add(reference);
    const type = need(seg, 1, 0, 'S009/0065', 'message type');
    const version = need(seg, 1, 1, 'S009/0052', 'message version number');
    const release = need(seg, 1, 2, 'S009/0054', 'message release number');
    const agency = need(seg, 1, 3, 'S009/0051', 'controlling agency');
    const start = k;
    let end = k + 1;
    for (;;) {
      const s = segments[end];
      // Service segments all start with 'U' (as does the user segment UNS): the others, most of a
      // message, are passed on one character instead of five comparisons of their tag.
      if (s && s.tag.charCodeAt(0) !== 0x55) {
        end++;
        continue;
      }
      if (!s || s.tag === 'UNZ' || s.tag === 'UNH' || s.tag === 'UNE' || s.tag === 'UNG') {
        throw new EdifactSyntaxError(
          positionOf(seg),
          `message '${reference}' has no UNT${s ? ` (${s.tag} at segment ${s.number} comes first)` : ''}`,
          E.missing,
        );
      }
      if (s.tag === 'UNT') break;
      end++;
    }
    const unt = segments[end]!;
    const declared = count(unt, '0074', 'number of segments in the message');
    const actual = end - start + 1;
    if (declared !== actual) {
      throw new EdifactSyntaxError(
        positionOf(unt, '0074', 1),
        `segment count ${declared} does not match the ${actual} segments of message '${reference}' (UNH to UNT)`,
        E.controlCountMismatch,
      );
    }
    const untRef = need(unt, 1, 0, '0062', 'message reference number');
    if (untRef !== reference) {
      throw new EdifactSyntaxError(
        positionOf(unt, '0062', 2),
        `message reference '${untRef}' does not match UNH '${reference}'`,
        E.referencesDoNotMatch,
      );
    }
    messages.push({
      reference,
      type,
      version,
      release,
      agency,
      associationCode: component(seg, 1, 4),
      segments: segments.slice(start, end + 1),
      groupReference: inGroup?.ref,
    });
    if (inGroup) inGroup.messages++;
    k = end + 1;
  }
  const unz = segments[k]!;
  if (inGroup) throw new EdifactSyntaxError(positionOf(unz), `group '${inGroup.ref}' has no UNE`, E.missing);
  const n = count(unz, '0036', 'interchange control count');
  const expected = usesGroups ? groupCount : messages.length;
  if (n !== expected) {
    throw new EdifactSyntaxError(
      positionOf(unz, '0036', 1),
      `control count ${n} does not match the ${expected} ${usesGroups ? 'functional group(s)' : 'message(s)'} of the interchange`,
      E.controlCountMismatch,
    );
  }
  const unzRef = need(unz, 1, 0, '0020', 'interchange control reference');
  if (unzRef !== controlReference) {
    throw new EdifactSyntaxError(
      positionOf(unz, '0020', 2),
      `interchange control reference '${unzRef}' does not match UNB '${controlReference}'`,
      E.referencesDoNotMatch,
    );
  }
  const after = segments[k + 1];
  if (after) {
    throw new EdifactSyntaxError(
      positionOf(after),
      `${after.tag} after UNZ: the interchange has ended`,
      E.notSupportedInPosition,
    );
  }
  // Written out rather than spread from `base`: an object spread followed by more properties took
  // the runtime's slow path and cost about 4% of a whole CUSDEC -> WCO XML -> CUSDEC round trip.
  return {
    syntaxIdentifier: base.syntaxIdentifier,
    syntaxVersion: base.syntaxVersion,
    separators: base.separators,
    hasServiceStringAdvice: base.hasServiceStringAdvice,
    hasByteOrderMark: base.hasByteOrderMark,
    sender,
    recipient,
    preparationDate: date,
    preparationTime: time,
    controlReference,
    applicationReference: component(unb, 6, 0),
    acknowledgementRequested: component(unb, 8, 0) === '1',
    testIndicator: component(unb, 10, 0) === '1',
    messages,
    unb,
  };
}

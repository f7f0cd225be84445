/**
 * Writes UN/EDIFACT: segments with the release character applied, messages with their UNT
 * counts, and the UNA/UNB..UNZ envelope with its control count, in the character set that the
 * syntax identifier names (refusing characters outside it rather than mangling them).
 */
import { EdifactSyntaxError, SyntaxErrorCode as E } from './errors';
import { defaultSeparators, type Separators } from './syntax';

/** A data element: a simple value, or the components of a composite; undefined = empty. */
export type Element = string | readonly (string | undefined)[] | undefined;

export interface InterchangeHeader {
  readonly syntaxIdentifier: 'UNOA' | 'UNOB' | 'UNOC' | 'UNOW' | 'UNOY';
  readonly syntaxVersion: 3 | 4;
  readonly sender: { readonly id: string; readonly qualifier?: string };
  readonly recipient: { readonly id: string; readonly qualifier?: string };
  /** Preparation instant (written in UTC). */
  readonly preparedAtMs: number;
  readonly controlReference: string;
  readonly applicationReference?: string;
  readonly acknowledgementRequested?: boolean;
  readonly testIndicator?: boolean;
  /** A line break after every segment terminator (readable; ignored by readers). */
  readonly lineBreaks?: boolean;
}

const LIMIT: Readonly<Record<InterchangeHeader['syntaxIdentifier'], number>> = {
  UNOA: 0x7e,
  UNOB: 0x7e,
  UNOC: 0xff,
  UNOW: 0x10ffff,
  UNOY: 0x10ffff,
};

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Builds one interchange; segments go into the current message, which `endMessage` closes. The
 * bytes are written as the values are checked, in the pass over their characters that the check
 * makes anyway, instead of as strings concatenated per segment, joined and then encoded (the join
 * and the encoding measured a fifth of writing a CUSDEC).
 */
export class InterchangeWriter {
  private bytes = Buffer.allocUnsafe(2048);
  private length = 0;
  private readonly seps: Separators;
  /**
   * By character code below 256: 1 for a separator or the release character (which take a
   * release), 2 for a character the character set cannot carry, else 0 (see specialCharacters()).
   */
  private readonly charClass: Uint8Array;
  private readonly limit: number;
  private readonly nl: string;
  private readonly header: InterchangeHeader;
  private messageCount = 0;
  private messageRef: string | undefined;
  private messageSegments = 0;

  constructor(header: InterchangeHeader) {
    this.header = header;
    this.seps = defaultSeparators(header.syntaxVersion);
    const s = this.seps;
    const chars = [s.component, s.element, s.release, s.segment, s.repetition].filter((c) => c >= 0);
    this.limit = LIMIT[header.syntaxIdentifier];
    this.charClass = specialCharacters(chars, this.limit);
    this.nl = header.lineBreaks ? '\r\n' : '';
    const rep = s.repetition >= 0 ? String.fromCharCode(s.repetition) : ' ';
    const una = String.fromCharCode(s.component, s.element, 0x2e /* . */, s.release);
    this.ascii(`UNA${una}${rep}${String.fromCharCode(s.segment)}${this.nl}`);
    const d = new Date(header.preparedAtMs);
    const date =
      header.syntaxVersion === 4
        ? `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`
        : `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
    this.segment(
      'UNB',
      [header.syntaxIdentifier, String(header.syntaxVersion)],
      [header.sender.id, header.sender.qualifier],
      [header.recipient.id, header.recipient.qualifier],
      [date, `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`],
      header.controlReference,
      undefined,
      header.applicationReference,
      undefined,
      header.acknowledgementRequested ? '1' : undefined,
      undefined,
      header.testIndicator ? '1' : undefined,
    );
  }

  get separators(): Separators {
    return this.seps;
  }

  beginMessage(reference: string, type: string, version: string, release: string, associationCode?: string): void {
    if (this.messageRef !== undefined) throw new Error(`message ${this.messageRef} is still open`);
    this.messageRef = reference;
    this.messageSegments = 0;
    this.segment('UNH', reference, [type, version, release, 'UN', associationCode]);
  }

  endMessage(): void {
    const ref = this.messageRef;
    if (ref === undefined) throw new Error('no message is open');
    this.segment('UNT', String(this.messageSegments + 1), ref);
    this.messageRef = undefined;
    this.messageCount++;
  }

  /** Writes one segment; trailing empty elements and components are left out, as ISO 9735 asks. */
  segment(tag: string, ...elements: Element[]): void {
    let last = elements.length - 1;
    while (last >= 0 && isEmpty(elements[last])) last--;
    this.ascii(tag);
    const elementSeparator = this.seps.element;
    const componentSeparator = this.seps.component;
    for (let k = 0; k <= last; k++) {
      this.byte(elementSeparator);
      const el = elements[k];
      if (el === undefined) continue;
      if (typeof el === 'string') {
        this.value(el, tag, k);
        continue;
      }
      let lastc = el.length - 1;
      while (lastc >= 0 && (el[lastc] === undefined || el[lastc] === '')) lastc--;
      for (let j = 0; j <= lastc; j++) {
        if (j > 0) this.byte(componentSeparator);
        const v = el[j];
        if (v !== undefined) this.value(v, tag, k);
      }
    }
    this.byte(this.seps.segment);
    if (this.nl) this.ascii(this.nl);
    if (this.messageRef !== undefined) this.messageSegments++;
  }

  /** Closes the interchange (UNZ with the message count) and returns its bytes. */
  finish(): Uint8Array {
    if (this.messageRef !== undefined) throw new Error(`message ${this.messageRef} is still open`);
    this.segment('UNZ', String(this.messageCount), this.header.controlReference);
    return Buffer.from(this.bytes.subarray(0, this.length));
  }

  /** Room for `more` bytes after those written. */
  private reserve(more: number): void {
    const needed = this.length + more;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  /** Text of the writer's own (tags, service characters, line breaks): ASCII. */
  private ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
  }

  /**
   * Writes a value with the release character before every separator and release character in
   * it, in the interchange's encoding (Latin-1 bytes, or UTF-8 for UNOW/UNOY, as Buffer.from()
   * writes them: a lone surrogate as U+FFFD), refusing a character outside the character set.
   */
  private value(v: string, tag: string, k: number): void {
    // One table lookup per character below 256: most characters of a value are plain (class 0).
    const charClass = this.charClass;
    const limit = this.limit;
    const utf8 = limit > 0xff;
    // At most 4 bytes per character: a release and the character, or 3 UTF-8 bytes (4 for two).
    this.reserve(v.length * 4);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      const kind = c < 256 ? charClass[c]! : c > limit ? 2 : 0;
      if (kind === 2) {
        const ch = String.fromCodePoint(v.codePointAt(i)!);
        throw new EdifactSyntaxError(
          { segment: tag, elementPosition: k + 1, element: `position ${k + 1}` },
          `cannot write ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}: ${JSON.stringify(ch)} is not in the ` +
            `${this.header.syntaxIdentifier} character set${c < 0x20 ? '' : ' (UNOW with syntax version 4 carries any Unicode text)'}`,
          E.invalidCharacter,
        );
      }
      if (kind === 1) bytes[at++] = this.seps.release;
      if (c < 0x80 || !utf8) {
        bytes[at++] = c;
      } else if (c < 0x800) {
        bytes[at++] = 0xc0 | (c >> 6);
        bytes[at++] = 0x80 | (c & 0x3f);
      } else {
        let code = c;
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = v.charCodeAt(i + 1);
          if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            code = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
            i++;
          } else {
            code = 0xfffd;
          }
        }
        if (code >= 0x10000) {
          bytes[at++] = 0xf0 | (code >> 18);
          bytes[at++] = 0x80 | ((code >> 12) & 0x3f);
          bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
        } else {
          bytes[at++] = 0xe0 | (code >> 12);
          bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
        }
        bytes[at++] = 0x80 | (code & 0x3f);
      }
    }
    this.length = at;
  }
}

/**
 * A table by code below 256 of what value() must do: 1 a separator or the release character
 * (released), 2 a character outside the character set (below 0x20 or above `limit`: refused,
 * whatever else it is), 0 neither. Built once per set of them and limit (an interchange is
 * written per message).
 */
const specialSets = new Map<string, Uint8Array>();
function specialCharacters(chars: readonly number[], limit: number): Uint8Array {
  const key = `${String.fromCharCode(...chars)}/${limit}`;
  let table = specialSets.get(key);
  if (!table) {
    table = new Uint8Array(256);
    for (const c of chars) table[c] = 1;
    for (let c = 0; c < 256; c++) if (c < 0x20 || c > limit) table[c] = 2;
    specialSets.set(key, table);
  }
  return table;
}

function isEmpty(el: Element): boolean {
  if (el === undefined || el === '') return true;
  if (typeof el === 'string') return false;
  return el.every((c) => c === undefined || c === '');
}

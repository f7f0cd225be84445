/**
 * Value rules shared by the CUSDEC/CUSRES/CUSCAR mappings: qualifier codes, dates, decimals and
 * the splitting of long text over repeated components.
 */
import { DECIMAL_PATTERN } from '../../../node/src/canonical';
import { EdifactSyntaxError, SyntaxErrorCode as E } from './errors';
import { component, positionOf, type Segment } from './syntax';

/** Qualifiers this mapping reads and writes (docs/formats-edifact.md has the table). */
export const Q = {
  /** RFF 1153 'ZZZ' (mutually defined) with the key in 1156: the GNC values with no UN code. */
  gnc: 'ZZZ',
  mrn: 'AAE',
  billOfLading: 'BM',
  docDate: '137',
  statusDate: '334',
  officeOfLodgement: '22',
  loading: '9',
  unloading: '11',
  exportCountry: '35',
  destinationCountry: '28',
  borderOffice: '42',
  origin: '27',
  stageDeparture: '12',
  stageBorder: '11',
  invoiceAmount: '39',
  customsValue: '40',
  goodsDescription: 'AAA',
  itemCount: '5',
  packageCount: '11',
} as const;

/** Keys (RFF 1156) of the mutually defined references. */
export const K = {
  messageId: 'MID',
  correlationId: 'CID',
  utilityBlockId: 'UBI',
  utilityBlockVersion: 'UBV',
  status: 'STA',
  lane: 'LAN',
  version: 'VER',
  administration: 'ADM',
  containerised: 'CTR',
  transactionNature: 'TNC',
  sealDevice: 'ESD',
  valuationMethod: 'VMC',
  aeo: 'AEO',
  aeoIssuer: 'AEA',
} as const;

/** NAD 3035 party qualifiers. */
export const PARTY = {
  sender: 'MS',
  receiver: 'MR',
  declarant: 'DT',
  exporter: 'EX',
  importer: 'IM',
  agent: 'AE',
  consignor: 'CZ',
  consignee: 'CN',
} as const;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** An instant as DTM C507 components: 204 (CCYYMMDDHHMMSS, UTC) or, with milliseconds, ZZZ (17 digits). */
export function dtm(qualifier: string, ms: number): string[] {
  const d = new Date(ms);
  const base =
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds();
  return frac === 0 ? [qualifier, base, '204'] : [qualifier, `${base}${pad(frac, 3)}`, 'ZZZ'];
}

const DATE_FORMATS: Readonly<Record<string, number>> = { '102': 8, '203': 12, '204': 14, ZZZ: 17 };

/** Reads a DTM segment's instant (UTC); formats 102, 203, 204 and ZZZ (milliseconds). */
export function readDtm(seg: Segment): number {
  const value = component(seg, 0, 1);
  const format = component(seg, 0, 2) || '102';
  const len = DATE_FORMATS[format];
  if (len === undefined) {
    throw new EdifactSyntaxError(
      positionOf(seg, 'C507/2379', 1),
      `date/time format ${JSON.stringify(format)} is not supported (102, 203, 204, ZZZ)`,
      E.invalidValue,
    );
  }
  if (value.length !== len || !/^[0-9]+$/.test(value)) {
    throw new EdifactSyntaxError(
      positionOf(seg, 'C507/2380', 1),
      `${JSON.stringify(value)} is not a date/time in format ${format}`,
      E.invalidValue,
    );
  }
  const year = digitsValue(value, 0, 4);
  const month = digitsValue(value, 4, 6);
  const day = digitsValue(value, 6, 8);
  const hour = len > 8 ? digitsValue(value, 8, 10) : 0;
  const minute = len > 8 ? digitsValue(value, 10, 12) : 0;
  const second = len > 12 ? digitsValue(value, 12, 14) : 0;
  // Checked field by field rather than by reading the instant back through a Date, which cost
  // more than the rest of the read; the same dates pass (Date.UTC would roll any other over).
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new EdifactSyntaxError(
      positionOf(seg, 'C507/2380', 1),
      `${JSON.stringify(value)} is not a valid date/time`,
      E.invalidValue,
    );
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, len > 14 ? digitsValue(value, 14, 17) : 0);
}

/** Days in `month` (1-12) of `year`, by the Gregorian calendar that Date.UTC counts in. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The number the decimal digits `text[from..to)` spell (checked to be digits by the caller); no substring made. */
function digitsValue(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 0x30;
  return n;
}

/** A numeric data element as a canonical decimal string (decimal comma accepted, as ISO 9735 allows). */
export function readDecimal(seg: Segment, e: number, c: number, element: string): string {
  const raw = component(seg, e, c);
  const value = raw.includes(',') ? raw.replace(',', '.') : raw;
  if (!DECIMAL_PATTERN.test(value)) {
    throw new EdifactSyntaxError(
      positionOf(seg, element, e + 1),
      `${JSON.stringify(raw)} is not a decimal the canonical schema carries (digits, at most 6 decimals, no sign)`,
      E.invalidValue,
    );
  }
  return value;
}

/** A count (uint32) from a numeric data element. */
export function readCount(seg: Segment, e: number, c: number, element: string): number {
  const raw = component(seg, e, c);
  if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new EdifactSyntaxError(
      positionOf(seg, element, e + 1),
      `${JSON.stringify(raw)} is not a whole number`,
      E.invalidValue,
    );
  }
  return Number(raw);
}

/** Cuts text into pieces of `size` characters (code points stay whole) over at most `max` pieces. */
export function split(text: string, size: number, max: number, what: string): string[] {
  // Without surrogate pairs every code point is one UTF-16 unit: cut the string itself.
  const chars: string | string[] = /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : text;
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) {
    out.push(typeof chars === 'string' ? chars.slice(i, i + size) : chars.slice(i, i + size).join(''));
  }
  if (out.length > max) {
    throw new EdifactSyntaxError(
      { element: what },
      `${chars.length} characters exceed the ${size * max} this segment carries`,
      E.tooManyConstituents,
    );
  }
  return out;
}

/** Joins components from..to of element e (text split by `split`). */
export function joined(seg: Segment, e: number, from = 0, to = 99): string {
  const el = seg.elements[e];
  if (!el) return '';
  // Concatenated in place: slice().join() made two arrays per call, for every name and address.
  let out = '';
  const end = Math.min(to, el.length);
  for (let i = from; i < end; i++) out += el[i];
  return out;
}

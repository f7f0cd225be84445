/** Namespaces, code tables and date formats of the WCO Data Model documents `wco-xml` reads and writes. */

/** HMRC CDS DMS namespaces (WCO Data Model 3.6). */
export const NS = Object.freeze({
  metaData: 'urn:wco:datamodel:WCO:DocumentMetaData-DMS:2',
  dec: 'urn:wco:datamodel:WCO:DEC-DMS:2',
  res: 'urn:wco:datamodel:WCO:RES-DMS:2',
  /** The node's own block for canonical fields the WCO document has no element for. */
  gnc: 'urn:gnc:wco-xml:1',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
});

export const WCO_DATA_MODEL_VERSION = '3.6';

/** Declaration.TypeCode's first two letters (DE 1/1); the rest is the additional type (DE 1/2). */
export const DECLARATION_TYPES: Readonly<Record<string, string>> = Object.freeze({
  IM: 'DECLARATION_TYPE_IM',
  EX: 'DECLARATION_TYPE_EX',
  CO: 'DECLARATION_TYPE_CO',
});

/**
 * Response.FunctionCode (CDS notification types) <-> canonical status and lane. One code per
 * (status, lane) pair, so that the mapping is a bijection and a notification round-trips. Codes
 * without a canonical status (02 received, 11 query, 16 goods exited, 17 handled externally, 18
 * awaiting exit results, ...) decode to no status and are reported as unmapped.
 */
export const RESPONSE_FUNCTIONS: ReadonlyArray<{ code: string; status: string; lane?: string; name: string }> = [
  { code: '01', status: 'DECLARATION_STATUS_LODGED', name: 'accepted (DMSACC)' },
  { code: '03', status: 'DECLARATION_STATUS_REJECTED', name: 'rejected (DMSREJ)' },
  { code: '05', status: 'DECLARATION_STATUS_LANE_ASSIGNED', lane: 'LANE_RED', name: 'physical check (DMSCTL)' },
  { code: '06', status: 'DECLARATION_STATUS_LANE_ASSIGNED', lane: 'LANE_YELLOW', name: 'documents required (DMSDOC)' },
  { code: '07', status: 'DECLARATION_STATUS_AMENDED', name: 'amended' },
  { code: '08', status: 'DECLARATION_STATUS_RELEASED', name: 'released' },
  { code: '09', status: 'DECLARATION_STATUS_CLOSED', name: 'cleared (DMSCLE)' },
  { code: '10', status: 'DECLARATION_STATUS_CANCELLED', name: 'cancelled' },
  { code: '13', status: 'DECLARATION_STATUS_DUTY_ASSESSED', name: 'duty/tax calculation (DMSTAX)' },
];

/**
 * WCO DateTimeString: formatCode 304 (CCYYMMDDHHMMSS followed by Z or an offset +hh / +hhmm) or
 * 102 (CCYYMMDD, midnight UTC). Returns epoch milliseconds, or a problem text.
 */
export function parseWcoDateTime(text: string, formatCode: string | undefined): number | string {
  if (formatCode === '102') {
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
    if (!m) return `'${text}' is not a formatCode 102 date (CCYYMMDD)`;
    return checkedUtc(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0, 0) ?? `'${text}' is not a calendar date`;
  }
  if (formatCode !== '304') return `formatCode '${formatCode ?? ''}' is not supported (304 or 102)`;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}(?:\d{2})?)$/.exec(text);
  if (!m) return `'${text}' is not a formatCode 304 date-time (CCYYMMDDHHMMSS with Z or +hh[mm])`;
  const zone = m[7]!;
  const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +(zone.slice(3, 5) || 0));
  const t = checkedUtc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, offsetMin);
  return t ?? `'${text}' is not a valid date-time`;
}

function checkedUtc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  offsetMin: number,
): number | undefined {
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return t - offsetMin * 60_000;
}

/** formatCode 304 in UTC, when `ms` is a whole second (the format has no fraction). */
export function formatWcoDateTime(ms: number): string | undefined {
  if (ms % 1000 !== 0) return undefined;
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1000 || y > 9999) return undefined;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${y}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

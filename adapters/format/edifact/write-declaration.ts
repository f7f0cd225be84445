/**
 * The canonical Envelope with a Declaration body written as a CUSDEC, CUSRES or CUSCAR message
 * (D96B or D99B), in the segment order of the directory's segment table. The inverse of
 * read-declaration.ts for every field the mapping covers (docs/formats-edifact.md).
 */
import type { Long } from 'protobufjs';
import { epochMillis, gnc } from '../../../node/src/canonical';
import { EdifactSyntaxError, SyntaxErrorCode as E } from './errors';
import type { InterchangeWriter } from './writer';
import { K, PARTY, Q, dtm, split } from './values';

const { v1 } = gnc;

export type DeclarationMessage = 'CUSDEC' | 'CUSRES' | 'CUSCAR';
export type Directory = 'D96B' | 'D99B';

const DOCUMENT_BY_TYPE: Readonly<Record<number, string>> = {
  [v1.DeclarationType.DECLARATION_TYPE_EX]: '830',
  [v1.DeclarationType.DECLARATION_TYPE_IM]: '929',
};
const TYPE_NAME: Readonly<Record<number, string>> = {
  [v1.DeclarationType.DECLARATION_TYPE_EX]: 'EX',
  [v1.DeclarationType.DECLARATION_TYPE_IM]: 'IM',
  [v1.DeclarationType.DECLARATION_TYPE_CO]: 'CO',
};
/** BGM 1001 for a cargo report: 85, customs manifest. */
const CARGO_REPORT = '85';

/** Enum value names by number, per enum object (built once: the enums are fixed). */
const enumNames = new WeakMap<object, ReadonlyMap<unknown, string>>();

const shortName = (values: object, prefix: string, n: number): string => {
  let names = enumNames.get(values);
  if (!names) {
    // The first name of a number wins, as a search in declaration order would find it.
    const byNumber = new Map<unknown, string>();
    for (const [name, v] of Object.entries(values)) if (!byNumber.has(v)) byNumber.set(v, name);
    enumNames.set(values, (names = byNumber));
  }
  const name = names.get(n);
  return name ? name.slice(prefix.length) : String(n);
};

const ms = (v: number | Long | null | undefined, field: string): number => {
  const n = epochMillis(v, field);
  if (n < 0 || n > 253402300799999)
    throw new EdifactSyntaxError({ element: field }, `instant ${n} is outside years 1970-9999`, E.invalidValue);
  return n;
};

/** Writes UNH..UNT for one declaration envelope. */
export function writeDeclaration(
  w: InterchangeWriter,
  envelope: gnc.v1.IEnvelope,
  message: DeclarationMessage,
  directory: Directory,
): void {
  const d = envelope.declaration!;
  const c = d.consignment ?? undefined;
  const shipment = d.goodsShipment ?? undefined;
  const items = shipment?.goodsItems ?? [];
  const d99b = directory === 'D99B';
  w.beginMessage('1', message, 'D', directory.slice(1));

  // BGM: document name code and name (declaration type + additional type), number = LRN, function 9 (original).
  const type = d.type ?? 0;
  const additional = d.additionalTypeCode ?? '';
  if (!TYPE_NAME[type] && /^(EX|IM|CO)/.test(additional)) {
    throw new EdifactSyntaxError(
      { segment: 'BGM', element: 'C002/1000' },
      `additional type code ${JSON.stringify(additional)} without a declaration type would read back as a type`,
      E.invalidValue,
    );
  }
  w.segment(
    'BGM',
    [
      message === 'CUSCAR' ? CARGO_REPORT : DOCUMENT_BY_TYPE[type],
      undefined,
      undefined,
      (TYPE_NAME[type] ?? '') + additional,
    ],
    d.lrn ?? undefined,
    '9',
  );

  const locs: Array<[string, string | null | undefined]> = [
    [Q.officeOfLodgement, d.officeOfLodgementId],
    [Q.loading, c?.loadingLocationId],
    [Q.unloading, c?.unloadingLocationId],
    [Q.exportCountry, shipment?.exportCountryCode],
    [Q.destinationCountry, shipment?.destinationCountryCode],
    [Q.borderOffice, c?.borderOfficeId],
  ];
  const writeLocs = (which: (q: string) => boolean): void => {
    for (const [q, v] of locs) if (v && which(q)) w.segment('LOC', q, v);
  };
  const issuedMs = ms(d.issuedAtMs, 'declaration.issuedAtMs');
  const issued = issuedMs ? dtm(Q.docDate, issuedMs) : undefined;

  const refs = referenceList(envelope);
  const parties = partyList(envelope);

  if (message === 'CUSDEC') {
    writeLocs(() => true);
    if (issued) w.segment('DTM', issued);
    for (const e of c?.transportEquipment ?? []) w.segment('EQD', 'CN', e.id ?? undefined, e.sizeTypeCode ?? undefined);
    for (const e of c?.transportEquipment ?? [])
      for (const s of e.seals ?? [])
        w.segment('SEL', s.id ?? undefined, [
          s.electronic ? 'ELS' : undefined,
          undefined,
          undefined,
          e.id ?? undefined,
        ]);
    writeRefs(w, refs);
    writeTransport(w, c);
    writeParties(w, parties, true);
    if (shipment?.tradeTermsCode) w.segment('TOD', undefined, undefined, shipment.tradeTermsCode);
    if (d.invoiceAmount)
      w.segment('MOA', [
        Q.invoiceAmount,
        d.invoiceAmount.value ?? undefined,
        d.invoiceAmount.currencyCode ?? undefined,
      ]);
    w.segment('UNS', 'D');
    for (const item of items) writeCusdecItem(w, item);
    w.segment('UNS', 'S');
    w.segment('CNT', [Q.itemCount, String(items.length)]);
    if (d.totalPackageQuantity) w.segment('CNT', [Q.packageCount, String(d.totalPackageQuantity)]);
  } else if (message === 'CUSRES') {
    if (issued) w.segment('DTM', issued);
    writeLocs((q) => q === Q.officeOfLodgement);
    writeParties(
      w,
      parties.filter((p) => p.q === PARTY.sender || p.q === PARTY.receiver),
      false,
    );
    writeRefs(
      w,
      refs.filter((r) => r.cusres),
    );
  } else {
    if (issued) w.segment('DTM', issued);
    if (d99b) writeLocs((q) => q === Q.officeOfLodgement || q === Q.borderOffice);
    writeRefs(
      w,
      refs.filter((r) => r.rff[0] !== Q.billOfLading),
    );
    writeParties(
      w,
      parties.filter((p) => p.q !== PARTY.consignor && p.q !== PARTY.consignee),
      false,
    );
    writeTransport(w, c, () => {
      // In D96B the header has no LOC; the places ride with the transport.
      if (!d99b) writeLocs((q) => q === Q.officeOfLodgement || q === Q.borderOffice);
      writeLocs((q) => q === Q.loading || q === Q.unloading);
    });
    for (const e of c?.transportEquipment ?? []) {
      w.segment('EQD', 'CN', e.id ?? undefined, e.sizeTypeCode ?? undefined);
      for (const s of e.seals ?? [])
        w.segment('SEL', s.id ?? undefined, [
          s.electronic ? 'ELS' : undefined,
          undefined,
          undefined,
          e.id ?? undefined,
        ]);
    }
    w.segment('CNI', '1');
    w.segment('RFF', [Q.billOfLading, c?.transportDocumentId ?? undefined]);
    writeLocs((q) => q === Q.exportCountry || q === Q.destinationCountry);
    for (const p of parties.filter((p) => p.q === PARTY.consignor || p.q === PARTY.consignee)) writeParty(w, p, true);
    if (items.length === 0) {
      throw new EdifactSyntaxError(
        { segment: 'GID', element: 'SG14' },
        'a CUSCAR consignment needs at least one goods item (SG14 is mandatory)',
        E.segmentMissing,
      );
    }
    for (const item of items) writeCuscarItem(w, item, d99b);
  }
  w.endMessage();
}

interface Ref {
  readonly rff: Array<string | undefined>;
  readonly dtm?: string[];
  /** Written in a CUSRES too (identity and status; the rest of the declaration is not). */
  readonly cusres: boolean;
}

function referenceList(envelope: gnc.v1.IEnvelope): Ref[] {
  const h = envelope.header ?? {};
  const d = envelope.declaration!;
  const c = d.consignment ?? undefined;
  const out: Ref[] = [];
  const gncRef = (
    key: string,
    v: string | null | undefined,
    cusres: boolean,
    date?: string[],
    subject?: string,
  ): void => {
    if (v) out.push({ rff: [Q.gnc, v, key, subject], dtm: date, cusres });
  };
  // Decoded messages hold int64 as Long objects (truthy even at 0): compare the numbers.
  const createdMs = ms(h.createdAtMs, 'header.createdAtMs');
  const changedMs = ms(d.statusChangedAtMs, 'declaration.statusChangedAtMs');
  gncRef(K.messageId, h.messageId, true, createdMs ? dtm(Q.docDate, createdMs) : undefined);
  if (!h.messageId && createdMs) {
    throw new EdifactSyntaxError(
      { element: 'header.createdAtMs' },
      'a creation instant needs a message id to be carried',
      E.missing,
    );
  }
  gncRef(K.correlationId, h.correlationId, true);
  gncRef(K.utilityBlockId, h.utilityBlockId, true);
  gncRef(K.utilityBlockVersion, h.utilityBlockVersion, true);
  if (d.mrn) out.push({ rff: [Q.mrn, d.mrn], cusres: true });
  if (c?.transportDocumentId) out.push({ rff: [Q.billOfLading, c.transportDocumentId], cusres: false });
  if (d.status) {
    gncRef(
      K.status,
      shortName(v1.DeclarationStatus, 'DECLARATION_STATUS_', d.status),
      true,
      changedMs ? dtm(Q.statusDate, changedMs) : undefined,
    );
  } else if (changedMs) {
    throw new EdifactSyntaxError(
      { element: 'declaration.statusChangedAtMs' },
      'a status change instant needs a status to be carried',
      E.missing,
    );
  }
  if (d.lane) gncRef(K.lane, shortName(v1.Lane, 'LANE_', d.lane), true);
  if (d.version) gncRef(K.version, String(d.version), true);
  gncRef(K.administration, d.administrationId, true);
  if (c?.containerised) gncRef(K.containerised, '1', false);
  gncRef(K.transactionNature, d.goodsShipment?.transactionNatureCode, false);
  for (const e of c?.transportEquipment ?? [])
    for (const s of e.seals ?? []) gncRef(K.sealDevice, s.deviceId, false, undefined, s.id ?? '');
  return out;
}

function writeRefs(w: InterchangeWriter, refs: Ref[]): void {
  for (const r of refs) {
    w.segment('RFF', r.rff);
    if (r.dtm) w.segment('DTM', r.dtm);
  }
}

interface PartyOut {
  readonly q: string;
  readonly party: gnc.v1.IParty;
}

function partyList(envelope: gnc.v1.IEnvelope): PartyOut[] {
  const h = envelope.header ?? {};
  const d = envelope.declaration!;
  const c = d.consignment ?? undefined;
  const list: Array<[string, gnc.v1.IParty | null | undefined]> = [
    [PARTY.sender, h.senderId ? { id: h.senderId } : undefined],
    [PARTY.receiver, h.receiverId ? { id: h.receiverId } : undefined],
    [PARTY.declarant, d.declarant],
    [PARTY.exporter, d.exporter],
    [PARTY.importer, d.importer],
    [PARTY.agent, d.agent],
    [PARTY.consignor, c?.consignor],
    [PARTY.consignee, c?.consignee],
  ];
  return list.filter((e): e is [string, gnc.v1.IParty] => !!e[1]).map(([q, party]) => ({ q, party }));
}

function writeParties(w: InterchangeWriter, parties: PartyOut[], withRefs: boolean): void {
  for (const p of parties) writeParty(w, p, withRefs);
}

/** NAD: C082 id + scheme (1131), C080 name in 35-character pieces, C059 street, city, sub-division, postcode, country. */
function writeParty(w: InterchangeWriter, { q, party }: PartyOut, withRefs: boolean): void {
  const a = party.address ?? {};
  w.segment(
    'NAD',
    q,
    [party.id ?? undefined, party.idScheme ?? undefined],
    undefined,
    party.name ? split(party.name, 35, 5, `NAD+${q} C080/3036 (party name)`) : undefined,
    a.line ? split(a.line, 35, 4, `NAD+${q} C059/3042 (street)`) : undefined,
    a.cityName ?? undefined,
    a.countrySubDivisionCode ?? undefined,
    a.postcodeId ?? undefined,
    a.countryCode ?? undefined,
  );
  const refs: Array<[string, string | null | undefined]> = [
    [K.aeo, party.aeoAuthorisationId],
    [K.aeoIssuer, party.aeoIssuingAdministrationId],
  ];
  for (const [key, v] of refs) {
    // CUSCAR's header NAD group has no RFF: the AEO data is not carried there (docs/formats-edifact.md).
    if (!v || !withRefs) continue;
    w.segment('RFF', [Q.gnc, v, key]);
  }
}

function writeTransport(w: InterchangeWriter, c: gnc.v1.IConsignment | undefined, after?: () => void): void {
  const means: Array<[string, gnc.v1.ITransportMeans | null | undefined]> = [
    [Q.stageDeparture, c?.departureTransportMeans],
    [Q.stageBorder, c?.borderTransportMeans],
  ];
  let first = true;
  for (const [stage, t] of means) {
    if (!t) continue;
    w.segment('TDT', stage, undefined, [t.modeCode ?? undefined], undefined, undefined, undefined, undefined, [
      t.id ?? undefined,
      t.identificationTypeCode ?? undefined,
      undefined,
      t.name ?? undefined,
      t.registrationNationalityCode ?? undefined,
    ]);
    if (first && after) after();
    first = false;
  }
  if (first && after) {
    // No transport means but places to carry: a TDT with only the stage opens the group.
    w.segment('TDT', Q.stageDeparture);
    after();
  }
}

function description(w: InterchangeWriter, text: string | null | undefined, max: number): void {
  if (!text) return;
  const pieces = split(text, 70, 5 * max, 'FTX+AAA C108/4440 (goods description)');
  for (let i = 0; i < pieces.length; i += 5)
    w.segment('FTX', Q.goodsDescription, undefined, undefined, pieces.slice(i, i + 5));
}

function mass(w: InterchangeWriter, kind: string, v: string | null | undefined): void {
  if (v) w.segment('MEA', 'WT', kind, ['KGM', v]);
}

function writeCusdecItem(w: InterchangeWriter, item: gnc.v1.IGoodsItem): void {
  const commodity = item.commodity ?? {};
  checkHs(commodity.hsCode);
  w.segment(
    'CST',
    item.sequenceNumeric ? String(item.sequenceNumeric) : undefined,
    [commodity.hsCode ?? undefined, commodity.classificationTypeCode ?? undefined],
    [item.procedureCode ?? undefined],
  );
  description(w, commodity.description, 9);
  if (item.originCountryCode) w.segment('LOC', Q.origin, item.originCountryCode);
  mass(w, 'AAB', item.grossMassKg);
  mass(w, 'AAA', item.netMassKg);
  if (item.quantity && (item.quantity.value || item.quantity.unitCode)) {
    w.segment('MEA', 'AAE', Q.gnc, [item.quantity.unitCode ?? undefined, item.quantity.value ?? undefined]);
  }
  if (item.packageQuantity || item.packageTypeCode) {
    w.segment('PAC', item.packageQuantity ? String(item.packageQuantity) : undefined, undefined, [
      item.packageTypeCode ?? undefined,
    ]);
  }
  if (item.customsValue)
    w.segment('MOA', [
      Q.customsValue,
      item.customsValue.value ?? undefined,
      item.customsValue.currencyCode ?? undefined,
    ]);
  if (item.valuationMethodCode) w.segment('RFF', [Q.gnc, item.valuationMethodCode, K.valuationMethod]);
}

function writeCuscarItem(w: InterchangeWriter, item: gnc.v1.IGoodsItem, d99b: boolean): void {
  const commodity = item.commodity ?? {};
  checkHs(commodity.hsCode);
  w.segment('GID', item.sequenceNumeric ? String(item.sequenceNumeric) : undefined, [
    item.packageQuantity ? String(item.packageQuantity) : undefined,
    item.packageTypeCode ?? undefined,
  ]);
  description(w, commodity.description, 99);
  mass(w, 'AAB', item.grossMassKg);
  mass(w, 'AAA', item.netMassKg);
  if (item.customsValue)
    w.segment('MOA', [
      Q.customsValue,
      item.customsValue.value ?? undefined,
      item.customsValue.currencyCode ?? undefined,
    ]);
  if (commodity.hsCode || item.procedureCode) {
    w.segment(
      'CST',
      undefined,
      [commodity.hsCode ?? undefined, commodity.classificationTypeCode ?? undefined],
      [item.procedureCode ?? undefined],
    );
  }
  if (d99b && item.originCountryCode) w.segment('LOC', Q.origin, item.originCountryCode);
  if (item.quantity && (item.quantity.value || item.quantity.unitCode)) {
    w.segment('QTY', ['1', item.quantity.value ?? undefined, item.quantity.unitCode ?? undefined]);
  }
}

function checkHs(hs: string | null | undefined): void {
  if (hs && !/^[0-9]{6,10}$/.test(hs)) {
    throw new EdifactSyntaxError(
      { segment: 'CST', element: 'C246/7361' },
      `HS code ${JSON.stringify(hs)} is not 6 to 10 digits`,
      E.invalidValue,
    );
  }
}

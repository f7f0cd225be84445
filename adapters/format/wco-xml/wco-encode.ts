/**
 * Canonical Envelope (proto3 JSON form) -> WCO XML text. A goods declaration is written as a DEC
 * document; a declaration that only reports a status change is written as a RES notification
 * (docs/formats.md). Every canonical path written exactly is recorded; the rest goes into the
 * gnc:Extension block, so that decoding gives the same envelope back.
 */
import { escapeAttribute, escapeText } from '../../xml';
import { DECLARATION_TYPES, NS, RESPONSE_FUNCTIONS, WCO_DATA_MODEL_VERSION, formatWcoDateTime } from './wco-codes';
import { WrittenFields, unwrittenLeaves } from './wco-extension';

type Json = Record<string, unknown>;

const TYPE_PREFIX: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DECLARATION_TYPES).map(([prefix, name]) => [name, prefix]),
);
/** The fields a RES notification carries (with the extension for the last one). */
const RESPONSE_FIELDS = new Set(['lrn', 'mrn', 'version', 'status', 'lane', 'statusChangedAtMs', 'administrationId']);

/**
 * Writes WCO elements from canonical fields, marking each field written (WrittenFields: its value
 * is gone from the holder once marked, so every value is read before it is marked).
 */
class Writer {
  readonly written = new WrittenFields();

  /** `<name>holder[key]</name>`, nothing when the field is absent or empty. */
  leaf(name: string, holder: Json | undefined, key: string): string {
    const value = holder?.[key];
    if (value === undefined || value === '') return '';
    this.written.mark(holder!, key);
    // Leaves are proto3 JSON scalars: strings as they are, numbers and booleans as JSON writes them,
    // which String() does too for a boolean and a finite number (the pruned copy holds the others
    // as text), without JSON.stringify's general conversion.
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
          ? String(value)
          : JSON.stringify(value);
    return `<${name}>${escapeText(text)}</${name}>`;
  }

  wrap(name: string, inner: string): string {
    return inner === '' ? '' : `<${name}>${inner}</${name}>`;
  }

  amount(name: string, holder: Json, key: string): string {
    const a = holder[key] as Json | undefined;
    if (!a) return '';
    const value = a.value as string | undefined;
    const currency = a.currencyCode as string | undefined;
    if (value === undefined && currency === undefined) return '';
    if (value !== undefined) this.written.mark(a, 'value');
    if (currency !== undefined) this.written.mark(a, 'currencyCode');
    const attr = currency !== undefined ? ` currencyID="${escapeAttribute(currency)}"` : '';
    return `<${name}${attr}>${escapeText(value ?? '')}</${name}>`;
  }

  dateTime(name: string, holder: Json, key: string): string {
    const ms = holder[key];
    if (ms === undefined) return '';
    const text = formatWcoDateTime(Number(ms));
    // Milliseconds (or a year outside 1000-9999) cannot be written as formatCode 304: extension.
    if (text === undefined) return '';
    this.written.mark(holder, key);
    return `<${name}><DateTimeString formatCode="304">${text}</DateTimeString></${name}>`;
  }

  party(name: string, p: Json | undefined): string {
    if (!p) return '';
    const a = p.address as Json | undefined;
    const address = a
      ? this.leaf('CityName', a, 'cityName') +
        this.leaf('CountryCode', a, 'countryCode') +
        this.leaf('CountrySubDivisionCode', a, 'countrySubDivisionCode') +
        this.leaf('Line', a, 'line') +
        this.leaf('PostcodeID', a, 'postcodeId')
      : '';
    return this.wrap(name, this.leaf('Name', p, 'name') + this.leaf('ID', p, 'id') + this.wrap('Address', address));
  }

  transportMeans(name: string, t: Json | undefined): string {
    if (!t) return '';
    return this.wrap(
      name,
      this.leaf('Name', t, 'name') +
        this.leaf('ID', t, 'id') +
        this.leaf('IdentificationTypeCode', t, 'identificationTypeCode') +
        this.leaf('RegistrationNationalityCode', t, 'registrationNationalityCode') +
        this.leaf('ModeCode', t, 'modeCode'),
    );
  }

  /** `<name><ID>holder[key]</ID></name>`. */
  idOf(name: string, holder: Json, key: string, child = 'ID'): string {
    return this.wrap(name, this.leaf(child, holder, key));
  }
}

/** Writes the envelope (pruned proto3 JSON with a declaration body) as a WCO document. */
export function encodeWco(envelope: Json): string {
  const d = (envelope.declaration ?? {}) as Json;
  const w = new Writer();
  const response = responseFunction(d);
  let body: string;
  let metaData: string;
  let close: string;
  if (response) {
    body = encodeResponse(w, envelope, d, response);
    metaData = `<MetaData xmlns="${NS.metaData}" xmlns:gnc="${NS.gnc}"><WCODataModelVersionCode>${WCO_DATA_MODEL_VERSION}</WCODataModelVersionCode><WCOTypeName>RES</WCOTypeName>`;
    close = '</MetaData>';
  } else {
    body = encodeDeclaration(w, d);
    metaData = `<md:MetaData xmlns:md="${NS.metaData}" xmlns="${NS.dec}" xmlns:gnc="${NS.gnc}"><md:WCODataModelVersionCode>${WCO_DATA_MODEL_VERSION}</md:WCODataModelVersionCode><md:WCOTypeName>DEC</md:WCOTypeName>`;
    close = '</md:MetaData>';
  }
  const rest = unwrittenLeaves(envelope);
  let extension = '';
  if (rest.length > 0) {
    extension = '<gnc:Extension>';
    for (const [path, value] of rest) extension += `<gnc:Field path="${path}">${escapeText(value)}</gnc:Field>`;
    extension += '</gnc:Extension>';
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${metaData}${extension}${body}${close}`;
}

/** The Response.FunctionCode when the declaration is only a status notice that RES expresses. */
function responseFunction(d: Json): string | undefined {
  for (const key of Object.keys(d)) if (!RESPONSE_FIELDS.has(key)) return undefined;
  return RESPONSE_FUNCTIONS.find((f) => f.status === d.status && f.lane === d.lane)?.code;
}

function encodeResponse(w: Writer, envelope: Json, d: Json, functionCode: string): string {
  const header = (envelope.header ?? {}) as Json;
  w.written.mark(d, 'status');
  if (d.lane !== undefined) w.written.mark(d, 'lane');
  const declaration = w.wrap(
    'Declaration',
    w.leaf('FunctionalReferenceID', d, 'lrn') + w.leaf('ID', d, 'mrn') + w.leaf('VersionID', d, 'version'),
  );
  return (
    `<Response xmlns="${NS.res}"><FunctionCode>${functionCode}</FunctionCode>` +
    w.leaf('FunctionalReferenceID', header, 'messageId') +
    w.dateTime('IssueDateTime', d, 'statusChangedAtMs') +
    declaration +
    '</Response>'
  );
}

function encodeDeclaration(w: Writer, d: Json): string {
  const c = (d.consignment ?? {}) as Json;
  const s = (d.goodsShipment ?? {}) as Json;
  const items = (s.goodsItems ?? []) as Json[];

  let typeCode = '';
  const prefix = d.type !== undefined ? TYPE_PREFIX[d.type as string] : '';
  const additional = (d.additionalTypeCode as string | undefined) ?? '';
  if (prefix !== undefined && (prefix !== '' || !DECLARATION_TYPES[additional.slice(0, 2)])) {
    typeCode = prefix + additional;
    if (d.type !== undefined) w.written.mark(d, 'type');
    if (additional) w.written.mark(d, 'additionalTypeCode');
  }

  const loading =
    w.idOf('LoadingLocation', c, 'loadingLocationId') +
    w.idOf('TransportContractDocument', c, 'transportDocumentId') +
    w.idOf('UnloadingLocation', c, 'unloadingLocationId');

  // Concatenated rather than map().join(''): join copies its pieces into one flat string, and the
  // whole document is copied once more when it is encoded to bytes (the join of the goods items
  // measured about a seventh of an encode).
  let equipment = '';
  const equipmentList = (c.transportEquipment ?? []) as Json[];
  for (let i = 0; i < equipmentList.length; i++) {
    const e = equipmentList[i]!;
    let seals = '';
    const sealList = (e.seals ?? []) as Json[];
    for (let j = 0; j < sealList.length; j++) {
      seals += `<Seal><SequenceNumeric>${j + 1}</SequenceNumeric>${w.leaf('ID', sealList[j], 'id')}</Seal>`;
    }
    equipment +=
      `<TransportEquipment><SequenceNumeric>${i + 1}</SequenceNumeric>` +
      w.leaf('CharacteristicCode', e, 'sizeTypeCode') +
      w.leaf('ID', e, 'id') +
      seals +
      '</TransportEquipment>';
  }
  const shipmentConsignment = w.wrap(
    'Consignment',
    (c.containerised === true ? (w.written.mark(c, 'containerised'), '<ContainerCode>1</ContainerCode>') : '') +
      w.transportMeans('DepartureTransportMeans', c.departureTransportMeans as Json | undefined) +
      equipment,
  );

  let goods = '';
  for (let i = 0; i < items.length; i++) goods += encodeGoodsItem(w, items[i]!);
  const shipment = w.wrap(
    'GoodsShipment',
    w.leaf('TransactionNatureCode', s, 'transactionNatureCode') +
      w.party('Consignee', c.consignee as Json | undefined) +
      shipmentConsignment +
      w.party('Consignor', c.consignor as Json | undefined) +
      w.idOf('Destination', s, 'destinationCountryCode', 'CountryCode') +
      w.idOf('ExportCountry', s, 'exportCountryCode') +
      goods +
      w.party('Importer', d.importer as Json | undefined) +
      w.idOf('TradeTerms', s, 'tradeTermsCode', 'ConditionCode'),
  );

  return (
    '<Declaration><FunctionCode>9</FunctionCode>' +
    w.leaf('FunctionalReferenceID', d, 'lrn') +
    w.leaf('ID', d, 'mrn') +
    w.dateTime('IssueDateTime', d, 'issuedAtMs') +
    (typeCode ? `<TypeCode>${escapeText(typeCode)}</TypeCode>` : '') +
    (items.length > 0 ? `<GoodsItemQuantity>${items.length}</GoodsItemQuantity>` : '') +
    w.leaf('DeclarationOfficeID', d, 'officeOfLodgementId') +
    w.amount('InvoiceAmount', d, 'invoiceAmount') +
    w.leaf('TotalPackageQuantity', d, 'totalPackageQuantity') +
    w.party('Agent', d.agent as Json | undefined) +
    w.transportMeans('BorderTransportMeans', c.borderTransportMeans as Json | undefined) +
    w.wrap('Consignment', loading) +
    w.party('Declarant', d.declarant as Json | undefined) +
    w.idOf('ExitOffice', c, 'borderOfficeId') +
    w.party('Exporter', d.exporter as Json | undefined) +
    shipment +
    '</Declaration>'
  );
}

function encodeGoodsItem(w: Writer, g: Json): string {
  const commodity = (g.commodity ?? {}) as Json;
  const quantity = g.quantity as Json | undefined;
  let tariffQuantity = '';
  const quantityValue = quantity?.value as string | undefined;
  const quantityUnit = quantity?.unitCode as string | undefined;
  if (quantity && (quantityValue !== undefined || quantityUnit !== undefined)) {
    if (quantityValue !== undefined) w.written.mark(quantity, 'value');
    if (quantityUnit !== undefined) w.written.mark(quantity, 'unitCode');
    const unit = quantityUnit !== undefined ? ` unitCode="${escapeAttribute(quantityUnit)}"` : '';
    tariffQuantity = `<TariffQuantity${unit}>${escapeText(quantityValue ?? '')}</TariffQuantity>`;
  }
  const measure = w.wrap(
    'GoodsMeasure',
    w.leaf('GrossMassMeasure', g, 'grossMassKg') + w.leaf('NetNetWeightMeasure', g, 'netMassKg') + tariffQuantity,
  );
  const commodityXml = w.wrap(
    'Commodity',
    w.leaf('Description', commodity, 'description') +
      w.wrap(
        'Classification',
        w.leaf('ID', commodity, 'hsCode') + w.leaf('IdentificationTypeCode', commodity, 'classificationTypeCode'),
      ) +
      measure,
  );
  let procedure = '';
  const code = g.procedureCode as string | undefined;
  if (code !== undefined && (code.length === 2 || code.length === 4)) {
    w.written.mark(g, 'procedureCode');
    procedure = `<GovernmentProcedure><CurrentCode>${escapeText(code.slice(0, 2))}</CurrentCode>${
      code.length === 4 ? `<PreviousCode>${escapeText(code.slice(2))}</PreviousCode>` : ''
    }</GovernmentProcedure>`;
  }
  const packaging =
    g.packageQuantity !== undefined || g.packageTypeCode !== undefined
      ? `<Packaging><SequenceNumeric>1</SequenceNumeric>${w.leaf('QuantityQuantity', g, 'packageQuantity')}${w.leaf('TypeCode', g, 'packageTypeCode')}</Packaging>`
      : '';
  return (
    '<GovernmentAgencyGoodsItem>' +
    w.leaf('SequenceNumeric', g, 'sequenceNumeric') +
    w.amount('CustomsValueAmount', g, 'customsValue') +
    commodityXml +
    w.idOf('CustomsValuation', g, 'valuationMethodCode', 'MethodCode') +
    procedure +
    w.idOf('Origin', g, 'originCountryCode', 'CountryCode') +
    packaging +
    '</GovernmentAgencyGoodsItem>'
  );
}

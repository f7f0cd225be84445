/**
 * WCO XML tree -> canonical Envelope in its proto3 JSON form, element by element (docs/formats.md).
 * Every element and attribute read is marked; what is left is reported as unmapped, by XPath.
 */
import { createHash } from 'node:crypto';
import { FormatInvalidError } from '../../../node/src/canonical';
import { attributeValue, textContent, xpathOf, type XmlAttribute, type XmlDocument, type XmlElement } from '../../xml';
import type { MessageRule } from '../json/json-schema';
import { DECLARATION_TYPES, NS, RESPONSE_FUNCTIONS, parseWcoDateTime } from './wco-codes';
import { ExtensionFields, MAX_EXTENSION_FIELDS, applyExtensionField } from './wco-extension';

type Json = Record<string, unknown>;
const ENVELOPE = 'gnc.v1.Envelope';

/** Content of a WCO document that has no canonical field, with where it stands. */
export interface WcoUnmapped {
  /** XPath as written in the document, e.g. `/md:MetaData/Declaration/GoodsShipment/PreviousDocument[2]`. */
  readonly xpath: string;
  readonly line: number;
  readonly column: number;
  /** The text of a leaf element or the value of an attribute (first 80 characters). */
  readonly value?: string;
}

export interface WcoDecoded {
  /** The Envelope as proto3 JSON (validated afterwards by the caller). */
  readonly object: Json;
  /** `DEC` goods declaration or `RES` response/notification. */
  readonly document: 'DEC' | 'RES';
  /** What the document carries that the canonical schema cannot hold, in document order. */
  readonly unmapped: WcoUnmapped[];
  /** True when no gnc:Extension block gave the header and it was derived (see docs/formats.md). */
  readonly headerDerived: boolean;
}

/** Children above which Reader looks names up in an index rather than scanning (see byName()). */
const INDEX_FROM = 8;

/** Bit of Reader.marks: something was read from the element or from an element inside it. */
const TOUCHED = 1;
/** Attributes at this position or beyond are marked in Reader.usedBeyond rather than in a bit. */
const ATTRIBUTE_BITS = 31;

class Reader {
  /** See byName(). */
  private readonly indexes = new Map<XmlElement, Map<string, XmlElement[]>>();
  /**
   * By element index: TOUCHED, and bit i + 1 when attribute i of the element was read. Bits in
   * one typed array rather than a Set of attributes: adding each attribute object to a Set
   * measured about 3% of a WCO decode.
   */
  readonly marks: Uint32Array;
  /** Attributes read at a position of ATTRIBUTE_BITS or beyond (an element has up to 256). */
  readonly usedBeyond: Set<XmlAttribute>;
  /** `marks` and `usedBeyond`: new ones, or those of another reader of the same document. */
  constructor(
    readonly ns: string,
    marks: Uint32Array,
    usedBeyond = new Set<XmlAttribute>(),
  ) {
    this.marks = marks;
    this.usedBeyond = usedBeyond;
  }

  /** Marks attribute `i` of `el` read. */
  useAttribute(el: XmlElement, i: number): void {
    if (i < ATTRIBUTE_BITS) this.marks[el.index]! |= 1 << (i + 1);
    else this.usedBeyond.add(el.attributes[i]!);
  }

  attributeUsed(el: XmlElement, i: number): boolean {
    return i < ATTRIBUTE_BITS ? (this.marks[el.index]! & (1 << (i + 1))) !== 0 : this.usedBeyond.has(el.attributes[i]!);
  }

  touched(el: XmlElement): boolean {
    return (this.marks[el.index]! & TOUCHED) !== 0;
  }

  fail(el: XmlElement, problem: string, attribute?: string): never {
    throw new FormatInvalidError(ENVELOPE, `${xpathOf(el)}${attribute ? `/@${attribute}` : ''}: ${problem}`);
  }

  private use(el: XmlElement): void {
    const marks = this.marks;
    for (let e: XmlElement | undefined = el; e && (marks[e.index]! & TOUCHED) === 0; e = e.parent)
      marks[e.index]! |= TOUCHED;
  }

  /** Marks a structural element (its meaning is the document's shape, not a field). */
  structural(el: XmlElement): void {
    this.use(el);
  }

  /**
   * The children of `parent` in this reader's namespace by local name (in document order), built
   * once per parent with many children: the mapping asks such a parent (Declaration, GoodsShipment,
   * a goods item) for a couple of dozen names, and scanning all its children for each measured a
   * good part of the decoding.
   */
  private byName(parent: XmlElement): Map<string, XmlElement[]> {
    let index = this.indexes.get(parent);
    if (!index) {
      index = new Map();
      for (const c of parent.children) {
        if (c.kind !== 'element' || c.uri !== this.ns) continue;
        const same = index.get(c.local);
        if (same) same.push(c);
        else index.set(c.local, [c]);
      }
      this.indexes.set(parent, index);
    }
    return index;
  }

  kids(parent: XmlElement, local: string): XmlElement[] {
    if (parent.children.length > INDEX_FROM) return this.byName(parent).get(local)?.slice() ?? [];
    const out: XmlElement[] = [];
    for (const c of parent.children) if (c.kind === 'element' && c.local === local && c.uri === this.ns) out.push(c);
    return out;
  }

  one(parent: XmlElement | undefined, local: string): XmlElement | undefined {
    if (!parent) return undefined;
    if (parent.children.length > INDEX_FROM) {
      const same = this.byName(parent).get(local);
      if (!same) return undefined;
      if (same.length > 1) this.fail(same[1]!, `<${local}> may appear only once here`);
      return same[0];
    }
    let found: XmlElement | undefined;
    for (const c of parent.children) {
      if (c.kind !== 'element' || c.local !== local || c.uri !== this.ns) continue;
      if (found) this.fail(c, `<${local}> may appear only once here`);
      found = c;
    }
    return found;
  }

  text(el: XmlElement): string {
    for (const c of el.children) {
      if (c.kind === 'element') this.fail(c, `<${el.local}> holds a value, not elements`);
    }
    this.use(el);
    return textContent(el);
  }

  attr(el: XmlElement, name: string): string | undefined {
    const attributes = el.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i]!;
      if (a.local === name && a.uri === '') {
        this.useAttribute(el, i);
        return a.value;
      }
    }
    return undefined;
  }

  /** Reads leaf `local` of `parent` into `target[key]` when not empty. */
  leaf(parent: XmlElement | undefined, local: string, target: Json, key: string): XmlElement | undefined {
    const el = this.one(parent, local);
    if (!el) return undefined;
    const v = this.text(el);
    if (v !== '') target[key] = v;
    return el;
  }

  uint(parent: XmlElement | undefined, local: string, target: Json, key: string): void {
    const el = this.one(parent, local);
    if (!el) return;
    const v = this.text(el);
    // The canonical fields read here are uint32: 4294967295 at most.
    if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 0xffffffff)
      this.fail(el, `'${v}' is not a whole number (0 to 4294967295)`);
    target[key] = Number(v);
  }

  dateTime(parent: XmlElement | undefined, local: string, target: Json, key: string): void {
    const el = this.one(parent, local);
    if (!el) return;
    this.structural(el);
    const s = this.one(el, 'DateTimeString');
    if (!s) return;
    const text = this.text(s);
    const t = parseWcoDateTime(text, this.attr(s, 'formatCode'));
    if (typeof t === 'string') this.fail(s, t);
    target[key] = String(t);
  }

  /** An amount with its currencyID attribute. */
  amount(parent: XmlElement | undefined, local: string, target: Json, key: string): void {
    const el = this.one(parent, local);
    if (!el) return;
    const value = this.text(el);
    const currency = this.attr(el, 'currencyID');
    const a: Json = {};
    if (value !== '') a.value = value;
    if (currency) a.currencyCode = currency;
    target[key] = a;
  }

  party(el: XmlElement | undefined): Json | undefined {
    if (!el) return undefined;
    this.structural(el);
    const p: Json = {};
    this.leaf(el, 'Name', p, 'name');
    this.leaf(el, 'ID', p, 'id');
    const address = this.one(el, 'Address');
    if (address) {
      this.structural(address);
      const a: Json = {};
      this.leaf(address, 'CityName', a, 'cityName');
      this.leaf(address, 'CountryCode', a, 'countryCode');
      this.leaf(address, 'CountrySubDivisionCode', a, 'countrySubDivisionCode');
      this.leaf(address, 'Line', a, 'line');
      this.leaf(address, 'PostcodeID', a, 'postcodeId');
      p.address = a;
    }
    return p;
  }

  transportMeans(el: XmlElement | undefined): Json | undefined {
    if (!el) return undefined;
    this.structural(el);
    const t: Json = {};
    this.leaf(el, 'Name', t, 'name');
    this.leaf(el, 'ID', t, 'id');
    this.leaf(el, 'IdentificationTypeCode', t, 'identificationTypeCode');
    this.leaf(el, 'RegistrationNationalityCode', t, 'registrationNationalityCode');
    this.leaf(el, 'ModeCode', t, 'modeCode');
    return t;
  }

  /** SequenceNumeric that only restates the position (1-based) is structural; any other is unmapped. */
  sequence(parent: XmlElement, position: number): void {
    const el = this.one(parent, 'SequenceNumeric');
    if (el && textContent(el) === String(position) && el.children.every((c) => c.kind === 'text')) this.use(el);
  }

  /** `<X><ID>v</ID></X>`: reads v into target[key]. */
  idOf(parent: XmlElement | undefined, local: string, target: Json, key: string, child = 'ID'): void {
    const el = this.one(parent, local);
    if (!el) return;
    this.structural(el);
    this.leaf(el, child, target, key);
  }
}

/** Finds the document's body and maps it; throws FormatInvalidError naming the XPath of a problem. */
export function decodeWco(doc: XmlDocument, bytes: Uint8Array, rule: MessageRule): WcoDecoded {
  const root = doc.root;
  let metaData: XmlElement | undefined;
  let body: XmlElement;
  if (root.local === 'MetaData' && (root.uri === NS.metaData || root.uri === '')) {
    metaData = root;
    const bodies = root.children.filter(
      (c): c is XmlElement =>
        c.kind === 'element' &&
        ((c.local === 'Declaration' && c.uri === NS.dec) ||
          (c.local === 'Response' && (c.uri === NS.res || c.uri === '' || c.uri === root.uri))),
    );
    if (bodies.length !== 1) {
      throw new FormatInvalidError(
        ENVELOPE,
        `${xpathOf(root)}: expected one Declaration (${NS.dec}) or Response, found ${bodies.length}`,
      );
    }
    body = bodies[0]!;
  } else if (
    (root.local === 'Declaration' && root.uri === NS.dec) ||
    (root.local === 'Response' && (root.uri === NS.res || root.uri === ''))
  ) {
    body = root;
  } else {
    throw new FormatInvalidError(
      ENVELOPE,
      `${xpathOf(root)}: not a WCO document (expected MetaData, Declaration in ${NS.dec} or Response in ${NS.res})`,
    );
  }
  const document = body.local === 'Declaration' ? 'DEC' : 'RES';
  const r = new Reader(body.uri, new Uint32Array(doc.elementCount));
  r.structural(body);
  const envelope: Json = {};
  const declaration: Json = {};
  const header: Json = {};
  envelope.header = header;
  envelope.declaration = declaration;

  let extension: XmlElement | undefined;
  if (metaData) {
    // What the metadata reader reads is marked read for the report as well (as r.structural() would).
    const m = new Reader(metaData.uri, r.marks, r.usedBeyond);
    const typeName = m.one(metaData, 'WCOTypeName');
    if (typeName) {
      const t = m.text(typeName);
      if (t !== document) m.fail(typeName, `'${t}' does not match the body <${body.local}> (${document})`);
      r.structural(typeName);
    }
    const version = m.one(metaData, 'WCODataModelVersionCode');
    if (version) r.structural(version);
    const ext = metaData.children.filter((c): c is XmlElement => c.kind === 'element' && c.uri === NS.gnc);
    for (const e of ext) if (e.local !== 'Extension') r.fail(e, `unknown element of ${NS.gnc}`);
    if (ext.length > 1) r.fail(ext[1]!, 'gnc:Extension may appear only once');
    extension = ext[0];
  }
  for (const el of [root, body]) {
    for (let i = 0; i < el.attributes.length; i++) if (el.attributes[i]!.uri === NS.xsi) r.useAttribute(el, i);
  }

  if (document === 'DEC') decodeDeclaration(r, body, declaration);
  else decodeResponse(r, body, declaration, header);

  if (extension) {
    r.structural(extension);
    const fields = extension.children.filter((c): c is XmlElement => c.kind === 'element');
    if (fields.length > MAX_EXTENSION_FIELDS) r.fail(extension, `more than ${MAX_EXTENSION_FIELDS} fields`);
    // The WCO elements have set their fields by now: the extension may only add to them.
    const fromExtension = new ExtensionFields();
    for (const f of fields) {
      if (f.local !== 'Field' || f.uri !== NS.gnc) r.fail(f, 'gnc:Extension holds gnc:Field elements only');
      const path = attributeValue(f, 'path') ?? r.fail(f, "gnc:Field needs a 'path' attribute");
      const value = r.text(f);
      for (let i = 0; i < f.attributes.length; i++) {
        if (f.attributes[i]!.local === 'path' && f.attributes[i]!.uri === '') r.useAttribute(f, i);
      }
      applyExtensionField(envelope, rule, path, value, fromExtension, () => xpathOf(f));
    }
  }
  const headerDerived = deriveHeader(header, declaration, bytes);
  return { object: envelope, document, unmapped: unmappedOf(r, doc.root), headerDerived };
}

/**
 * Completes a header that no gnc:Extension block gave; true when it did so. Shared by both
 * decoders (this one and wco-stream-decode.ts).
 */
export function deriveHeader(header: Json, declaration: Json, bytes: Uint8Array): boolean {
  const h = header as { messageId?: string; createdAtMs?: string };
  if (h.messageId && h.createdAtMs !== undefined) return false;
  // No GNC header: a plain WCO document from a partner or a legacy system. The message id is
  // derived from the bytes, so the same document always gets the same id (duplicates are found);
  // the creation instant is the response's or declaration's issue date-time.
  h.messageId ||= `wco-sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
  const issued = (declaration.statusChangedAtMs ?? declaration.issuedAtMs) as string | undefined;
  if (issued !== undefined) h.createdAtMs ??= issued;
  return true;
}

function decodeDeclaration(r: Reader, d: XmlElement, out: Json): void {
  const fc = r.one(d, 'FunctionCode');
  // 9 = original declaration: the only kind the canonical Declaration expresses.
  if (fc && textContent(fc) === '9') r.structural(fc);
  r.leaf(d, 'FunctionalReferenceID', out, 'lrn');
  r.leaf(d, 'ID', out, 'mrn');
  r.dateTime(d, 'IssueDateTime', out, 'issuedAtMs');
  const typeCode = r.one(d, 'TypeCode');
  if (typeCode) {
    const code = r.text(typeCode);
    const type = DECLARATION_TYPES[code.slice(0, 2)];
    if (type) {
      out.type = type;
      if (code.length > 2) out.additionalTypeCode = code.slice(2);
    } else if (code !== '') {
      out.additionalTypeCode = code;
    }
  }
  r.leaf(d, 'DeclarationOfficeID', out, 'officeOfLodgementId');
  r.amount(d, 'InvoiceAmount', out, 'invoiceAmount');
  r.uint(d, 'TotalPackageQuantity', out, 'totalPackageQuantity');
  const agent = r.party(r.one(d, 'Agent'));
  if (agent) out.agent = agent;
  const declarant = r.party(r.one(d, 'Declarant'));
  if (declarant) out.declarant = declarant;
  const exporter = r.party(r.one(d, 'Exporter'));
  if (exporter) out.exporter = exporter;

  const consignment: Json = {};
  const border = r.transportMeans(r.one(d, 'BorderTransportMeans'));
  if (border) consignment.borderTransportMeans = border;
  r.idOf(d, 'ExitOffice', consignment, 'borderOfficeId');
  const dc = r.one(d, 'Consignment');
  if (dc) {
    r.structural(dc);
    r.idOf(dc, 'LoadingLocation', consignment, 'loadingLocationId');
    r.idOf(dc, 'TransportContractDocument', consignment, 'transportDocumentId');
    r.idOf(dc, 'UnloadingLocation', consignment, 'unloadingLocationId');
  }

  const gs = r.one(d, 'GoodsShipment');
  const shipment: Json = {};
  if (gs) {
    r.structural(gs);
    r.leaf(gs, 'TransactionNatureCode', shipment, 'transactionNatureCode');
    const consignee = r.party(r.one(gs, 'Consignee'));
    if (consignee) consignment.consignee = consignee;
    const consignor = r.party(r.one(gs, 'Consignor'));
    if (consignor) consignment.consignor = consignor;
    const gc = r.one(gs, 'Consignment');
    if (gc) {
      r.structural(gc);
      const cc = r.one(gc, 'ContainerCode');
      if (cc) {
        const v = r.text(cc);
        if (v !== '0' && v !== '1') r.fail(cc, `'${v}' is not 0 or 1`);
        if (v === '1') consignment.containerised = true;
      }
      const dep = r.transportMeans(r.one(gc, 'DepartureTransportMeans'));
      if (dep) consignment.departureTransportMeans = dep;
      const equipment = r.kids(gc, 'TransportEquipment').map((te, i) => {
        r.structural(te);
        r.sequence(te, i + 1);
        const e: Json = {};
        r.leaf(te, 'ID', e, 'id');
        r.leaf(te, 'CharacteristicCode', e, 'sizeTypeCode');
        const seals = r.kids(te, 'Seal').map((s, j) => {
          r.structural(s);
          r.sequence(s, j + 1);
          const seal: Json = {};
          r.leaf(s, 'ID', seal, 'id');
          return seal;
        });
        if (seals.length) e.seals = seals;
        return e;
      });
      if (equipment.length) consignment.transportEquipment = equipment;
    }
    r.idOf(gs, 'Destination', shipment, 'destinationCountryCode', 'CountryCode');
    r.idOf(gs, 'ExportCountry', shipment, 'exportCountryCode');
    const items = r.kids(gs, 'GovernmentAgencyGoodsItem').map((g) => decodeGoodsItem(r, g));
    if (items.length) shipment.goodsItems = items;
    const quantity = r.one(d, 'GoodsItemQuantity');
    if (quantity && textContent(quantity) === String(items.length)) r.structural(quantity);
    const importer = r.party(r.one(gs, 'Importer'));
    if (importer) out.importer = importer;
    r.idOf(gs, 'TradeTerms', shipment, 'tradeTermsCode', 'ConditionCode');
  }
  if (Object.keys(consignment).length) out.consignment = consignment;
  if (Object.keys(shipment).length) out.goodsShipment = shipment;
}

function decodeGoodsItem(r: Reader, g: XmlElement): Json {
  r.structural(g);
  const item: Json = {};
  r.uint(g, 'SequenceNumeric', item, 'sequenceNumeric');
  r.amount(g, 'CustomsValueAmount', item, 'customsValue');
  const commodity = r.one(g, 'Commodity');
  if (commodity) {
    r.structural(commodity);
    const c: Json = {};
    r.leaf(commodity, 'Description', c, 'description');
    // The first Classification is the tariff code; national additional codes (TRC, TRA, GN...) are unmapped.
    const cls = r.kids(commodity, 'Classification')[0];
    if (cls) {
      r.structural(cls);
      r.leaf(cls, 'ID', c, 'hsCode');
      r.leaf(cls, 'IdentificationTypeCode', c, 'classificationTypeCode');
    }
    item.commodity = c;
    const measure = r.one(commodity, 'GoodsMeasure');
    if (measure) {
      r.structural(measure);
      for (const [local, key] of [
        ['GrossMassMeasure', 'grossMassKg'],
        ['NetNetWeightMeasure', 'netMassKg'],
      ] as const) {
        const el = r.leaf(measure, local, item, key);
        const unit = el && r.attr(el, 'unitCode');
        if (el && unit !== undefined && unit !== 'KGM') r.fail(el, `unit '${unit}' is not KGM`, 'unitCode');
      }
      const tq = r.one(measure, 'TariffQuantity');
      if (tq) {
        const q: Json = {};
        const v = r.text(tq);
        if (v !== '') q.value = v;
        const unit = r.attr(tq, 'unitCode');
        if (unit) q.unitCode = unit;
        item.quantity = q;
      }
    }
  }
  r.idOf(g, 'CustomsValuation', item, 'valuationMethodCode', 'MethodCode');
  // The first GovernmentProcedure is DE 1/10 (requested + previous, 2 + 2 characters); the additional
  // procedures of DE 1/11 that follow are unmapped.
  const gp = r.kids(g, 'GovernmentProcedure')[0];
  if (gp) {
    const current = r.one(gp, 'CurrentCode');
    const previous = r.one(gp, 'PreviousCode');
    const cur = current && textContent(current);
    const prev = previous && textContent(previous);
    if (cur && cur.length === 2 && (!previous || prev!.length === 2)) {
      r.structural(gp);
      r.text(current);
      if (previous) r.text(previous);
      item.procedureCode = cur + (prev ?? '');
    }
  }
  r.idOf(g, 'Origin', item, 'originCountryCode', 'CountryCode');
  const pack = r.kids(g, 'Packaging')[0];
  if (pack) {
    r.structural(pack);
    r.sequence(pack, 1);
    r.uint(pack, 'QuantityQuantity', item, 'packageQuantity');
    r.leaf(pack, 'TypeCode', item, 'packageTypeCode');
  }
  return item;
}

function decodeResponse(r: Reader, res: XmlElement, out: Json, header: Json): void {
  const fc = r.one(res, 'FunctionCode');
  if (fc) {
    const code = textContent(fc);
    const f = RESPONSE_FUNCTIONS.find((x) => x.code === code);
    if (f) {
      r.text(fc);
      out.status = f.status;
      if (f.lane) out.lane = f.lane;
    }
  }
  r.leaf(res, 'FunctionalReferenceID', header, 'messageId');
  r.dateTime(res, 'IssueDateTime', out, 'statusChangedAtMs');
  const d = r.one(res, 'Declaration');
  if (d) {
    r.structural(d);
    r.leaf(d, 'FunctionalReferenceID', out, 'lrn');
    r.leaf(d, 'ID', out, 'mrn');
    r.uint(d, 'VersionID', out, 'version');
  }
}

/** Reports, in document order, the highest elements nothing was read from, and unread attributes. */
function unmappedOf(r: Reader, root: XmlElement): WcoUnmapped[] {
  const out: WcoUnmapped[] = [];
  const report = (el: XmlElement, attribute?: XmlAttribute): void => {
    const value = attribute
      ? attribute.value
      : el.children.some((c) => c.kind === 'element')
        ? undefined
        : textContent(el);
    out.push({
      xpath: `${xpathOf(el)}${attribute ? `/@${attribute.name}` : ''}`,
      line: el.line,
      column: el.column,
      ...(value !== undefined ? { value: value.length > 80 ? `${value.slice(0, 80)}...` : value } : {}),
    });
  };
  const walk = (el: XmlElement): void => {
    if (!r.touched(el)) {
      // An empty element (<ResponsibleAgencyName/>) carries nothing to lose.
      if (el.children.length > 0 || el.attributes.length > 0) report(el);
      return;
    }
    // Indexed loops: this runs for every element of the document.
    const attributes = el.attributes;
    for (let i = 0; i < attributes.length; i++) if (!r.attributeUsed(el, i)) report(el, attributes[i]);
    const children = el.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (c.kind === 'element') walk(c);
    }
  };
  walk(root);
  return out;
}

/**
 * The fast path of wco-xml decoding: a goods declaration (DEC) mapped to the canonical Envelope
 * (proto3 JSON form) as adapters/xml scans it (scanXml events), without building a tree first and
 * without walking it for unmapped content afterwards. It covers the documents that map completely:
 * everything in them has a canonical field (as the node's own encoder writes them, and partners'
 * declarations of the same shape). Anything else — content with no canonical field, a response
 * document, any error — is handed over: decodeWcoStream() returns undefined and the caller runs
 * the tree decoder (wco-decode.ts) on the same bytes, which gives the unmapped report and the
 * errors with their XPath. So this file only has to recognise what it can map exactly; what it
 * maps must be what the tree decoder gives for the same document, field for field (a differential
 * test holds the two to that over the conformance samples and generated documents).
 */
import { FormatInvalidError } from '../../../node/src/canonical';
import { XmlParseError, scanXml, type XmlElement, type XmlEventHandler } from '../../xml';
import type { MessageRule } from '../json/json-schema';
import { DECLARATION_TYPES, NS, parseWcoDateTime } from './wco-codes';
import { deriveHeader, type WcoDecoded } from './wco-decode';
import { ExtensionFields, MAX_EXTENSION_FIELDS, applyExtensionField } from './wco-extension';

type Json = Record<string, unknown>;

/** Thrown inside the scan when the document needs the tree decoder; caught in decodeWcoStream(). */
class HandOver {}
const HAND_OVER = new HandOver();
function handOver(): never {
  // A preallocated value, not an Error: nothing needs a stack trace, and the throw is cheap.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw HAND_OVER;
}

// Contexts: the element whose children are being read.
const DOCUMENT = 0;
const META_DATA = 1;
const EXTENSION = 2;
const DECLARATION = 3;
const DECLARATION_CONSIGNMENT = 4;
const PARTY = 5;
const ADDRESS = 6;
const TRANSPORT_MEANS = 7;
/** `<X><ID>v</ID></X>`: Frame.child names the one child, Frame.target[Frame.key] gets v. */
const ID_OF = 8;
const DATE_TIME = 9;
const GOODS_SHIPMENT = 10;
const SHIPMENT_CONSIGNMENT = 11;
const EQUIPMENT = 12;
const SEAL = 13;
const GOODS_ITEM = 14;
const COMMODITY = 15;
const CLASSIFICATION = 16;
const GOODS_MEASURE = 17;
const PROCEDURE = 18;
const PACKAGING = 19;

// Value elements (leaves): how their text is read when they end.
const NO_LEAF = 0;
/** target[key] = text, when not empty. */
const TEXT = 1;
/** target[key] = a uint32. */
const UINT = 2;
/** target[key] = { value, currencyCode } (attribute currencyID). */
const AMOUNT = 3;
/** A mass in KGM (attribute unitCode): target[key] = text. */
const MASS = 4;
/** target.quantity = { value, unitCode }. */
const TARIFF_QUANTITY = 5;
/** DateTimeString (attribute formatCode): target[key] = epoch milliseconds as text. */
const DATE_TIME_STRING = 6;
const TYPE_CODE = 7;
const FUNCTION_CODE = 8;
const CONTAINER_CODE = 9;
/** A SequenceNumeric restating the position (Frame.count of the parent). */
const SEQUENCE = 10;
const GOODS_ITEM_QUANTITY = 11;
const TYPE_NAME = 12;
/** WCODataModelVersionCode: any text. */
const VERSION_CODE = 13;
const CURRENT_CODE = 14;
const PREVIOUS_CODE = 15;
/** gnc:Field (attribute path). */
const EXTENSION_FIELD = 16;

const UINT_TEXT = /^[0-9]{1,10}$/;

class Frame {
  /** Bits of the children that may appear once and have appeared. */
  seen = 0;
  /** Repeated children so far (transport equipment, seals, goods items): the position of the last. */
  count = 0;
  /** Those children's objects, in document order. */
  readonly list: Json[] = [];
  constructor(
    readonly context: number,
    /** The object the children's fields go into. */
    readonly target: Json,
    readonly key: string,
    readonly child: string,
    /** The position of this element among its repeated siblings (1-based), else 0. */
    readonly position: number,
  ) {}
}

const NO_TARGET: Json = Object.freeze({});
/** Where an extension field stands, for its error: not needed here (the tree decoder names it). */
const NO_XPATH = (): string => '';

class StreamReader implements XmlEventHandler {
  readonly envelope: Json = {};
  readonly header: Json = {};
  readonly declaration: Json = {};
  readonly consignment: Json = {};
  readonly shipment: Json = {};
  private top = new Frame(DOCUMENT, NO_TARGET, '', '', 0);
  private readonly stack: Frame[] = [this.top];
  private metaDataUri = '';
  /** NS.gnc, as the string the gnc:Extension element's scope holds (compared by identity then). */
  private extensionUri: string = NS.gnc;
  /** NS.dec, as the string the document's namespace scope holds. */
  private bodyUri: string = NS.dec;
  private bodySeen = false;
  private goodsShipmentSeen = false;
  private goodsItemCount = 0;
  private goodsItemQuantity: string | undefined;
  private currentCode: string | undefined;
  private previousCode: string | undefined;
  /** gnc:Field path and text, alternately, applied once the WCO elements have set theirs. */
  readonly extensionFields: string[] = [];

  // The value element being read, if any.
  private leaf = NO_LEAF;
  private leafTarget: Json = NO_TARGET;
  private leafKey = '';
  private leafAttribute: string | undefined;
  private leafPosition = 0;
  private valueText = '';

  constructor() {
    this.envelope.header = this.header;
    this.envelope.declaration = this.declaration;
  }

  startElement(el: XmlElement): void {
    // An element inside a value element: the tree decoder's error.
    if (this.leaf !== NO_LEAF) handOver();
    const frame = this.top;
    switch (frame.context) {
      case DOCUMENT:
        return this.documentElement(el);
      case META_DATA:
        return this.metaDataChild(el, frame);
      case EXTENSION:
        if (el.local !== 'Field' || el.uri !== this.extensionUri) handOver();
        if (++frame.count > MAX_EXTENSION_FIELDS) handOver();
        return this.value(EXTENSION_FIELD, NO_TARGET, '', el, 'path');
    }
    // Below the body: every element is in its namespace. Compared with the body's own URI string:
    // the elements of one scope share it, so the comparison is by identity, not by 31 characters.
    if (el.uri !== this.bodyUri) handOver();
    const local = el.local;
    switch (frame.context) {
      case DECLARATION:
        return this.declarationChild(el, local, frame);
      case DECLARATION_CONSIGNMENT:
        if (local === 'LoadingLocation') return this.idOf(el, frame, 1, this.consignment, 'loadingLocationId', 'ID');
        if (local === 'TransportContractDocument')
          return this.idOf(el, frame, 2, this.consignment, 'transportDocumentId', 'ID');
        if (local === 'UnloadingLocation')
          return this.idOf(el, frame, 4, this.consignment, 'unloadingLocationId', 'ID');
        return handOver();
      case PARTY:
        if (local === 'Name') return this.once(frame, 1).value(TEXT, frame.target, 'name', el);
        if (local === 'ID') return this.once(frame, 2).value(TEXT, frame.target, 'id', el);
        if (local === 'Address') return this.once(frame, 4).open(ADDRESS, el, (frame.target.address = {}));
        return handOver();
      case ADDRESS:
        if (local === 'CityName') return this.once(frame, 1).value(TEXT, frame.target, 'cityName', el);
        if (local === 'CountryCode') return this.once(frame, 2).value(TEXT, frame.target, 'countryCode', el);
        if (local === 'CountrySubDivisionCode')
          return this.once(frame, 4).value(TEXT, frame.target, 'countrySubDivisionCode', el);
        if (local === 'Line') return this.once(frame, 8).value(TEXT, frame.target, 'line', el);
        if (local === 'PostcodeID') return this.once(frame, 16).value(TEXT, frame.target, 'postcodeId', el);
        return handOver();
      case TRANSPORT_MEANS:
        if (local === 'Name') return this.once(frame, 1).value(TEXT, frame.target, 'name', el);
        if (local === 'ID') return this.once(frame, 2).value(TEXT, frame.target, 'id', el);
        if (local === 'IdentificationTypeCode')
          return this.once(frame, 4).value(TEXT, frame.target, 'identificationTypeCode', el);
        if (local === 'RegistrationNationalityCode')
          return this.once(frame, 8).value(TEXT, frame.target, 'registrationNationalityCode', el);
        if (local === 'ModeCode') return this.once(frame, 16).value(TEXT, frame.target, 'modeCode', el);
        return handOver();
      case ID_OF:
        if (local !== frame.child) handOver();
        return this.once(frame, 1).value(TEXT, frame.target, frame.key, el);
      case DATE_TIME:
        if (local !== 'DateTimeString') handOver();
        return this.once(frame, 1).value(DATE_TIME_STRING, frame.target, frame.key, el, 'formatCode');
      case GOODS_SHIPMENT:
        return this.goodsShipmentChild(el, local, frame);
      case SHIPMENT_CONSIGNMENT:
        if (local === 'TransportEquipment') {
          const equipment: Json = {};
          frame.list.push(equipment);
          return this.open(EQUIPMENT, el, equipment, '', '', ++frame.count);
        }
        if (local === 'ContainerCode') return this.once(frame, 1).value(CONTAINER_CODE, NO_TARGET, '', el);
        if (local === 'DepartureTransportMeans')
          return this.once(frame, 2).open(TRANSPORT_MEANS, el, (this.consignment.departureTransportMeans = {}));
        return handOver();
      case EQUIPMENT:
        if (local === 'Seal') {
          const seal: Json = {};
          frame.list.push(seal);
          return this.open(SEAL, el, seal, '', '', ++frame.count);
        }
        if (local === 'SequenceNumeric') return this.once(frame, 1).sequence(el, frame.position);
        if (local === 'ID') return this.once(frame, 2).value(TEXT, frame.target, 'id', el);
        if (local === 'CharacteristicCode') return this.once(frame, 4).value(TEXT, frame.target, 'sizeTypeCode', el);
        return handOver();
      case SEAL:
        if (local === 'SequenceNumeric') return this.once(frame, 1).sequence(el, frame.position);
        if (local === 'ID') return this.once(frame, 2).value(TEXT, frame.target, 'id', el);
        return handOver();
      case GOODS_ITEM:
        return this.goodsItemChild(el, local, frame);
      case COMMODITY:
        if (local === 'Description') return this.once(frame, 1).value(TEXT, frame.target, 'description', el);
        // A second Classification (a national additional code) is unmapped: the tree decoder reports it.
        if (local === 'Classification') return this.once(frame, 2).open(CLASSIFICATION, el, frame.target);
        // The measures are fields of the goods item (Frame.key of a commodity is unused: its item is in `list`).
        if (local === 'GoodsMeasure') return this.once(frame, 4).open(GOODS_MEASURE, el, frame.list[0]!);
        return handOver();
      case CLASSIFICATION:
        if (local === 'ID') return this.once(frame, 1).value(TEXT, frame.target, 'hsCode', el);
        if (local === 'IdentificationTypeCode')
          return this.once(frame, 2).value(TEXT, frame.target, 'classificationTypeCode', el);
        return handOver();
      case GOODS_MEASURE:
        if (local === 'GrossMassMeasure')
          return this.once(frame, 1).value(MASS, frame.target, 'grossMassKg', el, 'unitCode');
        if (local === 'NetNetWeightMeasure')
          return this.once(frame, 2).value(MASS, frame.target, 'netMassKg', el, 'unitCode');
        if (local === 'TariffQuantity')
          return this.once(frame, 4).value(TARIFF_QUANTITY, frame.target, 'quantity', el, 'unitCode');
        return handOver();
      case PROCEDURE:
        if (local === 'CurrentCode') return this.once(frame, 1).value(CURRENT_CODE, NO_TARGET, '', el);
        if (local === 'PreviousCode') return this.once(frame, 2).value(PREVIOUS_CODE, NO_TARGET, '', el);
        return handOver();
      case PACKAGING:
        if (local === 'SequenceNumeric') return this.once(frame, 1).sequence(el, 1);
        if (local === 'QuantityQuantity') return this.once(frame, 2).value(UINT, frame.target, 'packageQuantity', el);
        if (local === 'TypeCode') return this.once(frame, 4).value(TEXT, frame.target, 'packageTypeCode', el);
        return handOver();
    }
    return handOver();
  }

  private documentElement(el: XmlElement): void {
    if (el.local === 'MetaData' && (el.uri === NS.metaData || el.uri === '')) {
      this.metaDataUri = el.uri;
      this.onlySchemaAttributes(el);
      return this.push(new Frame(META_DATA, NO_TARGET, '', '', 0));
    }
    if (el.local === 'Declaration' && el.uri === NS.dec) return this.body(el);
    // A response, or not a WCO document.
    return handOver();
  }

  private metaDataChild(el: XmlElement, frame: Frame): void {
    const local = el.local;
    const uri = el.uri;
    if (uri === this.metaDataUri) {
      if (local === 'WCOTypeName') return this.once(frame, 1).value(TYPE_NAME, NO_TARGET, '', el);
      if (local === 'WCODataModelVersionCode') return this.once(frame, 2).value(VERSION_CODE, NO_TARGET, '', el);
    }
    if (uri === NS.gnc && local === 'Extension') {
      this.once(frame, 4).plain(el);
      this.extensionUri = el.uri;
      return this.push(new Frame(EXTENSION, NO_TARGET, '', '', 0));
    }
    if (uri === NS.dec && local === 'Declaration') return this.once(frame, 8).body(el);
    return handOver();
  }

  private body(el: XmlElement): void {
    this.bodySeen = true;
    this.bodyUri = el.uri;
    this.onlySchemaAttributes(el);
    this.push(new Frame(DECLARATION, this.declaration, '', '', 0));
  }

  private declarationChild(el: XmlElement, local: string, frame: Frame): void {
    const d = this.declaration;
    switch (local) {
      case 'FunctionCode':
        return this.once(frame, 1).value(FUNCTION_CODE, NO_TARGET, '', el);
      case 'FunctionalReferenceID':
        return this.once(frame, 2).value(TEXT, d, 'lrn', el);
      case 'ID':
        return this.once(frame, 4).value(TEXT, d, 'mrn', el);
      case 'IssueDateTime':
        return this.once(frame, 8).open(DATE_TIME, el, d, 'issuedAtMs');
      case 'TypeCode':
        return this.once(frame, 16).value(TYPE_CODE, NO_TARGET, '', el);
      case 'GoodsItemQuantity':
        return this.once(frame, 32).value(GOODS_ITEM_QUANTITY, NO_TARGET, '', el);
      case 'DeclarationOfficeID':
        return this.once(frame, 64).value(TEXT, d, 'officeOfLodgementId', el);
      case 'InvoiceAmount':
        return this.once(frame, 128).value(AMOUNT, d, 'invoiceAmount', el, 'currencyID');
      case 'TotalPackageQuantity':
        return this.once(frame, 256).value(UINT, d, 'totalPackageQuantity', el);
      case 'Agent':
        return this.once(frame, 512).open(PARTY, el, (d.agent = {}));
      case 'BorderTransportMeans':
        return this.once(frame, 1024).open(TRANSPORT_MEANS, el, (this.consignment.borderTransportMeans = {}));
      case 'Consignment':
        return this.once(frame, 2048).open(DECLARATION_CONSIGNMENT, el, this.consignment);
      case 'Declarant':
        return this.once(frame, 4096).open(PARTY, el, (d.declarant = {}));
      case 'ExitOffice':
        return this.idOf(el, frame, 8192, this.consignment, 'borderOfficeId', 'ID');
      case 'Exporter':
        return this.once(frame, 16384).open(PARTY, el, (d.exporter = {}));
      case 'GoodsShipment':
        this.goodsShipmentSeen = true;
        return this.once(frame, 32768).open(GOODS_SHIPMENT, el, this.shipment);
    }
    return handOver();
  }

  private goodsShipmentChild(el: XmlElement, local: string, frame: Frame): void {
    const s = this.shipment;
    switch (local) {
      case 'GovernmentAgencyGoodsItem': {
        const item: Json = {};
        frame.list.push(item);
        return this.open(GOODS_ITEM, el, item);
      }
      case 'TransactionNatureCode':
        return this.once(frame, 1).value(TEXT, s, 'transactionNatureCode', el);
      case 'Consignee':
        return this.once(frame, 2).open(PARTY, el, (this.consignment.consignee = {}));
      case 'Consignment':
        return this.once(frame, 4).open(SHIPMENT_CONSIGNMENT, el, this.consignment);
      case 'Consignor':
        return this.once(frame, 8).open(PARTY, el, (this.consignment.consignor = {}));
      case 'Destination':
        return this.idOf(el, frame, 16, s, 'destinationCountryCode', 'CountryCode');
      case 'ExportCountry':
        return this.idOf(el, frame, 32, s, 'exportCountryCode', 'ID');
      case 'Importer':
        return this.once(frame, 64).open(PARTY, el, (this.declaration.importer = {}));
      case 'TradeTerms':
        return this.idOf(el, frame, 128, s, 'tradeTermsCode', 'ConditionCode');
    }
    return handOver();
  }

  private goodsItemChild(el: XmlElement, local: string, frame: Frame): void {
    const item = frame.target;
    switch (local) {
      case 'SequenceNumeric':
        return this.once(frame, 1).value(UINT, item, 'sequenceNumeric', el);
      case 'CustomsValueAmount':
        return this.once(frame, 2).value(AMOUNT, item, 'customsValue', el, 'currencyID');
      case 'Commodity': {
        const commodity: Json = {};
        item.commodity = commodity;
        this.once(frame, 4).open(COMMODITY, el, commodity);
        // The goods measure of the commodity sets fields of the item.
        this.top.list.push(item);
        return;
      }
      case 'CustomsValuation':
        return this.idOf(el, frame, 8, item, 'valuationMethodCode', 'MethodCode');
      case 'GovernmentProcedure':
        // Only the first (DE 1/10); further ones (DE 1/11) are unmapped: see the tree decoder.
        this.currentCode = undefined;
        this.previousCode = undefined;
        return this.once(frame, 16).open(PROCEDURE, el, item);
      case 'Origin':
        return this.idOf(el, frame, 32, item, 'originCountryCode', 'CountryCode');
      case 'Packaging':
        return this.once(frame, 64).open(PACKAGING, el, item);
    }
    return handOver();
  }

  text(value: string): void {
    // Text beside the elements of a structural element is not read (nor reported) by the tree
    // decoder either.
    if (this.leaf !== NO_LEAF) this.valueText += value;
  }

  endElement(): void {
    if (this.leaf !== NO_LEAF) return this.endValue();
    const frame = this.stack.pop()!;
    this.top = this.stack[this.stack.length - 1]!;
    switch (frame.context) {
      case META_DATA:
        if (!this.bodySeen) handOver();
        return;
      case GOODS_SHIPMENT:
        this.goodsItemCount = frame.list.length;
        if (frame.list.length) this.shipment.goodsItems = frame.list;
        return;
      case SHIPMENT_CONSIGNMENT:
        if (frame.list.length) this.consignment.transportEquipment = frame.list;
        return;
      case EQUIPMENT:
        if (frame.list.length) frame.target.seals = frame.list;
        return;
      case PROCEDURE: {
        const current = this.currentCode;
        const previous = this.previousCode;
        // The tree decoder's condition for DE 1/10; otherwise the procedure is unmapped.
        if (!current || current.length !== 2 || (previous !== undefined && previous.length !== 2)) handOver();
        frame.target.procedureCode = current + (previous ?? '');
        return;
      }
    }
  }

  private endValue(): void {
    const kind = this.leaf;
    const text = this.valueText;
    const target = this.leafTarget;
    const key = this.leafKey;
    this.leaf = NO_LEAF;
    switch (kind) {
      case TEXT:
        if (text !== '') target[key] = text;
        return;
      case UINT:
        if (!UINT_TEXT.test(text) || Number(text) > 0xffffffff) handOver();
        target[key] = Number(text);
        return;
      case AMOUNT: {
        const amount: Json = {};
        if (text !== '') amount.value = text;
        if (this.leafAttribute) amount.currencyCode = this.leafAttribute;
        target[key] = amount;
        return;
      }
      case MASS:
        if (this.leafAttribute !== undefined && this.leafAttribute !== 'KGM') handOver();
        if (text !== '') target[key] = text;
        return;
      case TARIFF_QUANTITY: {
        const quantity: Json = {};
        if (text !== '') quantity.value = text;
        if (this.leafAttribute) quantity.unitCode = this.leafAttribute;
        target[key] = quantity;
        return;
      }
      case DATE_TIME_STRING: {
        const t = parseWcoDateTime(text, this.leafAttribute);
        if (typeof t === 'string') handOver();
        target[key] = String(t);
        return;
      }
      case TYPE_CODE: {
        const type = DECLARATION_TYPES[text.slice(0, 2)];
        if (type) {
          this.declaration.type = type;
          if (text.length > 2) this.declaration.additionalTypeCode = text.slice(2);
        } else if (text !== '') {
          this.declaration.additionalTypeCode = text;
        }
        return;
      }
      case FUNCTION_CODE:
        // 9 = original declaration: the only kind the canonical Declaration expresses.
        if (text !== '9') handOver();
        return;
      case CONTAINER_CODE:
        if (text !== '0' && text !== '1') handOver();
        if (text === '1') this.consignment.containerised = true;
        return;
      case SEQUENCE:
        if (text !== String(this.leafPosition)) handOver();
        return;
      case GOODS_ITEM_QUANTITY:
        this.goodsItemQuantity = text;
        return;
      case TYPE_NAME:
        if (text !== 'DEC') handOver();
        return;
      case VERSION_CODE:
        return;
      case CURRENT_CODE:
        this.currentCode = text;
        return;
      case PREVIOUS_CODE:
        this.previousCode = text;
        return;
      case EXTENSION_FIELD:
        if (this.leafAttribute === undefined) handOver();
        this.extensionFields.push(this.leafAttribute, text);
        return;
    }
  }

  /** Marks `bit` of the current element's children seen; a second one is handed over. */
  private once(frame: Frame, bit: number): this {
    if ((frame.seen & bit) !== 0) handOver();
    frame.seen |= bit;
    return this;
  }

  /** Starts a value element; `attribute` is the one (unprefixed) attribute it may carry. */
  private value(kind: number, target: Json, key: string, el: XmlElement, attribute?: string): void {
    const attributes = el.attributes;
    let attributeValue: string | undefined;
    for (let i = 0; i < attributes.length; i++) {
      const a = attributes[i]!;
      // Any other attribute is unmapped.
      if (a.local !== attribute || a.uri !== '') handOver();
      attributeValue = a.value;
    }
    this.leaf = kind;
    this.leafTarget = target;
    this.leafKey = key;
    this.leafAttribute = attributeValue;
    this.valueText = '';
  }

  private sequence(el: XmlElement, position: number): void {
    this.value(SEQUENCE, NO_TARGET, '', el);
    this.leafPosition = position;
  }

  private idOf(el: XmlElement, frame: Frame, bit: number, target: Json, key: string, child: string): void {
    this.once(frame, bit).open(ID_OF, el, target, key, child);
  }

  /** Starts a structural element whose children go into `target`. */
  private open(context: number, el: XmlElement, target: Json, key = '', child = '', position = 0): void {
    this.plain(el);
    this.push(new Frame(context, target, key, child, position));
  }

  private push(frame: Frame): void {
    this.stack.push(frame);
    this.top = frame;
  }

  /** A structural element carries no attributes (any would be unmapped). */
  private plain(el: XmlElement): void {
    if (el.attributes.length !== 0) handOver();
  }

  /** The document element and the body may carry xsi attributes (schemaLocation...), nothing else. */
  private onlySchemaAttributes(el: XmlElement): void {
    for (const a of el.attributes) if (a.uri !== NS.xsi) handOver();
  }

  /** The envelope, once the whole document has been scanned. */
  finish(bytes: Uint8Array, rule: MessageRule): WcoDecoded {
    if (!this.bodySeen) handOver();
    // The tree decoder reads GoodsItemQuantity only beside a GoodsShipment, and only when it restates the count.
    if (
      this.goodsItemQuantity !== undefined &&
      (!this.goodsShipmentSeen || this.goodsItemQuantity !== String(this.goodsItemCount))
    ) {
      handOver();
    }
    if (Object.keys(this.consignment).length) this.declaration.consignment = this.consignment;
    if (Object.keys(this.shipment).length) this.declaration.goodsShipment = this.shipment;
    const fields = this.extensionFields;
    if (fields.length > 0) {
      const fromExtension = new ExtensionFields();
      // A field the extension cannot apply throws FormatInvalidError: handed over for the XPath.
      for (let i = 0; i < fields.length; i += 2) {
        applyExtensionField(this.envelope, rule, fields[i]!, fields[i + 1]!, fromExtension, NO_XPATH);
      }
    }
    const headerDerived = deriveHeader(this.header, this.declaration, bytes);
    return { object: this.envelope, document: 'DEC', unmapped: [], headerDerived };
  }
}

/**
 * The document mapped as it is scanned, or undefined when it needs the tree decoder (see the top
 * of this file): then decodeWco() over parseXml() gives the result, or the error, for the same
 * bytes. Errors other than the format's and the parser's (a bug) are not hidden.
 */
export function decodeWcoStream(bytes: Uint8Array, maxBytes: number, rule: MessageRule): WcoDecoded | undefined {
  const reader = new StreamReader();
  try {
    scanXml(bytes, reader, { maxBytes });
    return reader.finish(bytes, rule);
  } catch (err) {
    if (err === HAND_OVER || err instanceof XmlParseError || err instanceof FormatInvalidError) return undefined;
    throw err;
  }
}

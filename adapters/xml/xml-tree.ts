/** The tree parseXml() builds: elements with resolved namespaces, text, optionally comments. */

export interface XmlAttribute {
  /** As written, e.g. `xsi:type`. */
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** Namespace URI; '' for an unprefixed attribute (attributes do not take the default namespace). */
  readonly uri: string;
  readonly value: string;
}

export interface XmlElement {
  readonly kind: 'element';
  /** As written, e.g. `ds:Signature`. */
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** Namespace URI, '' when the element is in no namespace. */
  readonly uri: string;
  /** In document order; namespace declarations are in `namespaces`, not here. */
  readonly attributes: readonly XmlAttribute[];
  /** Namespace declarations made on this element, prefix -> URI ('' is the default namespace). */
  readonly namespaces: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  readonly parent: XmlElement | undefined;
  /** 1-based line and column of the '<' of the start tag. */
  readonly line: number;
  readonly column: number;
  /** Offsets into XmlDocument.text: the '<' of the start tag, and just after the end tag. */
  readonly start: number;
  readonly end: number;
  /** Position in document order, 0 for the root: lets a reader keep per-element marks in an array. */
  readonly index: number;
}

export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
  readonly cdata: boolean;
}

export interface XmlComment {
  readonly kind: 'comment';
  readonly text: string;
}

/** Processing instructions are not kept (no vocabulary the node reads uses them). */
export type XmlNode = XmlElement | XmlText | XmlComment;

export interface XmlDocument {
  readonly root: XmlElement;
  readonly declaration?: { readonly version: string; readonly encoding?: string; readonly standalone?: string };
  /** The decoded source text; element offsets index into it. */
  readonly text: string;
  /** Elements in the document (each element's `index` is below it). */
  readonly elementCount: number;
}

/** Child elements of `el`, optionally only those with namespace `uri` and local name `local`. */
export function childElements(el: XmlElement, uri?: string, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind !== 'element') continue;
    if (uri !== undefined && c.uri !== uri) continue;
    if (local !== undefined && c.local !== local) continue;
    out.push(c);
  }
  return out;
}

/** The first child element with namespace `uri` and local name `local`. */
export function firstChild(el: XmlElement, uri: string, local: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === 'element' && c.local === local && c.uri === uri) return c;
  return undefined;
}

/** The concatenated text and CDATA of the subtree, in document order. */
export function textContent(el: XmlElement): string {
  let out = '';
  for (const c of el.children) {
    if (c.kind === 'text') out += c.text;
    else if (c.kind === 'element') out += textContent(c);
  }
  return out;
}

/** The value of attribute `local` in namespace `uri` ('' = unprefixed), if present. */
export function attributeValue(el: XmlElement, local: string, uri = ''): string | undefined {
  for (const a of el.attributes) if (a.local === local && a.uri === uri) return a.value;
  return undefined;
}

/**
 * An XPath naming `el` as written in the document, with a position predicate where siblings share
 * the name: `/dec:Declaration/dec:GoodsShipment/dec:GovernmentAgencyGoodsItem[2]`.
 */
export function xpathOf(el: XmlElement): string {
  const steps: string[] = [];
  for (let e: XmlElement | undefined = el; e; e = e.parent) {
    const parent: XmlElement | undefined = e.parent;
    let step = e.name;
    if (parent) {
      let index = 0;
      let count = 0;
      for (const c of parent.children) {
        if (c.kind !== 'element' || c.local !== e.local || c.uri !== e.uri) continue;
        count++;
        if (c === e) index = count;
      }
      if (count > 1) step += `[${index}]`;
    }
    steps.push(step);
  }
  return `/${steps.reverse().join('/')}`;
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Escapes character data (`\r` too, so that it survives end-of-line normalisation). */
export function escapeText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : s;
}

/** Escapes a double-quoted attribute value (tabs and line ends too, against normalisation). */
export function escapeAttribute(s: string): string {
  return /[&<"\t\n\r]/.test(s) ? s.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!) : s;
}

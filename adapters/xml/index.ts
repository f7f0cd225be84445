/** Safe XML parsing shared by the XML formats, security schemes and transports (README.md). */
export { parseXml, scanXml, XML_DEFAULT_LIMITS, type XmlEventHandler, type XmlParseOptions } from './xml-parser';
export { XmlParseError, type XmlParseErrorReason } from './xml-errors';
export {
  attributeValue,
  childElements,
  escapeAttribute,
  escapeText,
  firstChild,
  textContent,
  xpathOf,
  type XmlAttribute,
  type XmlComment,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  type XmlText,
} from './xml-tree';

export { wcoXmlFormat, type WcoDecodeResult, type WcoXmlFormat } from './wco-xml-format';
export type { WcoUnmapped } from './wco-decode';

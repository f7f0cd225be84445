/**
 * UN/EDIFACT (ISO 9735 syntax versions 3 and 4): the `edifact` message format and the syntax
 * layer beneath it, for callers that need more than one envelope (CONTRL, multi-message files).
 */
export { edifactFormat, decodeEdifactInterchange, readEdifactOptions, type EdifactOptions } from './edifact-format';
export { EdifactSyntaxError, SyntaxErrorCode, type EdifactPosition } from './errors';
export {
  parseInterchange,
  tokenize,
  defaultSeparators,
  type Interchange,
  type EdifactMessage,
  type Segment,
  type Separators,
} from './syntax';
export { readStructure, SUPPORTED_MESSAGES, type GroupNode } from './structure';
export {
  acknowledge,
  parseContrl,
  ContrlAction,
  type ContrlReport,
  type ContrlMessageReport,
  type ContrlError,
} from './contrl';

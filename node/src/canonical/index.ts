/**
 * Helpers around the generated gnc.v1 protobuf code (node/src/gen/gnc.js): typed decode errors,
 * JSON-stable conversion, int64 instants, and the decimal rules of the schema.
 */
export { gnc } from '../gen/gnc.js';
export { FormatInvalidError } from './errors.js';
export {
  JSON_CONVERSION,
  decodeMessage,
  encodeMessage,
  epochMillis,
  fromJsonObject,
  toJsonObject,
  typeName,
  verifyMessage,
  type MessageType,
} from './codec.js';
export { CURRENCY_CODE_PATTERN, DECIMAL_PATTERN, HS_CODE_PATTERN, isDecimalString } from './decimal.js';

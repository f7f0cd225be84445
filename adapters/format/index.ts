/**
 * Message formats, chosen per partner by its agreement: the registry and the public types.
 * The core imports only this file.
 */
import { edifactFormat } from './edifact';
import { jsonFormat } from './json';
import type { MessageFormatFactory } from './message-format';
import { protobufFormat } from './protobuf';
import { wcoXmlFormat } from './wco-xml';

/** Every format the node offers, by the name an agreement uses. */
export const messageFormats: Readonly<Record<string, MessageFormatFactory>> = Object.freeze({
  protobuf: protobufFormat,
  json: jsonFormat,
  'wco-xml': wcoXmlFormat,
  edifact: edifactFormat,
});

export type { MessageFormat, MessageFormatFactory } from './message-format';
export { jsonFormat, protobufFormat };

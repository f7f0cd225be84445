/**
 * Message formats, chosen per partner by its agreement: the registry and the public types.
 * The core imports only this file.
 */
import { jsonFormat } from './json';
import type { MessageFormatFactory } from './message-format';
import { protobufFormat } from './protobuf';

/** Every format the node offers, by the name an agreement uses. */
export const messageFormats: Readonly<Record<string, MessageFormatFactory>> = Object.freeze({
  protobuf: protobufFormat,
  json: jsonFormat,
});

export type { MessageFormat, MessageFormatFactory } from './message-format';
export { jsonFormat, protobufFormat };

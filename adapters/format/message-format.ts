import type { gnc } from '../../node/src/gen/gnc';

/**
 * A message format: how the canonical gnc.v1.Envelope is written as bytes for a counterpart
 * (protobuf, json; later wco-xml, edifact). One implementation per format in its own folder,
 * registered in adapters/format/index.ts; every one passes test/compliance/format-suite.ts.
 */
export interface MessageFormat {
  readonly name: string;
  /** MIME type of the encoded bytes. */
  readonly contentType: string;
  encode(envelope: gnc.v1.IEnvelope): Uint8Array;
  /** Throws FormatInvalidError (GNC_FORMAT_INVALID) naming the field or position that is wrong. */
  decode(bytes: Uint8Array): gnc.v1.Envelope;
}

export type MessageFormatFactory = (
  init: Record<string, unknown>,
) => (components: Record<string, never>) => MessageFormat;

import { decodeMessage, encodeMessage, gnc } from '../../../node/src/canonical';
import { checkEnvelope, checkSize, readFormatOptions, verifyEnvelope } from '../envelope-checks';
import type { MessageFormat, MessageFormatFactory } from '../message-format';

/**
 * `protobuf`: the canonical gnc.v1.Envelope in its protobuf encoding, as generated from proto/.
 * Decoding skips unknown fields (protobuf's forward compatibility) but refuses enum numbers this
 * schema does not define, an Envelope without header or body, and input above `maxBytes`.
 */
export const protobufFormat: MessageFormatFactory = (init) => {
  const { maxBytes } = readFormatOptions('protobuf', init);
  return () => newProtobufFormat(maxBytes);
};

function newProtobufFormat(maxBytes: number): MessageFormat {
  return {
    name: 'protobuf',
    contentType: 'application/x-protobuf; messageType=gnc.v1.Envelope',
    encode(envelope: gnc.v1.IEnvelope): Uint8Array {
      verifyEnvelope(envelope);
      return encodeMessage(gnc.v1.Envelope, envelope);
    },
    decode(bytes: Uint8Array): gnc.v1.Envelope {
      checkSize(bytes, maxBytes);
      return checkEnvelope(decodeMessage(gnc.v1.Envelope, bytes));
    },
  };
}

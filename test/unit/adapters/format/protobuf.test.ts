import { strict as assert } from 'node:assert';
import { messageFormats } from '../../../../adapters/format';
import { protobufFormat } from '../../../../adapters/format/protobuf';
import { FormatInvalidError, encodeMessage, gnc } from '../../../../node/src/canonical';
import { runFormatSuite, sampleEnvelopes } from '../../../compliance/format-suite';

runFormatSuite('protobuf', protobufFormat);

describe('protobuf format', () => {
  const format = protobufFormat({})({});

  it('is registered as "protobuf"', () => {
    assert.equal(messageFormats.protobuf, protobufFormat);
  });

  it('writes exactly the canonical protobuf encoding', () => {
    const envelope = sampleEnvelopes().sealEvent!;
    assert.ok(Buffer.from(format.encode(envelope)).equals(encodeMessage(gnc.v1.Envelope, envelope)));
  });

  it('skips unknown fields (forward compatibility) but refuses unknown enum numbers', () => {
    const bytes = Buffer.from(format.encode(sampleEnvelopes().sealEvent!));
    // field 800, varint 1: a field of a later schema version
    const withUnknown = Buffer.concat([bytes, Buffer.from([0x80, 0x32, 0x01])]);
    assert.equal(format.decode(withUnknown).body, 'sealEvent');
    const badEnum = encodeMessage(gnc.v1.Envelope, {
      ...sampleEnvelopes().sealEvent!,
      sealEvent: { ...sampleEnvelopes().sealEvent!.sealEvent, type: 42 as gnc.v1.SealEventType },
    });
    assert.throws(() => format.decode(badEnum), FormatInvalidError);
  });

  it('refuses unknown options', () => {
    assert.throws(() => protobufFormat({ strict: true }), /unknown option/);
  });
});

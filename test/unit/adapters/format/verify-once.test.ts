/**
 * A translation (decode one format, encode another) verifies the canonical envelope once, on
 * decode; an envelope that did not come from a decode is still verified by every encoder.
 */
import { strict as assert } from 'node:assert';
import { messageFormats } from '../../../../adapters/format';
import { FormatInvalidError, gnc } from '../../../../node/src/canonical';
import { sampleEnvelopes } from '../../../compliance/format-suite';

/** Runs `fn` counting the calls of gnc.v1.Envelope.verify. */
function countVerifies(fn: () => void): number {
  const original = gnc.v1.Envelope.verify.bind(gnc.v1.Envelope);
  let calls = 0;
  gnc.v1.Envelope.verify = (message) => {
    calls++;
    return original(message);
  };
  try {
    fn();
  } finally {
    gnc.v1.Envelope.verify = original;
  }
  return calls;
}

describe('canonical envelope verified once per translation', () => {
  // EDIFACT UNOC is Latin-1: the sample's non-Latin names are replaced (as bench/translate.ts does).
  const declaration = JSON.parse(
    JSON.stringify(sampleEnvelopes().declaration, (_key, value: unknown) =>
      typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '-') : value,
    ),
  ) as gnc.v1.IEnvelope;
  const edifact = messageFormats.edifact!({})({});
  const wcoXml = messageFormats['wco-xml']!({})({});
  let cusdec: Uint8Array;
  let xml: Uint8Array;
  before(() => {
    cusdec = edifact.encode(declaration);
    xml = wcoXml.encode(edifact.decode(cusdec));
  });

  it('wco-xml -> edifact and edifact -> wco-xml verify on decode only', () => {
    assert.equal(
      countVerifies(() => edifact.encode(wcoXml.decode(xml))),
      1,
    );
    assert.equal(
      countVerifies(() => wcoXml.encode(edifact.decode(cusdec))),
      1,
    );
  });

  it('an envelope built in process is verified by each encoder', () => {
    for (const format of [edifact, wcoXml, messageFormats.json!({})({}), messageFormats.protobuf!({})({})]) {
      assert.equal(
        countVerifies(() => format.encode(declaration)),
        1,
        format.name,
      );
    }
  });

  it('an envelope built in process with an unknown enum number is still refused', () => {
    const bad = gnc.v1.Envelope.fromObject(gnc.v1.Envelope.toObject(gnc.v1.Envelope.fromObject(declaration)));
    (bad.declaration as { status: number }).status = 999;
    for (const format of [edifact, wcoXml]) {
      assert.throws(() => format.encode(bad), FormatInvalidError, format.name);
    }
  });
});

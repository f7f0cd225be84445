/**
 * A translation between edifact and wco-xml runs protobufjs's verify on the canonical envelope
 * not at all: both decoders hold the values to the schema before fromObject, so that verify could
 * not fail (checkEnvelopeOfCheckedValues), and the encoders do not verify a decoded envelope again.
 * An envelope that did not come from a decode is still verified by every encoder.
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

/** The numbers of a generated enum (its own properties are the names). */
const numbersOf = (values: object): number[] => Object.values(values).filter((v): v is number => typeof v === 'number');

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

  it('wco-xml -> edifact and edifact -> wco-xml do not verify', () => {
    assert.equal(
      countVerifies(() => edifact.encode(wcoXml.decode(xml))),
      0,
    );
    assert.equal(
      countVerifies(() => wcoXml.encode(edifact.decode(cusdec))),
      0,
    );
  });

  it('what the edifact decoder gives passes verify, with every status and lane', () => {
    for (const [status, lane] of [
      // The sample has a status instant, which needs a status: not UNSPECIFIED (0).
      ...numbersOf(gnc.v1.DeclarationStatus)
        .filter((n) => n !== 0)
        .map((s) => [s, gnc.v1.Lane.LANE_GREEN] as const),
      ...numbersOf(gnc.v1.Lane).map((l) => [gnc.v1.DeclarationStatus.DECLARATION_STATUS_RELEASED, l] as const),
    ]) {
      const changed = { ...declaration, declaration: { ...declaration.declaration, status, lane } };
      const decoded = edifact.decode(edifact.encode(changed));
      assert.equal(gnc.v1.Envelope.verify(decoded), null, `status ${status}, lane ${lane}`);
      assert.equal(decoded.declaration?.status, status);
      assert.equal(decoded.declaration?.lane, lane);
    }
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

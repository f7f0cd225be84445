/**
 * A translation between edifact and wco-xml runs protobufjs's verify on the canonical envelope
 * not at all: both decoders hold the values to the schema before fromObject, so that verify could
 * not fail (checkEnvelopeOfCheckedValues), and the encoders do not verify a decoded envelope again.
 * An envelope that did not come from a decode is still verified by every encoder.
 */
import { strict as assert } from 'node:assert';
import { messageFormats } from '../../../../adapters/format';
import { FormatInvalidError, fromJsonObject, gnc, toJsonObject } from '../../../../node/src/canonical';
import {
  findProtoDir,
  loadMessageRule,
  validateJson,
  type MessageRule,
} from '../../../../adapters/format/json/json-schema';
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

type FieldRule = MessageRule['fields'] extends ReadonlyMap<string, infer F> ? F : never;

/**
 * The JSON object of `rule` with every field set to an extreme value its kind allows (the last
 * enum name, the largest and smallest integers, NaN, base64 bytes), or to its smallest one when
 * `low`; of each oneof only the member at position `pick` (modulo) is set; messages down to `depth`.
 */
function extremeObject(rule: MessageRule, low: boolean, pick: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = [...new Set(rule.fields.values())];
  const oneofMembers = new Map<string, FieldRule[]>();
  for (const f of fields) if (f.oneof) oneofMembers.set(f.oneof, [...(oneofMembers.get(f.oneof) ?? []), f]);
  for (const f of fields) {
    if (f.oneof) {
      const members = oneofMembers.get(f.oneof)!;
      if (members[pick % members.length] !== f) continue;
    }
    let value: unknown;
    switch (f.kind) {
      case 'string':
        value = low ? '' : 'x\u00e9\u{1f600}';
        break;
      case 'bool':
        value = !low;
        break;
      case 'int32':
        value = low ? -(2 ** 31) : 2 ** 31 - 1;
        break;
      case 'uint32':
        value = low ? 0 : 2 ** 32 - 1;
        break;
      case 'int64':
        value = low ? '-9223372036854775808' : '9223372036854775807';
        break;
      case 'uint64':
        value = low ? '0' : '18446744073709551615';
        break;
      case 'double':
      case 'float':
        value = low ? '-Infinity' : 'NaN';
        break;
      case 'bytes':
        value = low ? '' : 'AAEC/w==';
        break;
      case 'enum':
        value = [...f.enumValues!][low ? 0 : f.enumValues!.size - 1];
        break;
      case 'message':
        if (depth === 0) continue;
        value = extremeObject(f.message!, low, pick, depth - 1);
        break;
    }
    out[f.name] = f.repeated ? [value, value] : value;
  }
  return out;
}

describe('what validateJson accepts, fromObject makes into an envelope verify passes', () => {
  // wco-xml skips verify after validateJson + fromObject (checkValidatedEnvelope): this is why it may.
  const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');

  it('every field at its extreme values, every oneof member in turn', () => {
    for (let pick = 0; pick < 12; pick++) {
      for (const low of [false, true]) {
        const normalized = validateJson(extremeObject(rule, low, pick, 6), rule, 'gnc.v1.Envelope');
        const envelope = fromJsonObject(gnc.v1.Envelope, normalized);
        assert.equal(gnc.v1.Envelope.verify(envelope), null, `oneof member ${pick}, ${low ? 'low' : 'high'} values`);
      }
    }
  });

  it('every sample envelope, through its JSON form', () => {
    for (const [name, sample] of Object.entries(sampleEnvelopes())) {
      const json = toJsonObject(gnc.v1.Envelope, gnc.v1.Envelope.fromObject(sample));
      const envelope = fromJsonObject(gnc.v1.Envelope, validateJson(json, rule, 'gnc.v1.Envelope'));
      assert.equal(gnc.v1.Envelope.verify(envelope), null, name);
    }
  });
});

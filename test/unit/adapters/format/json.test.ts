import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { messageFormats } from '../../../../adapters/format';
import { jsonFormat } from '../../../../adapters/format/json';
import * as protobuf from 'protobufjs';
import {
  INT64_AS_IS,
  findProtoDir,
  loadMessageRule,
  pruneDefaults,
  toPrunedObject,
} from '../../../../adapters/format/json/json-schema';
import { FormatInvalidError, gnc, toJsonObject } from '../../../../node/src/canonical';
import { runFormatSuite, sampleEnvelopes } from '../../../compliance/format-suite';

runFormatSuite('json', jsonFormat);

describe('json format', () => {
  const format = jsonFormat({})({});
  const sample = (): Record<string, unknown> =>
    JSON.parse(Buffer.from(format.encode(sampleEnvelopes().declaration!)).toString()) as Record<string, unknown>;
  const decodeJson = (value: unknown): gnc.v1.Envelope => format.decode(Buffer.from(JSON.stringify(value)));
  const refuses = (value: unknown, message: RegExp): void => {
    assert.throws(
      () => decodeJson(value),
      (err: unknown) => err instanceof FormatInvalidError && message.test(err.message),
    );
  };

  it('is registered as "json"', () => {
    assert.equal(messageFormats.json, jsonFormat);
  });

  it('writes proto3 JSON: camelCase, enums by name, int64 as strings, bytes base64, no defaults', () => {
    const json = sample();
    const header = json.header as Record<string, unknown>;
    assert.equal(header.createdAtMs, String(Date.UTC(2026, 3, 14, 2, 30, 0) + 95_000));
    assert.equal(header.correlationId, undefined);
    const declaration = json.declaration as Record<string, unknown>;
    assert.equal(declaration.type, 'DECLARATION_TYPE_EX');
    assert.equal(declaration.lane, 'LANE_GREEN');
    const anchor = JSON.parse(Buffer.from(format.encode(sampleEnvelopes().batchAnchor!)).toString()) as {
      batchAnchor: { merkleRoot: string };
    };
    assert.match(anchor.batchAnchor.merkleRoot, /^[A-Za-z0-9+/]{43}=$/);
  });

  it('accepts proto field names, int64 as safe numbers, null as absent', () => {
    const json = sample();
    const header = json.header as Record<string, unknown>;
    json.header = { ...header, created_at_ms: Number(header.createdAtMs), createdAtMs: undefined, correlationId: null };
    const decoded = decodeJson(json);
    assert.equal(String(decoded.header?.createdAtMs), header.createdAtMs);
  });

  it('refuses unknown fields, naming the JSON path', () => {
    const json = sample();
    (json.declaration as Record<string, unknown>).colour = 'red';
    refuses(json, /\$\.declaration\.colour: unknown field of gnc\.v1\.Declaration/);
  });

  it('refuses wrong types, naming the JSON path', () => {
    const json = sample();
    const items = (
      (json.declaration as Record<string, unknown>).goodsShipment as { goodsItems: Array<Record<string, unknown>> }
    ).goodsItems;
    items[2]!.sequenceNumeric = '3';
    refuses(json, /\$\.declaration\.goodsShipment\.goodsItems\[2\]\.sequenceNumeric: expected an integer/);
    items[2]!.sequenceNumeric = 3;
    items[2]!.grossMassKg = 180.5;
    refuses(json, /goodsItems\[2\]\.grossMassKg: expected a string, got number 180.5/);
  });

  it('refuses bad enum names and enum numbers', () => {
    const json = sample();
    (json.declaration as Record<string, unknown>).lane = 'LANE_PURPLE';
    refuses(json, /\$\.declaration\.lane: expected one of LANE_UNSPECIFIED/);
    (json.declaration as Record<string, unknown>).lane = 1;
    refuses(json, /\$\.declaration\.lane/);
  });

  it('refuses bad int64 values: fractions, exponents, out of range', () => {
    for (const bad of ['1e3', '12.5', '99999999999999999999', 1.5, 2 ** 60, '+5']) {
      const json = sample();
      (json.header as Record<string, unknown>).createdAtMs = bad;
      refuses(json, /\$\.header\.createdAtMs/);
    }
  });

  it('refuses two bodies of the oneof, the same field twice, non-base64 bytes', () => {
    const both = { ...sample(), sealEvent: { eventId: 'x' } };
    refuses(both, /only one of oneof 'body'/);
    const twice = sample();
    (twice.header as Record<string, unknown>).message_id = 'again';
    refuses(twice, /given twice/);
    const anchor = JSON.parse(Buffer.from(format.encode(sampleEnvelopes().batchAnchor!)).toString()) as {
      batchAnchor: Record<string, unknown>;
    };
    anchor.batchAnchor.merkleRoot = 'not base64!';
    refuses(anchor, /merkleRoot: expected base64/);
  });

  it('refuses invalid UTF-8 and non-JSON', () => {
    assert.throws(() => format.decode(Buffer.from([0x7b, 0xff, 0x7d])), /UTF-8/);
    assert.throws(() => format.decode(Buffer.from('{"header":')), /not JSON/);
  });

  it('refuses a bad protoDir with GNC_CONFIG_INVALID', () => {
    assert.throws(() => jsonFormat({ protoDir: '/nonexistent' }), /cannot load the schema/);
  });

  describe('64-bit integers', () => {
    const Long = protobuf.util.Long as unknown as {
      fromString(text: string, unsigned?: boolean): { toString(): string; low: number; high: number };
    };
    const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');
    /** What the format wrote before it finished int64 values itself: toObject with longs: String. */
    const throughToObject = (envelope: gnc.v1.Envelope): Buffer =>
      Buffer.from(JSON.stringify(pruneDefaults(toJsonObject(gnc.v1.Envelope, envelope), rule)), 'utf8');
    const texts = [
      '0',
      '1',
      '-1',
      '1776133800000',
      String(2 ** 53 - 1),
      String(-(2 ** 53 - 1)),
      String(2 ** 53),
      '9007199254740993',
      '-9007199254740993',
      '9223372036854775807',
      '-9223372036854775808',
    ];

    it('writes every int64 as the decimal text toObject wrote, byte for byte (Long, number), and a Long-like object too', () => {
      const envelopes = Object.values(sampleEnvelopes()).filter((e): e is gnc.v1.Envelope => e !== undefined);
      for (const text of texts) {
        const long = Long.fromString(text);
        const values: unknown[] = [long];
        if (Number.isSafeInteger(Number(text))) values.push(Number(text));
        for (const value of values) {
          for (const sample of envelopes) {
            const envelope = gnc.v1.Envelope.fromObject(gnc.v1.Envelope.toObject(sample));
            (envelope.header as { createdAtMs: unknown }).createdAtMs = value;
            const written = Buffer.from(format.encode(envelope));
            assert.deepEqual(written.toString(), throughToObject(envelope).toString(), `${text} as ${typeof value}`);
            const header = (JSON.parse(written.toString()) as { header: { createdAtMs?: string } }).header;
            assert.equal(header.createdAtMs, text === '0' ? undefined : text);
          }
        }
        // A plain { low, high } object passes verify(); toObject's Long.toString could not read it.
        const envelope = gnc.v1.Envelope.fromObject(gnc.v1.Envelope.toObject(envelopes[0]!));
        (envelope.header as { createdAtMs: unknown }).createdAtMs = { low: long.low, high: long.high };
        const header = (
          JSON.parse(Buffer.from(format.encode(envelope)).toString()) as { header: { createdAtMs?: string } }
        ).header;
        assert.equal(header.createdAtMs, text === '0' ? undefined : text, `${text} as { low, high }`);
      }
    });

    it('reads every int64, as text or as a safe number, to the Long protobufjs makes of its text', () => {
      for (const text of texts) {
        const forms: unknown[] = [text];
        if (Number.isSafeInteger(Number(text))) forms.push(Number(text));
        for (const form of forms) {
          const json = sample();
          (json.header as Record<string, unknown>).createdAtMs = form;
          const decoded = decodeJson(json).header!.createdAtMs as unknown as { toString(): string };
          assert.equal(String(decoded), text, `${JSON.stringify(form)}`);
          assert.deepEqual(decoded, Long.fromString(text));
        }
      }
      const json = sample();
      (json.header as Record<string, unknown>).createdAtMs = '-0';
      assert.equal(String(decodeJson(json).header!.createdAtMs), '0');
    });
  });

  describe('toPrunedObject', () => {
    const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');
    /** Key order included: the wco-xml encoder writes its extension fields in that order. */
    const same = (envelope: gnc.v1.IEnvelope, what: string): void => {
      const twoPasses = pruneDefaults(gnc.v1.Envelope.toObject(envelope as gnc.v1.Envelope, INT64_AS_IS), rule);
      assert.equal(inspect(toPrunedObject(envelope, rule), { depth: 50 }), inspect(twoPasses, { depth: 50 }), what);
    };

    it('gives what pruneDefaults(toObject(INT64_AS_IS)) gives: plain objects, messages, decoded messages', () => {
      for (const [kind, sample] of Object.entries(sampleEnvelopes())) {
        if (!sample) continue;
        same(sample, `${kind} as a plain object`);
        const message = gnc.v1.Envelope.fromObject(sample);
        same(message, `${kind} from fromObject`);
        same(gnc.v1.Envelope.decode(gnc.v1.Envelope.encode(message).finish()), `${kind} decoded`);
      }
    });

    it('gives the same for default values set explicitly, unknown enum numbers and Long-like int64', () => {
      const envelope = gnc.v1.Envelope.fromObject(sampleEnvelopes().declaration!);
      const declaration = envelope.declaration!;
      declaration.lane = 99 as gnc.v1.Lane;
      declaration.status = 0;
      declaration.lrn = '';
      declaration.version = 0;
      envelope.header!.createdAtMs = 0;
      declaration.consignment!.containerised = false;
      declaration.consignment!.transportEquipment = [];
      (declaration as { issuedAtMs: unknown }).issuedAtMs = { low: 5, high: 1 };
      same(envelope, 'edited');
    });
  });
});

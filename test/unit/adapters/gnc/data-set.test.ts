import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { checkDataSet, minimiseBody, utilityBlocks } from '../../../../adapters/gnc';
import { findProtoDir } from '../../../../adapters/format/json/json-schema';
import { gnc } from '../../../../node/src/gen/gnc';
import { applyDataSet } from './data-set-reference';

/** The body record as applyDataSet reads it: the toObject JSON form ExchangeNode used before. */
function bodyJson(envelope: gnc.v1.Envelope, kind: string): Record<string, unknown> {
  const object = gnc.v1.Envelope.toObject(envelope, { longs: String, enums: String, bytes: String, defaults: false });
  return (object[kind] ?? {}) as Record<string, unknown>;
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random message of `type` in protobufjs's plain-object form: any subset of the fields, scalars
 * including their defaults ('' and 0, which an explicit encoder may send), repeated fields with
 * 0-3 elements, empty sub-messages.
 */
function randomObject(type: protobuf.Type, random: () => number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofsSet = new Set<string>();
  for (const field of type.fieldsArray) {
    if (random() < 0.35) continue;
    if (field.partOf) {
      if (oneofsSet.has(field.partOf.name)) continue;
      oneofsSet.add(field.partOf.name);
    }
    const one = (): unknown => {
      const resolved = field.resolvedType;
      if (resolved instanceof protobuf.Enum) {
        const ids = Object.keys(resolved.valuesById).map(Number);
        return ids[Math.floor(random() * ids.length)];
      }
      if (resolved instanceof protobuf.Type) return depth > 4 ? {} : randomObject(resolved, random, depth + 1);
      switch (field.type) {
        case 'string':
          return random() < 0.2 ? '' : `s${Math.floor(random() * 1000)}`;
        case 'bool':
          return random() < 0.5;
        case 'bytes':
          return Uint8Array.of(Math.floor(random() * 256), 1, 2);
        case 'int64':
        case 'uint64':
        case 'sint64':
        case 'fixed64':
        case 'sfixed64':
          return random() < 0.2 ? 0 : 1_700_000_000_000 + Math.floor(random() * 1e6);
        default:
          return random() < 0.2 ? 0 : Math.floor(random() * 100);
      }
    };
    out[field.name] = field.repeated ? Array.from({ length: Math.floor(random() * 4) }, one) : one();
  }
  return out;
}

/** Whether `dataSet` allows every field of `type`, however deep. */
function allowsEveryField(dataSet: readonly string[], type: protobuf.Type, prefix = ''): boolean {
  return type.fieldsArray.every((field) => {
    const at = prefix + field.name;
    if (dataSet.some((entry) => at === entry || at.startsWith(`${entry}.`))) return true;
    const resolved = field.resolvedType;
    return (
      resolved instanceof protobuf.Type &&
      dataSet.some((entry) => entry.startsWith(`${at}.`)) &&
      allowsEveryField(dataSet, resolved, `${at}.`)
    );
  });
}

describe('the data-set rule on the JSON form (applyDataSet, the reference)', () => {
  const prearrival = utilityBlocks['export-import-prearrival']!;

  it('keeps what the pre-arrival data set allows and removes values and names, naming each removed path', () => {
    const { kept, outside } = applyDataSet(prearrival, {
      lrn: 'LRN-1',
      mrn: '26CN0000000000001A',
      declarant: { id: 'CN1', name: 'Shenzhen Trading Co', aeoAuthorisationId: 'CNAEOF1' },
      invoiceAmount: { value: '125000.00', currencyCode: 'USD' },
      goodsShipment: {
        goodsItems: [
          { sequenceNumeric: 1, commodity: { hsCode: '851713' }, customsValue: { value: '1000', currencyCode: 'USD' } },
          { sequenceNumeric: 2, commodity: { hsCode: '851762' } },
        ],
      },
    });
    assert.deepEqual(kept, {
      lrn: 'LRN-1',
      mrn: '26CN0000000000001A',
      declarant: { id: 'CN1', aeoAuthorisationId: 'CNAEOF1' },
      goodsShipment: {
        goodsItems: [
          { sequenceNumeric: 1, commodity: { hsCode: '851713' } },
          { sequenceNumeric: 2, commodity: { hsCode: '851762' } },
        ],
      },
    });
    assert.deepEqual(outside, ['declarant.name', 'goodsShipment.goodsItems.customsValue', 'invoiceAmount']);
  });

  it('finds nothing outside when the body keeps to the data set', () => {
    const { outside } = applyDataSet(utilityBlocks['transit-seal-events']!, {
      eventId: 'e',
      sealId: 's',
      type: 'SEAL_EVENT_TYPE_AFFIXED',
    });
    assert.deepEqual(outside, []);
  });

  it('declares a data set for every Utility Block, each entry unique', () => {
    for (const block of Object.values(utilityBlocks)) {
      assert.ok(block.dataSet.length > 0, block.id);
      assert.equal(new Set(block.dataSet).size, block.dataSet.length, block.id);
    }
  });
});

describe('minimiseBody', () => {
  const inspection = utilityBlocks['inspection-result-sharing']!;

  it("removes the officer's identity from an inspection and names it, keeping a gnc.v1.Inspection", () => {
    const { kept, outside } = minimiseBody(inspection, {
      inspection: {
        inspectionId: 'INSP-1',
        method: gnc.v1.InspectionMethod.INSPECTION_METHOD_XRAY_CONTAINER_SCAN,
        startedAtMs: 1_760_000_000_000,
        verdict: { officerId: 'officer-17', verdict: gnc.v1.InspectionVerdict.INSPECTION_VERDICT_CONSISTENT },
      },
    });
    assert.deepEqual(outside, ['verdict.officerId']);
    assert.ok(kept instanceof gnc.v1.Inspection);
    const envelope = gnc.v1.Envelope.fromObject({ inspection: kept });
    assert.equal(envelope.inspection, kept, 'fromObject takes the message as it is');
    assert.deepEqual(bodyJson(envelope, 'inspection'), {
      inspectionId: 'INSP-1',
      method: 'INSPECTION_METHOD_XRAY_CONTAINER_SCAN',
      startedAtMs: '1760000000000',
      verdict: { verdict: 'INSPECTION_VERDICT_CONSISTENT' },
    });
  });

  it("leaves the caller's body untouched", () => {
    const verdict = gnc.v1.OfficerVerdict.create({ officerId: 'officer-17', remarks: 'ok' });
    const body = { inspection: gnc.v1.Inspection.create({ inspectionId: 'INSP-2', verdict }) };
    minimiseBody(inspection, body);
    assert.equal(body.inspection.verdict, verdict);
    assert.equal(verdict.officerId, 'officer-17');
    assert.equal(body.inspection.inspectionId, 'INSP-2');
  });

  it('sends only the record of the block, not another body the caller set', () => {
    const { kept } = minimiseBody(inspection, {
      inspection: { inspectionId: 'INSP-3' },
      declaration: { lrn: 'LRN-1' },
    });
    assert.deepEqual(bodyJson(gnc.v1.Envelope.fromObject({ inspection: kept }), 'declaration'), {});
    assert.equal((kept as gnc.v1.IInspection).inspectionId, 'INSP-3');
  });
});

describe('checkDataSet', () => {
  it('names every field of a decoded message outside the data set, and nothing for one within it', () => {
    const block = utilityBlocks['export-import-prearrival']!;
    const decoded = gnc.v1.Envelope.decode(
      gnc.v1.Envelope.encode({
        declaration: {
          lrn: 'LRN-1',
          declarant: { id: 'CN1', name: 'Shenzhen Trading Co' },
          goodsShipment: { goodsItems: [{ sequenceNumeric: 1 }, { sequenceNumeric: 2, valuationMethodCode: '1' }] },
        },
      }).finish(),
    );
    assert.deepEqual(checkDataSet(block, decoded), ['declarant.name', 'goodsShipment.goodsItems.valuationMethodCode']);
    const clean = gnc.v1.Envelope.decode(
      gnc.v1.Envelope.encode({ declaration: { lrn: 'LRN-1', declarant: { id: 'CN1' } } }).finish(),
    );
    assert.deepEqual(checkDataSet(block, clean), []);
  });

  it('names a field outside the data set even when it is sent at its default value', () => {
    // A proto3 encoder leaves '' out, another may write it: Envelope.inspection (20) > verdict (12)
    // > officer_id (1) = '' is on the wire, and the JSON check named it too.
    const block = utilityBlocks['inspection-result-sharing']!;
    const officerId = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string('')
      .finish();
    const verdict = protobuf.Writer.create()
      .uint32((12 << 3) | 2)
      .bytes(officerId)
      .finish();
    const wire = protobuf.Writer.create()
      .uint32((20 << 3) | 2)
      .bytes(verdict)
      .finish();
    const decoded = gnc.v1.Envelope.decode(wire);
    assert.deepEqual(checkDataSet(block, decoded), ['verdict.officerId']);
    assert.deepEqual(applyDataSet(block, bodyJson(decoded, 'inspection')).outside, ['verdict.officerId']);
    const built = gnc.v1.Envelope.fromObject({ inspection: { verdict: { officerId: '' } } });
    assert.deepEqual(checkDataSet(block, built), ['verdict.officerId']);
  });
});

describe('minimiseBody and checkDataSet agree with applyDataSet on the JSON form', () => {
  const root = new protobuf.Root();
  const protoDir = findProtoDir();
  root.resolvePath = (_origin, target) => path.join(protoDir, target);
  root.loadSync(['gnc/v1/envelope.proto'], { keepCase: false });
  root.resolveAll();
  const envelopeType = root.lookupType('gnc.v1.Envelope');

  for (const block of Object.values(utilityBlocks)) {
    it(`on 300 random ${block.bodyKind} records under ${block.id}`, () => {
      const random = prng(block.id.length * 7919);
      const bodyType = envelopeType.fields[block.bodyKind]!.resolvedType as protobuf.Type;
      let withOutside = 0;
      for (let i = 0; i < 300; i++) {
        const record = randomObject(bodyType, random);
        // Decoded from the wire (receiver) and built from a plain object (sender) both.
        const built = gnc.v1.Envelope.fromObject({ [block.bodyKind]: record });
        const decoded = gnc.v1.Envelope.decode(gnc.v1.Envelope.encode(built).finish());
        for (const envelope of [built, decoded]) {
          const expected = applyDataSet(block, bodyJson(envelope, block.bodyKind));
          assert.deepEqual(checkDataSet(block, envelope), expected.outside, `case ${i}`);
          const { kept, outside } = minimiseBody(block, { [block.bodyKind]: envelope[block.bodyKind] });
          assert.deepEqual(outside, expected.outside, `case ${i}`);
          const sent = gnc.v1.Envelope.fromObject({ [block.bodyKind]: kept });
          assert.deepEqual(bodyJson(sent, block.bodyKind), expected.kept, `case ${i}`);
          assert.deepEqual(checkDataSet(block, sent), [], `case ${i}: what is sent passes the check`);
          if (expected.outside.length > 0) withOutside++;
        }
      }
      if (!allowsEveryField(block.dataSet, bodyType)) {
        assert.ok(withOutside > 50, `the random records exercise removal (${withOutside} with fields outside)`);
      } else {
        // The block's data set allows every field of its body (e.g. a batch anchor carries nothing else).
        assert.equal(withOutside, 0);
      }
    });
  }
});

/**
 * Conformance of the `edifact` format with the real interchanges in
 * $GNC_CONFORMANCE_DIR/edifact/ (provenance in each .src.txt; never copied here). Every sample is
 * listed below with what it must give: the valid ones are parsed, mapped, acknowledged and
 * round-tripped; the ones that break ISO 9735 are refused with the precise error.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  EdifactSyntaxError,
  acknowledge,
  edifactFormat,
  parseContrl,
  parseInterchange,
  readStructure,
} from '../../adapters/format/edifact';
import { gnc } from '../../node/src/canonical';
import { conformanceDir } from '../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const DIR = path.join(CONFORMANCE_DIR, 'edifact');
const load = (name: string): Buffer => readFileSync(path.join(DIR, name));
const semantic = (m: gnc.v1.Envelope): Record<string, unknown> =>
  gnc.v1.Envelope.toObject(m, { longs: String, enums: String, defaults: true, arrays: true, oneofs: true });

interface Invalid {
  readonly segment: string;
  readonly segmentNumber: number;
  readonly line: number;
  readonly element: string;
  readonly code: string;
  readonly message: RegExp;
}

/** Samples that break the rules, and the exact error each must give. */
const INVALID: Readonly<Record<string, Invalid>> = {
  // EdiFabric's CONTRL sample writes `UNB+UNOB+...`: S001/0002 (syntax version number) is mandatory
  // in syntax 3 and 4 alike (and its 6-digit date is syntax 3 style, though CONTRL 4:1 is syntax 4).
  'contrl_syntax4.edi': {
    segment: 'UNB',
    segmentNumber: 1,
    line: 1,
    element: 'S001/0002',
    code: '13',
    message: /syntax version number is missing/,
  },
  // UNOA:2 is syntax version 2 (and D99A is outside the supported directories): only 3 and 4 are read.
  'cuscar_d99a_scprbl_anonymised.edi': {
    segment: 'UNB',
    segmentNumber: 1,
    line: 1,
    element: 'S001/0002',
    code: '2',
    message: /syntax version 2 is not supported/,
  },
};

/** Valid interchanges whose message has no canonical mapping: parsed, then refused by decode. */
const UNMAPPED: Readonly<Record<string, RegExp>> = {
  'au_ics_genral_d99b.edi':
    /UNH \(segment 2, line 1\), element S009\/0065: message type GENRAL has no canonical mapping/,
};

describe('conformance: UN/EDIFACT samples', () => {
  const format = edifactFormat({})({});
  const files = readdirSync(DIR).filter((f) => f.endsWith('.edi'));

  it('finds the samples', () => assert.ok(files.length >= 6, `only ${files.length} samples in ${DIR}`));

  for (const file of files) {
    const invalid = INVALID[file];
    if (invalid) {
      it(`${file}: refused with the precise error`, () => {
        assert.throws(
          () => parseInterchange(load(file)),
          (err: unknown) => {
            assert.ok(err instanceof EdifactSyntaxError, String(err));
            assert.equal(err.code, 'GNC_FORMAT_INVALID');
            const p = err.position;
            assert.deepEqual(
              [p.segment, p.segmentNumber, p.line, p.element],
              [invalid.segment, invalid.segmentNumber, invalid.line, invalid.element],
            );
            assert.equal(err.syntaxErrorCode, invalid.code);
            assert.match(err.message, invalid.message);
            return true;
          },
        );
        assert.throws(() => format.decode(load(file)), EdifactSyntaxError);
      });
      continue;
    }

    it(`${file}: parsed with counts and references checked, structure valid, acknowledged`, () => {
      const x = parseInterchange(load(file));
      assert.ok(x.messages.length >= 1);
      for (const m of x.messages) if (m.type !== 'GENRAL') readStructure(m);
      const contrl = acknowledge(load(file), { controlReference: 'ACK', preparedAtMs: Date.UTC(2026, 0, 1) });
      const report = parseContrl(parseInterchange(contrl!).messages[0]!);
      assert.equal(report.action, '7');
      assert.equal(report.interchangeReference, x.controlReference);
    });

    const unmapped = UNMAPPED[file];
    if (unmapped) {
      it(`${file}: decode refuses the unmapped message type by segment and element`, () => {
        assert.throws(
          () => format.decode(load(file)),
          (err: unknown) => err instanceof EdifactSyntaxError && unmapped.test(err.message),
        );
      });
      continue;
    }

    it(`${file}: translate round trip (EDIFACT -> canonical -> EDIFACT -> canonical) is stable`, () => {
      const first = format.decode(load(file));
      const again = format.decode(format.encode(first));
      assert.deepEqual(semantic(again), semantic(first));
    });
  }

  it('au_ics_cusdec_d99b.edi: the declaration fields', () => {
    const e = format.decode(load('au_ics_cusdec_d99b.edi'));
    assert.equal(e.header?.messageId, '200401270001/1');
    assert.equal(e.header?.senderId, 'AAA676Y');
    assert.equal(String(e.header?.createdAtMs), String(Date.UTC(2004, 0, 27, 7, 30)));
    const d = e.declaration!;
    assert.equal(d.lrn, '200401270001');
    assert.equal(d.type, gnc.v1.DeclarationType.DECLARATION_TYPE_EX);
    assert.equal(d.consignment?.loadingLocationId, 'AUMEL');
    assert.equal(d.consignment?.consignee?.name, 'DHL');
    const item = d.goodsShipment?.goodsItems?.[0];
    assert.equal(item?.commodity?.hsCode, '03026200');
    assert.equal(item?.commodity?.description, 'GOODS DESCRIPTION');
    assert.equal(item?.originCountryCode, 'US');
  });

  it('ncts_cusdec_d96b_cd001a.edi: the transit declaration fields', () => {
    const d = format.decode(load('ncts_cusdec_d96b_cd001a.edi')).declaration!;
    assert.equal(d.lrn, '00GB12131439290006');
    assert.equal(d.additionalTypeCode, 'T2');
    assert.equal(d.goodsShipment?.exportCountryCode, 'FR');
    assert.equal(d.goodsShipment?.destinationCountryCode, 'DE');
    assert.equal(d.consignment?.consignor?.address?.cityName, 'Empfingen');
    assert.equal(d.consignment?.departureTransportMeans?.name, 'LKW81');
    const item = d.goodsShipment?.goodsItems?.[0];
    assert.equal(item?.grossMassKg, '9338');
    assert.equal(item?.netMassKg, '9000');
    assert.equal(item?.packageQuantity, 6);
  });

  it('au_ics_cuscar_d99b.edi: the cargo report', () => {
    const d = format.decode(load('au_ics_cuscar_d99b.edi')).declaration!;
    assert.equal(d.lrn, '200401270003');
    assert.equal(d.goodsShipment?.goodsItems?.[0]?.sequenceNumeric, 1);
  });

  it('contrl_syntax4.edi with its syntax version written (UNOB:4, CCYYMMDD): BOM, CR LF and CONTRL 4:1 read', () => {
    const text = load('contrl_syntax4.edi')
      .toString('latin1')
      .replace('UNB+UNOB+', 'UNB+UNOB:4+')
      .replace('+210922:1220+', '+20210922:1220+');
    const x = parseInterchange(Buffer.from(text, 'latin1'));
    assert.equal(x.hasByteOrderMark, true);
    assert.equal(x.messages.length, 2);
    assert.deepEqual(
      x.messages.map((m) => [m.reference, m.type, m.version, m.release, m.segments[0]?.line]),
      [
        ['2', 'CONTRL', '4', '1', 2],
        ['3', 'CONTRL', '4', '1', 5],
      ],
    );
    const report = parseContrl(x.messages[0]!);
    assert.equal(report.interchangeReference, '131');
    assert.equal(report.action, '8');
    assert.equal(report.messages.length, 0);
    assert.throws(() => format.decode(Buffer.from(text, 'latin1')), /carries 2 messages/);
  });
});

/**
 * wco-xml decode without the validateJson pass: the envelope fromObject builds from the mapping's
 * object directly is the one the old path (validateJson, then fromObject) built, byte for byte in
 * protobuf, on every conformance sample, the sample envelopes and generated envelopes whose every
 * field travels (mostly in the gnc:Extension block) at its extremes; and what validateJson refused
 * in an extension field is still refused, now naming the gnc:Field by XPath.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { messageFormats } from '../../../../adapters/format';
import { findProtoDir, loadMessageRule, validateJson } from '../../../../adapters/format/json/json-schema';
import { decodeWco } from '../../../../adapters/format/wco-xml/wco-decode';
import { parseXml } from '../../../../adapters/xml';
import { FormatInvalidError, fromJsonObject, gnc } from '../../../../node/src/canonical';
import { sampleEnvelopes } from '../../../compliance/format-suite';
import { extremeObject } from '../../../support/extreme-envelopes';
import { conformanceDir } from '../../../support/conformance-dir';

const semantic = (e: gnc.v1.Envelope): Record<string, unknown> =>
  gnc.v1.Envelope.toObject(e, { longs: String, enums: String, bytes: String, defaults: true, arrays: true });

const CONFORMANCE_DIR = conformanceDir();

describe('wco-xml decode: fromObject on the mapped object against validateJson then fromObject', () => {
  const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');
  const wco = messageFormats['wco-xml']!({})({});

  /** The envelope as the decoder built it before: the mapped object through validateJson. */
  const oldPath = (bytes: Uint8Array): gnc.v1.Envelope =>
    fromJsonObject(
      gnc.v1.Envelope,
      validateJson(decodeWco(parseXml(bytes), bytes, rule).object, rule, 'gnc.v1.Envelope'),
    );

  const same = (bytes: Uint8Array, what: string): void => {
    const before = Buffer.from(gnc.v1.Envelope.encode(oldPath(bytes)).finish());
    const after = Buffer.from(gnc.v1.Envelope.encode(wco.decode(bytes)).finish());
    assert.ok(after.equals(before), what);
  };

  it('every HMRC WCO conformance sample', () => {
    const dir = path.join(CONFORMANCE_DIR, 'xml', 'hmrc_cds_wco_dms');
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    assert.ok(files.length >= 4, `only ${files.length} samples in ${dir}`);
    for (const file of files) same(readFileSync(path.join(dir, file)), file);
  });

  it('the sample envelopes with a declaration body, encoded', () => {
    let count = 0;
    for (const [name, sample] of Object.entries(sampleEnvelopes())) {
      if (!sample.declaration) continue;
      same(wco.encode(sample), name);
      count++;
    }
    // A status notice alone is written as a RES document.
    const d = sampleEnvelopes().declaration!;
    const { lrn, mrn, statusChangedAtMs, version } = d.declaration!;
    const status = gnc.v1.DeclarationStatus.DECLARATION_STATUS_LANE_ASSIGNED;
    const lane = gnc.v1.Lane.LANE_RED;
    const notice = { header: d.header, declaration: { lrn, mrn, status, lane, statusChangedAtMs, version } };
    const res = wco.encode(notice);
    assert.match(Buffer.from(res).toString('utf8'), /<Response /);
    same(res, 'status notice');
    assert.ok(count >= 1, `${count} declaration samples`);
  });

  it('declarations with every field at its extremes or defaults, through the extension block', () => {
    let count = 0;
    for (let pick = 0; pick < 12; pick++) {
      for (const low of [false, true]) {
        const envelope = fromJsonObject(
          gnc.v1.Envelope,
          validateJson(extremeObject(rule, low, pick, 6), rule, 'gnc.v1.Envelope'),
        );
        if (!envelope.declaration) continue;
        envelope.header!.messageId ||= 'm-1';
        const xml = wco.encode(envelope);
        assert.match(Buffer.from(xml).toString('utf8'), /<gnc:Field path="header\.createdAtMs">/);
        same(xml, `oneof member ${pick}, ${low ? 'low' : 'high'} values`);
        // Field by field with defaults filled in: an explicitly set default and an absent field are alike.
        assert.deepEqual(semantic(wco.decode(xml)), semantic(envelope), `oneof member ${pick}: decoded as encoded`);
        count++;
      }
    }
    assert.ok(count >= 2, `${count} declaration envelopes`);
  });

  it('refuses an extension value outside its field type, naming the gnc:Field', () => {
    const xml = Buffer.from(wco.encode(sampleEnvelopes().declaration!)).toString('utf8');
    const withField = (fieldPath: string, value: string): Buffer =>
      Buffer.from(xml.replace('<gnc:Extension>', `<gnc:Extension><gnc:Field path="${fieldPath}">${value}</gnc:Field>`));
    for (const [fieldPath, value, problem] of [
      ['declaration.goodsShipment.goodsItems[0].commodity.description', 'x', /set by a WCO element too/],
      ['header.createdAtMs', '9223372036854775808', /outside the int64 range/],
      ['header.createdAtMs', '12x', /not a 64-bit integer/],
      ['declaration.version', '-1', /not an integer from 0 to 4294967295/],
      ['declaration.version', '4294967296', /not an integer from 0 to 4294967295/],
      ['declaration.version', '1.5', /not an integer/],
      ['declaration.lane', 'LANE_PURPLE', /'LANE_PURPLE' is not one of LANE_UNSPECIFIED/],
      ['declaration.consignment.transportEquipment[0].seals[0].electronic', 'yes', /not true or false/],
      ['inspection.inspectionId', 'X', /only one of oneof 'body' may be set, 'declaration' is set too/],
    ] as const) {
      const bytes = withField(fieldPath, value);
      assert.throws(() => oldPath(bytes), FormatInvalidError, `${fieldPath}=${value}: the old path refused it too`);
      assert.throws(
        () => wco.decode(bytes),
        (err: Error) =>
          err instanceof FormatInvalidError &&
          /\/md:MetaData\/gnc:Extension\/gnc:Field\[1\]: /.test(err.message) &&
          problem.test(err.message),
        `${fieldPath}=${value}`,
      );
    }
  });
});

/**
 * wco-xml over the HMRC CDS samples (WCO Data Model 3.6, DMS namespaces) in
 * $GNC_CONFORMANCE_DIR/xml/hmrc_cds_wco_dms/: every declaration and notification parses, maps,
 * round-trips, and whatever has no canonical field is reported by XPath, never dropped silently.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { wcoXmlFormat, type WcoXmlFormat } from '../../adapters/format/wco-xml';
import { parseXml, textContent, xpathOf, type XmlElement } from '../../adapters/xml';
import { gnc } from '../../node/src/canonical';
import { conformanceDir } from '../support/conformance-dir';

const DIR = path.join(conformanceDir(), 'xml/hmrc_cds_wco_dms');

const semantic = (e: gnc.v1.Envelope): Record<string, unknown> =>
  gnc.v1.Envelope.toObject(e, { longs: String, enums: String, bytes: String, defaults: true, arrays: true });

/** Elements whose value is the document's shape, checked by the decoder rather than mapped to a field. */
const STRUCTURAL = new Set([
  'WCODataModelVersionCode',
  'WCOTypeName',
  'FunctionCode',
  'SequenceNumeric',
  'GoodsItemQuantity',
]);

function leaves(el: XmlElement, out: XmlElement[] = []): XmlElement[] {
  const kids = el.children.filter((c): c is XmlElement => c.kind === 'element');
  if (kids.length === 0) out.push(el);
  for (const k of kids) leaves(k, out);
  return out;
}

describe('wco-xml conformance: HMRC CDS WCO DM 3.6 samples', () => {
  const format = wcoXmlFormat({})({}) as WcoXmlFormat;
  const files = readdirSync(DIR).filter((f) => f.endsWith('.xml'));

  it('finds the samples (declarations and notifications)', () => {
    assert.ok(files.some((f) => f.includes('declaration')));
    assert.ok(files.some((f) => f.includes('notif')));
  });

  for (const file of files) {
    describe(file, () => {
      const bytes = readFileSync(path.join(DIR, file));

      it('parses and maps, reporting every unmapped element by XPath', () => {
        const r = format.decodeWithReport(bytes);
        assert.equal(r.document, file.includes('notif') ? 'RES' : 'DEC');
        assert.equal(r.envelope.body, 'declaration');
        assert.ok(r.headerDerived);
        // Nothing dropped silently: every leaf value of the sample is either in the envelope,
        // structural, a date-time (mapped as an instant), or under a reported XPath.
        const json = JSON.stringify(semantic(r.envelope));
        const reported = r.unmapped.map((u) => u.xpath);
        const doc = parseXml(bytes);
        for (const leaf of leaves(doc.root)) {
          const value = textContent(leaf);
          if (value === '') continue;
          const at = xpathOf(leaf);
          if (reported.some((x) => at === x || at.startsWith(`${x}/`))) continue;
          if (STRUCTURAL.has(leaf.local) || leaf.local === 'DateTimeString') continue;
          if (at.endsWith('/Declaration/TypeCode')) {
            // DE 1/1 + 1/2 in one code: the type enum and the additional type.
            const d = r.envelope.declaration!;
            assert.equal(gnc.v1.DeclarationType[d.type!].slice(-2) + d.additionalTypeCode, value);
            continue;
          }
          assert.ok(
            json.includes(JSON.stringify(value).slice(1, -1)),
            `${at} = '${value}' neither mapped nor reported`,
          );
        }
      });

      it('round-trips: WCO -> canonical -> WCO -> the same canonical, and the XML is stable', () => {
        const first = format.decode(bytes);
        const xml = format.encode(first);
        const second = format.decode(xml);
        assert.deepEqual(semantic(second), semantic(first));
        assert.ok(Buffer.from(format.encode(second)).equals(Buffer.from(xml)));
        assert.equal(format.decodeWithReport(xml).unmapped.length, 0, 'what the node writes is fully mapped');
      });
    });
  }

  it('maps the import declaration field by field', () => {
    const d = format.decode(readFileSync(path.join(DIR, 'IM001a_declaration_H1_import.xml'))).declaration!;
    assert.equal(d.lrn, '7847767E1WB6');
    assert.equal(d.type, gnc.v1.DeclarationType.DECLARATION_TYPE_IM);
    assert.equal(d.additionalTypeCode, 'A');
    assert.equal(d.totalPackageQuantity, 50);
    assert.equal(d.importer?.id, 'GB553202734852');
    assert.equal(d.exporter?.address?.line, '1 Shaver Street');
    assert.equal(d.consignment?.containerised, true);
    const item = d.goodsShipment?.goodsItems?.[0];
    assert.equal(item?.commodity?.hsCode, '85109000');
    assert.equal(item?.procedureCode, '4000');
    assert.equal(item?.grossMassKg, '150');
    assert.equal(item?.valuationMethodCode, '1');
    assert.equal(d.goodsShipment?.tradeTermsCode, 'CIF');
  });

  it('maps the notifications to declaration status changes', () => {
    const read = (f: string): gnc.v1.IDeclaration => format.decode(readFileSync(path.join(DIR, f))).declaration!;
    const acc = read('IM001a_notif_01_DMSACC.xml');
    assert.equal(acc.status, gnc.v1.DeclarationStatus.DECLARATION_STATUS_LODGED);
    assert.equal(acc.mrn, '24GB22WOA1EV2P6AR5');
    assert.equal(String(acc.statusChangedAtMs), String(Date.UTC(2024, 1, 22, 10, 9, 38)));
    assert.equal(read('IM001a_notif_02_DMSTAX.xml').status, gnc.v1.DeclarationStatus.DECLARATION_STATUS_DUTY_ASSESSED);
    assert.equal(read('IM001a_notif_04_DMSCLE.xml').status, gnc.v1.DeclarationStatus.DECLARATION_STATUS_CLOSED);
    const tax = format.decodeWithReport(readFileSync(path.join(DIR, 'IM001a_notif_02_DMSTAX.xml')));
    assert.deepEqual(
      tax.unmapped.map((u) => u.xpath),
      ['/MetaData/Response/Bank', '/MetaData/Response/Status', '/MetaData/Response/Declaration/GoodsShipment'],
    );
  });
});

/**
 * The two wco-xml decoders against each other: the streaming one (wco-stream-decode.ts, mapping as
 * the XML is scanned) either hands a document over (undefined) or gives exactly what the tree
 * decoder (parseXml + decodeWco) gives for it: the same mapped object, document kind, empty
 * unmapped report and header derivation, hence the same canonical envelope byte for byte. Over the
 * conformance samples, the sample and extreme envelopes as the encoder writes them, and variants
 * of an encoded declaration: some it must map itself (so that the fast path is what the format
 * runs), others (unmapped content, every kind of error) it must hand over.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { findProtoDir, loadMessageRule, validateJson } from '../../../../adapters/format/json/json-schema';
import type { WcoDecoded } from '../../../../adapters/format/wco-xml/wco-decode';
import { decodeWcoStream } from '../../../../adapters/format/wco-xml/wco-stream-decode';
import { decodeWcoTree, wcoXmlFormat, type WcoXmlFormat } from '../../../../adapters/format/wco-xml/wco-xml-format';
import { fromJsonObject, gnc } from '../../../../node/src/canonical';
import { sampleEnvelopes } from '../../../compliance/format-suite';
import { extremeObject } from '../../../support/extreme-envelopes';
import { keySortedJson } from '../../../support/key-sorted-json';
import { conformanceDir } from '../../../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const MAX_BYTES = 4 * 1024 * 1024;

describe('wco-xml streaming decoder against the tree decoder', () => {
  const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');
  const wco = wcoXmlFormat({})({}) as WcoXmlFormat;

  const protobuf = (decoded: WcoDecoded): Buffer =>
    Buffer.from(gnc.v1.Envelope.encode(fromJsonObject(gnc.v1.Envelope, decoded.object)).finish());

  /** Compares the decoders on `bytes`; true when the streaming one mapped the document itself. */
  const compare = (bytes: Uint8Array, what: string): boolean => {
    let tree: WcoDecoded | undefined;
    let treeError: unknown;
    try {
      tree = decodeWcoTree(bytes, MAX_BYTES, rule);
    } catch (err) {
      treeError = err;
    }
    const stream = decodeWcoStream(bytes, MAX_BYTES, rule);
    if (!stream) return false;
    assert.ok(tree, `${what}: the tree decoder refused it (${String(treeError)}), the streaming one did not`);
    assert.equal(keySortedJson(stream.object), keySortedJson(tree.object), what);
    assert.equal(stream.document, tree.document, what);
    assert.deepEqual(stream.unmapped, tree.unmapped, what);
    assert.equal(stream.headerDerived, tree.headerDerived, what);
    assert.ok(protobuf(stream).equals(protobuf(tree)), `${what}: the same canonical envelope`);
    return true;
  };

  const declarationXml = Buffer.from(wco.encode(sampleEnvelopes().declaration!)).toString('utf8');
  const variant = (from: string | RegExp, to: string): Buffer => {
    const changed = declarationXml.replace(from, to);
    assert.notEqual(changed, declarationXml, `${String(from)} is in the encoded declaration`);
    return Buffer.from(changed);
  };

  it('every conformance sample: the same result, or handed over', () => {
    const dir = path.join(CONFORMANCE_DIR, 'xml', 'hmrc_cds_wco_dms');
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    assert.ok(files.length >= 4, `only ${files.length} samples in ${dir}`);
    // They all carry content without a canonical field: the tree decoder reports it.
    for (const file of files) assert.equal(compare(readFileSync(path.join(dir, file)), file), false, file);
  });

  it('maps every declaration the encoder writes as DEC itself, as the tree decoder does', () => {
    let mapped = 0;
    for (const [name, sample] of Object.entries(sampleEnvelopes())) {
      if (!sample.declaration) continue;
      assert.equal(compare(wco.encode(sample), name), true, name);
      mapped++;
    }
    for (let pick = 0; pick < 12; pick++) {
      for (const low of [false, true]) {
        const envelope = fromJsonObject(
          gnc.v1.Envelope,
          validateJson(extremeObject(rule, low, pick, 6), rule, 'gnc.v1.Envelope'),
        );
        if (!envelope.declaration) continue;
        envelope.header!.messageId ||= 'm-1';
        const xml = wco.encode(envelope);
        const isResponse = /<Response /.test(Buffer.from(xml).toString('utf8'));
        // A status notice is a RES document: the tree decoder's.
        assert.equal(compare(xml, `extreme ${pick} ${low}`), !isResponse, `extreme envelope ${pick}, ${low}`);
        if (!isResponse) mapped++;
      }
    }
    assert.ok(mapped >= 3, `${mapped} documents mapped`);
  });

  it('maps complete documents written differently: order, layout, comments, CDATA, prefixes, no header', () => {
    const items = /(<GovernmentAgencyGoodsItem>.*<\/GovernmentAgencyGoodsItem>)(<Importer>.*<\/Importer>)/;
    const documents: Array<[string, Buffer]> = [
      ['children in another order', variant(items, '$2$1')],
      ['indentation', Buffer.from(declarationXml.replace(/></g, '>\n  <'))],
      ['a comment and a processing instruction', variant('<Declaration>', '<Declaration><!-- x --><?pi y?>')],
      ['CDATA and references', variant('<Description>Smartphones', '<Description><![CDATA[Smart]]>&#112;hones')],
      ['xsi attributes', variant('<Declaration>', `<Declaration xmlns:xsi="${XSI}" xsi:type="x">`)],
      [
        'a prefix for the declaration namespace',
        Buffer.from(
          declarationXml
            .replace(/<(\/?)(?!md:|gnc:|\?)([A-Za-z])/g, '<$1d:$2')
            .replace('xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"', 'xmlns:d="urn:wco:datamodel:WCO:DEC-DMS:2"'),
        ),
      ],
      ['no gnc:Extension (header derived)', variant(/<gnc:Extension>.*<\/gnc:Extension>/, '')],
      [
        'the declaration as the document element',
        Buffer.from(
          declarationXml
            .replace(/<md:MetaData.*?<\/gnc:Extension>/, '')
            .replace('<Declaration>', '<Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">')
            .replace('</md:MetaData>', ''),
        ),
      ],
      [
        'formatCode 102',
        variant(/<DateTimeString formatCode="304">(\d{8})\d{6}Z/, '<DateTimeString formatCode="102">$1'),
      ],
      // The tree decoder reads (and reports) no text beside elements either.
      ['text beside elements', variant('<Commodity>', '<Commodity>loose text')],
      ['an empty value', variant(/<Line>[^<]*<\/Line>/, '<Line/>')],
      [
        'a procedure code',
        variant(
          '<Origin>',
          '<GovernmentProcedure><CurrentCode>40</CurrentCode><PreviousCode>00</PreviousCode></GovernmentProcedure><Origin>',
        ),
      ],
    ];
    for (const [what, bytes] of documents) assert.equal(compare(bytes, what), true, what);
  });

  it('hands over unmapped content and every error, which the tree decoder reports with the XPath', () => {
    const documents: Array<[string, Buffer]> = [
      ['an unmapped element', variant('<Declaration>', '<Declaration><Remarks>x</Remarks>')],
      ['an unmapped attribute', variant('<Description>', '<Description languageID="en">')],
      [
        'a second Classification',
        variant('</Classification>', '</Classification><Classification><ID>X</ID></Classification>'),
      ],
      ['a duplicated value', variant('<ID>CSQU3054383</ID>', '<ID>CSQU3054383</ID><ID>Y</ID>')],
      ['a SequenceNumeric off its position', variant('<Seal><SequenceNumeric>1<', '<Seal><SequenceNumeric>2<')],
      ['GoodsItemQuantity off the count', variant(/<GoodsItemQuantity>\d+</, '<GoodsItemQuantity>9<')],
      ['a FunctionCode other than 9', variant('<FunctionCode>9<', '<FunctionCode>13<')],
      ['a bad date-time', variant(/formatCode="304">\d{14}Z</, 'formatCode="304">20261340000000Z<')],
      ['a bad whole number', variant(/<QuantityQuantity>\d+</, '<QuantityQuantity>-1<')],
      ['a mass in grams', variant('<GrossMassMeasure>', '<GrossMassMeasure unitCode="GRM">')],
      ['an element inside a value', variant('<Description>', '<Description><b/>')],
      ['a bad extension field', variant('<gnc:Extension>', '<gnc:Extension><gnc:Field path="nope">1</gnc:Field>')],
      [
        'an extension value the WCO element sets',
        variant('<gnc:Extension>', '<gnc:Extension><gnc:Field path="declaration.lrn">x</gnc:Field>'),
      ],
      ['malformed XML', variant('</Declaration>', '</Declaratio>')],
      ['a DOCTYPE', Buffer.from(declarationXml.replace('?>', '?><!DOCTYPE x>'))],
      [
        'a procedure code of 3 letters',
        variant('<Origin>', '<GovernmentProcedure><CurrentCode>ABC</CurrentCode></GovernmentProcedure><Origin>'),
      ],
      ['WCOTypeName RES over a declaration', variant('<md:WCOTypeName>DEC<', '<md:WCOTypeName>RES<')],
    ];
    for (const [what, bytes] of documents) {
      assert.equal(decodeWcoStream(bytes, MAX_BYTES, rule), undefined, `${what}: handed over`);
      // And the format gives the tree decoder's answer: an unmapped report or the error.
      let tree: WcoDecoded | undefined;
      let treeError: unknown;
      try {
        tree = decodeWcoTree(bytes, MAX_BYTES, rule);
      } catch (err) {
        treeError = err;
      }
      if (tree) {
        assert.ok(tree.unmapped.length > 0, `${what}: only content the tree decoder reports is handed over`);
        assert.deepEqual(wco.decodeWithReport(bytes).unmapped, tree.unmapped, what);
      } else {
        assert.throws(
          () => wco.decode(bytes),
          (err: Error) => err.message === (treeError as Error).message,
          what,
        );
      }
    }
  });
});

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

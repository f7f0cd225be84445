/**
 * wco-xml against the format contract where it applies (Declaration bodies; the other body kinds
 * have no WCO document and are refused with FormatInvalidError), plus its own mapping rules.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { messageFormats } from '../../../../adapters/format';
import { wcoXmlFormat, type WcoXmlFormat } from '../../../../adapters/format/wco-xml';
import { FormatInvalidError, encodeMessage, gnc } from '../../../../node/src/canonical';
import { sampleEnvelopes } from '../../../compliance/format-suite';

const { v1 } = gnc;

function semantic(message: gnc.v1.Envelope): Record<string, unknown> {
  return v1.Envelope.toObject(message, {
    longs: String,
    enums: String,
    bytes: String,
    defaults: true,
    arrays: true,
    oneofs: true,
  });
}

function invalid(fn: () => unknown, pattern?: RegExp): FormatInvalidError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FormatInvalidError, `expected FormatInvalidError, got ${String(err)}`);
    assert.equal(err.code, 'GNC_FORMAT_INVALID');
    assert.equal(err.httpStatus, 400);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail('no error');
}

function decodeOrTyped(format: WcoXmlFormat, bytes: Uint8Array, what: string): void {
  try {
    format.decode(bytes);
  } catch (err) {
    assert.ok(err instanceof FormatInvalidError, `${what}: untyped error ${String(err)}`);
  }
}

const format = wcoXmlFormat({})({}) as WcoXmlFormat;
const samples = sampleEnvelopes();
const declaration = samples.declaration!;
const roundTrip = (e: gnc.v1.IEnvelope): gnc.v1.Envelope => format.decode(format.encode(e));
const canonical = (e: gnc.v1.IEnvelope): Record<string, unknown> =>
  semantic(v1.Envelope.decode(encodeMessage(v1.Envelope, e)));

describe('wco-xml message format', () => {
  describe('contract (the format suite, Declaration bodies)', () => {
    it('is registered as "wco-xml" with an XML content type', () => {
      assert.equal(messageFormats['wco-xml'], wcoXmlFormat);
      assert.equal(format.name, 'wco-xml');
      assert.equal(format.contentType, 'application/xml');
    });

    it('keeps the suite declaration envelope unchanged, deterministically', () => {
      const bytes = format.encode(declaration);
      const decoded = format.decode(bytes);
      assert.equal(decoded.body, 'declaration');
      assert.deepEqual(semantic(decoded), canonical(declaration));
      const again = format.encode(decoded);
      assert.ok(Buffer.from(format.encode(format.decode(again))).equals(again));
      const items = decoded.declaration?.goodsShipment?.goodsItems ?? [];
      assert.equal(items.length, 5);
      assert.equal(items[4]?.grossMassKg, '300.500');
      assert.equal(decoded.declaration?.exporter?.name, 'Example Electronics — 深圳');
    });

    it('refuses the other body kinds with FormatInvalidError (no WCO document for them)', () => {
      for (const kind of ['inspection', 'sealEvent', 'aeoCertificate', 'batchAnchor', 'receipt']) {
        invalid(() => format.encode(samples[kind]!), /Declaration bodies only/);
      }
    });

    it('refuses empty, garbage and non-WCO input; an envelope without header or body', () => {
      invalid(() => format.decode(new Uint8Array(0)));
      invalid(() => format.decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), /UTF-8/);
      invalid(() => format.decode(Buffer.from('<Declaration/>')), /not a WCO document/);
      invalid(() => format.decode(Buffer.from('null')));
      invalid(() => format.encode({ declaration: declaration.declaration }), /header/);
      invalid(() => format.encode({ header: declaration.header }), /body/);
      const bad = { header: { ...declaration.header, createdAtMs: 'yesterday' } } as unknown as gnc.v1.IEnvelope;
      invalid(() => format.encode(bad));
      invalid(() => wcoXmlFormat({ maxBytes: 64 })({}).decode(format.encode(declaration)), /exceed/);
    });

    it('answers every truncation of an encoded declaration with a decode or FormatInvalidError', () => {
      const bytes = format.encode(declaration);
      for (let cut = 0; cut < bytes.length; cut += 7) decodeOrTyped(format, bytes.subarray(0, cut), `cut ${cut}`);
      invalid(() => format.decode(bytes.subarray(0, bytes.length >> 1)));
    });

    it('survives a bounded random fuzz (~1 s): mutations and random bytes, no crash, no hang', () => {
      const seeds = [Buffer.from(format.encode(declaration))];
      const deadline = Date.now() + 1000;
      let runs = 0;
      while (Date.now() < deadline) {
        const seed = seeds[0]!;
        let input: Buffer;
        if (runs % 4 === 3) input = randomBytes(Math.floor(Math.random() * 512));
        else {
          input = Buffer.from(seed);
          for (let e = 0; e <= runs % 6; e++)
            input[Math.floor(Math.random() * input.length)] = Math.floor(Math.random() * 256);
          if (runs % 3 === 0) input = input.subarray(0, Math.floor(Math.random() * input.length));
        }
        const started = Date.now();
        decodeOrTyped(format, input, `fuzz ${runs}`);
        assert.ok(Date.now() - started < 250, `fuzz ${runs} took ${Date.now() - started} ms`);
        runs++;
      }
      assert.ok(runs > 100, `only ${runs} runs`);
    });
  });

  describe('mapping', () => {
    it('writes a namespace-correct DEC with codes as text and currencyID kept', () => {
      const xml = Buffer.from(format.encode(declaration)).toString('utf8');
      assert.match(
        xml,
        /^<\?xml version="1.0" encoding="UTF-8"\?>\n<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"/,
      );
      assert.match(xml, /<TypeCode>EX<\/TypeCode>/);
      assert.match(xml, /<InvoiceAmount currencyID="USD">557550.50<\/InvoiceAmount>/);
      assert.match(xml, /<CustomsValueAmount currencyID="USD">31800.00<\/CustomsValueAmount>/);
      assert.match(xml, /<TariffQuantity unitCode="NAR">120<\/TariffQuantity>/);
      assert.match(xml, /<gnc:Field path="declaration.status">DECLARATION_STATUS_RELEASED<\/gnc:Field>/);
      assert.match(
        xml,
        /<gnc:Field path="declaration.consignment.transportEquipment\[0\].seals\[0\].electronic">true<\/gnc:Field>/,
      );
    });

    it('keeps codes with leading zeros as strings', () => {
      const e = structuredClone(declaration);
      e.declaration!.goodsShipment!.goodsItems![0]!.procedureCode = '4000';
      e.declaration!.goodsShipment!.transactionNatureCode = '01';
      e.declaration!.consignment!.departureTransportMeans!.modeCode = '00';
      const d = roundTrip(e).declaration!;
      assert.equal(d.goodsShipment?.goodsItems?.[0]?.procedureCode, '4000');
      assert.equal(d.goodsShipment?.transactionNatureCode, '01');
      assert.equal(d.consignment?.departureTransportMeans?.modeCode, '00');
    });

    it('writes a status-only declaration as a RES notification and reads it back', () => {
      for (const [status, lane, code] of [
        [v1.DeclarationStatus.DECLARATION_STATUS_LODGED, v1.Lane.LANE_UNSPECIFIED, '01'],
        [v1.DeclarationStatus.DECLARATION_STATUS_REJECTED, v1.Lane.LANE_UNSPECIFIED, '03'],
        [v1.DeclarationStatus.DECLARATION_STATUS_LANE_ASSIGNED, v1.Lane.LANE_RED, '05'],
        [v1.DeclarationStatus.DECLARATION_STATUS_CLOSED, v1.Lane.LANE_UNSPECIFIED, '09'],
        [v1.DeclarationStatus.DECLARATION_STATUS_DUTY_ASSESSED, v1.Lane.LANE_UNSPECIFIED, '13'],
      ] as const) {
        const e: gnc.v1.IEnvelope = {
          header: declaration.header,
          declaration: {
            lrn: 'L1',
            mrn: '24GB22WOA1EV2P6AR5',
            version: 2,
            status,
            lane,
            statusChangedAtMs: 1708596578000,
          },
        };
        const bytes = format.encode(e);
        const xml = Buffer.from(bytes).toString('utf8');
        assert.match(xml, /<Response xmlns="urn:wco:datamodel:WCO:RES-DMS:2"><FunctionCode>(\d\d)<\/FunctionCode>/);
        assert.ok(xml.includes(`<FunctionCode>${code}</FunctionCode>`), xml);
        assert.ok(xml.includes('<DateTimeString formatCode="304">20240222100938Z</DateTimeString>'));
        const r = format.decodeWithReport(bytes);
        assert.equal(r.document, 'RES');
        assert.deepEqual(semantic(r.envelope), canonical(e));
      }
    });

    it('keeps instants with milliseconds exactly (extension), and whole seconds as formatCode 304', () => {
      const e = structuredClone(declaration);
      e.declaration!.issuedAtMs = 1708596578123;
      assert.equal(String(roundTrip(e).declaration?.issuedAtMs), '1708596578123');
    });

    it('names the XPath of a wrong value', () => {
      const xml = Buffer.from(format.encode(declaration))
        .toString('utf8')
        .replace('<SequenceNumeric>3</SequenceNumeric>', '<SequenceNumeric>three</SequenceNumeric>');
      invalid(
        () => format.decode(Buffer.from(xml)),
        /\/md:MetaData\/Declaration\/GoodsShipment\/GovernmentAgencyGoodsItem\[3\]\/SequenceNumeric: 'three' is not a whole number/,
      );
      const twice = Buffer.from(format.encode(declaration))
        .toString('utf8')
        .replace('<FunctionalReferenceID>', '<FunctionalReferenceID>A</FunctionalReferenceID><FunctionalReferenceID>');
      invalid(
        () => format.decode(Buffer.from(twice)),
        /\/md:MetaData\/Declaration\/FunctionalReferenceID\[2\]: <FunctionalReferenceID> may appear only once/,
      );
    });

    it('keeps no document alive through the paths of its extension it remembers', async () => {
      // V8 keeps a slice's whole string alive: a remembered path cut from a document would hold
      // it. Each document here has a path of its own and 2 MB of comment.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const xml = Buffer.from(format.encode(declaration)).toString('utf8');
      const documents = 20;
      // Text of a large document may live outside the heap (an external string): both are counted.
      const held = () => {
        const { heapUsed, external } = process.memoryUsage();
        return heapUsed + external;
      };
      gc();
      const before = held();
      for (let i = 0; i < documents; i++) {
        const document = xml
          .replace('?>', `?><!--${'x'.repeat(2_000_000)}${i}-->`)
          .replace(
            '<gnc:Extension>',
            `<gnc:Extension><gnc:Field path="declaration.goodsShipment.goodsItems[${1000 + i}].sequenceNumeric">1</gnc:Field>`,
          );
        invalid(() => format.decode(Buffer.from(document)), /skips items/);
      }
      // Memory outside the heap is given back after the collection, once the event loop turns.
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc();
      const retained = held() - before;
      // Held whole they would be 40 MB; a tenth of one is left for what else the decode keeps.
      assert.ok(retained < 10_000_000, `${(retained / 1e6).toFixed(1)} MB still held after ${documents} documents`);
    });

    it('refuses an extension that contradicts a WCO element or names an unknown field', () => {
      const xml = Buffer.from(format.encode(declaration)).toString('utf8');
      const contradict = xml.replace(
        '<gnc:Extension>',
        '<gnc:Extension><gnc:Field path="declaration.lrn">OTHER</gnc:Field>',
      );
      invalid(() => format.decode(Buffer.from(contradict)), /declaration.lrn' is set by a WCO element too/);
      const count = xml.replace(
        '<gnc:Extension>',
        '<gnc:Extension><gnc:Field path="declaration.goodsShipment.goodsItems[0].sequenceNumeric">7</gnc:Field>',
      );
      invalid(() => format.decode(Buffer.from(count)), /sequenceNumeric' is set by a WCO element too, to '1'/);
      // A path the extension gives twice is not a contradiction with the WCO elements: the later one stands.
      const again = xml
        .replace(/<gnc:Field path="header.senderId">[^<]*<\/gnc:Field>/, '')
        .replace(
          '<gnc:Extension>',
          '<gnc:Extension><gnc:Field path="header.senderId">FIRST</gnc:Field><gnc:Field path="header.senderId">SECOND</gnc:Field>',
        );
      assert.equal(format.decode(Buffer.from(again)).header?.senderId, 'SECOND');
      const unknown = xml.replace(
        '<gnc:Extension>',
        '<gnc:Extension><gnc:Field path="declaration.colour">red</gnc:Field>',
      );
      invalid(() => format.decode(Buffer.from(unknown)), /has no field 'colour'/);
      // Parsed paths are kept for the next message; a refused one is refused again.
      invalid(() => format.decode(Buffer.from(unknown)), /has no field 'colour'/);
      const sparse = xml.replace(
        '<gnc:Extension>',
        '<gnc:Extension><gnc:Field path="declaration.agent.address.line">x</gnc:Field><gnc:Field path="declaration.consignment.transportEquipment[99999].id">x</gnc:Field>',
      );
      invalid(() => format.decode(Buffer.from(sparse)), /skips items/);
    });

    it('applies extension paths whatever their order, from one message to the next', () => {
      // Each path is first compared with the one that followed the previous path last time: the
      // same order, then a reversed one, an interleaved one, and the first again must all decode alike.
      const xml = Buffer.from(format.encode(declaration)).toString('utf8');
      const block = /<gnc:Extension>(.*)<\/gnc:Extension>/s.exec(xml)!;
      const fields = block[1]!.match(/<gnc:Field [^>]*>[^<]*<\/gnc:Field>/g)!;
      assert.ok(fields.length > 4);
      const withFields = (list: readonly string[]): Buffer =>
        Buffer.from(xml.replace(block[0], `<gnc:Extension>${list.join('')}</gnc:Extension>`));
      const expected = canonical(declaration);
      const interleaved = [...fields.filter((_, i) => i % 2 === 1), ...fields.filter((_, i) => i % 2 === 0)];
      for (const list of [fields, fields, [...fields].reverse(), interleaved, fields.slice(2), fields]) {
        const decoded = format.decode(withFields(list));
        if (list.length === fields.length) assert.deepEqual(semantic(decoded), expected);
        else assert.equal(decoded.declaration?.lane, declaration.declaration?.lane);
      }
      // A field given twice (the later one stands) and a WCO value in the same holder, in either order.
      const lrn = `<gnc:Field path="declaration.lrn">${declaration.declaration?.lrn}</gnc:Field>`;
      const status = (value: string): string => `<gnc:Field path="declaration.status">${value}</gnc:Field>`;
      const { DECLARATION_STATUS_RELEASED: released, DECLARATION_STATUS_LODGED: lodged } = v1.DeclarationStatus;
      assert.equal(declaration.declaration?.status, released);
      for (const [list, stands] of [
        [[status('DECLARATION_STATUS_LODGED'), ...fields], released],
        [[...fields, status('DECLARATION_STATUS_LODGED')], lodged],
      ] as const) {
        assert.equal(format.decode(withFields(list)).declaration?.status, stands);
        invalid(() => format.decode(withFields([...list, lrn.replace('>', '>X')])), /lrn' is set by a WCO element too/);
      }
    });

    it("with unmapped: 'reject', refuses content without a canonical field, naming its XPath", () => {
      const strict = wcoXmlFormat({ unmapped: 'reject' })({});
      assert.deepEqual(semantic(strict.decode(format.encode(declaration))), canonical(declaration));
      const xml = Buffer.from(format.encode(declaration))
        .toString('utf8')
        .replace('</GoodsShipment>', '<PreviousDocument><ID>X</ID></PreviousDocument></GoodsShipment>');
      invalid(
        () => strict.decode(Buffer.from(xml)),
        /\/md:MetaData\/Declaration\/GoodsShipment\/PreviousDocument: no canonical field/,
      );
      const r = format.decodeWithReport(Buffer.from(xml));
      assert.deepEqual(
        r.unmapped.map((u) => u.xpath),
        ['/md:MetaData/Declaration/GoodsShipment/PreviousDocument'],
      );
      assert.throws(() => wcoXmlFormat({ unmapped: 'maybe' }), /'unmapped' must be/);
    });

    it('reports unread attributes by XPath, the read one not, also past the 31st attribute of an element', () => {
      const xml = Buffer.from(format.encode(declaration)).toString('utf8');
      const amount = /<InvoiceAmount currencyID="([A-Z]+)">/.exec(xml)!;
      const others = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => ` x${from + i}="v"`).join('');
      // currencyID, which the mapping reads, placed as attribute 3 and then as attribute 40.
      for (const before of [2, 39]) {
        const changed = xml.replace(
          amount[0],
          `<InvoiceAmount${others(0, before)} currencyID="${amount[1]}"${others(before, 45)}>`,
        );
        const r = format.decodeWithReport(Buffer.from(changed));
        const reported = r.unmapped.map((u) => u.xpath);
        assert.equal(reported.length, 45, `currencyID as attribute ${before + 1}`);
        assert.ok(reported.every((x) => /^\/md:MetaData\/Declaration\/InvoiceAmount\/@x[0-9]+$/.test(x)));
        assert.ok(reported.includes('/md:MetaData/Declaration/InvoiceAmount/@x44'));
        assert.equal(r.envelope.declaration?.invoiceAmount?.currencyCode, amount[1]);
      }
    });

    it('refuses a DTD, billion laughs and an external entity with the position', () => {
      const laughs =
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n<lolz>&lol1;</lolz>';
      invalid(
        () => format.decode(Buffer.from(laughs)),
        /not acceptable XML: line 2, column 1: a DOCTYPE \(DTD\) is not accepted/,
      );
      const xxe =
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">&x;</Declaration>';
      invalid(() => format.decode(Buffer.from(xxe)), /line 1, column 22: a DOCTYPE/);
      const entity = '<Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">\n<ID>&x;</ID></Declaration>';
      invalid(() => format.decode(Buffer.from(entity)), /line 2, column 5: undefined entity '&x;'/);
    });
  });
});

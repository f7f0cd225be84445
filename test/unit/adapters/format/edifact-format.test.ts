/**
 * The `edifact` format. runFormatSuite round-trips every body kind, but only a Declaration has an
 * EDIFACT message (CUSDEC/CUSRES/CUSCAR) and the suite has no way to declare that, so the suite's
 * declaration checks are repeated here (round trip, determinism, invalid input, truncation, fuzz)
 * and the other body kinds are asserted to be refused with FormatInvalidError.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import {
  EdifactSyntaxError,
  acknowledge,
  decodeEdifactInterchange,
  edifactFormat,
  parseContrl,
  parseInterchange,
} from '../../../../adapters/format/edifact';
import { messageFormats } from '../../../../adapters/format';
import type { MessageFormat } from '../../../../adapters/format/message-format';
import { FormatInvalidError, encodeMessage, gnc } from '../../../../node/src/canonical';
import { ConfigError } from '../../../../node/src/errors';
import { sampleEnvelopes } from '../../../compliance/format-suite';

const { v1 } = gnc;

const semantic = (m: gnc.v1.Envelope): Record<string, unknown> =>
  v1.Envelope.toObject(m, { longs: String, enums: String, bytes: String, defaults: true, arrays: true, oneofs: true });
const canonical = (e: gnc.v1.IEnvelope): Record<string, unknown> =>
  semantic(v1.Envelope.decode(encodeMessage(v1.Envelope, e)));

/** The suite's declaration, with every text inside ISO 8859-1 (for UNOC). */
function latinDeclaration(): gnc.v1.IEnvelope {
  const e = sampleEnvelopes().declaration!;
  e.declaration!.exporter!.name = 'Example Electronics Shenzhen';
  return e;
}

function decodeOrTyped(format: MessageFormat, bytes: Uint8Array): void {
  try {
    format.decode(bytes);
  } catch (err) {
    assert.ok(err instanceof FormatInvalidError, `untyped error ${String(err)}`);
  }
}

describe('edifact format', () => {
  const unow = edifactFormat({ syntaxIdentifier: 'UNOW' })({});
  const unoc = edifactFormat({})({});

  it('is registered as edifact with a content type', () => {
    assert.equal(messageFormats.edifact, edifactFormat);
    assert.equal(unoc.name, 'edifact');
    assert.equal(unoc.contentType, 'application/edifact');
  });

  describe('round trip of a declaration', () => {
    const cases: Array<[string, Record<string, unknown>, () => gnc.v1.IEnvelope]> = [
      ['UNOW syntax 4, D96B (Unicode names)', { syntaxIdentifier: 'UNOW' }, () => sampleEnvelopes().declaration!],
      ['UNOC syntax 3, D96B', {}, latinDeclaration],
      ['UNOC syntax 3, D99B', { directory: 'D99B' }, latinDeclaration],
      ['UNOC syntax 4 with line breaks', { syntaxVersion: 4, lineBreaks: true }, latinDeclaration],
    ];
    for (const [name, init, make] of cases) {
      it(`keeps every field: ${name}`, () => {
        const format = edifactFormat(init)({});
        const envelope = make();
        const bytes = format.encode(envelope);
        const decoded = format.decode(bytes);
        assert.equal(decoded.body, 'declaration');
        assert.deepEqual(semantic(decoded), canonical(envelope));
        const again = format.encode(decoded);
        assert.ok(Buffer.from(format.encode(format.decode(again))).equals(Buffer.from(again)));
      });
    }

    it('carries 5 goods items, decimals, and instants to the millisecond', () => {
      const e = sampleEnvelopes().declaration!;
      e.header!.createdAtMs = Date.UTC(2026, 3, 14, 2, 31, 35, 123);
      const decoded = unow.decode(unow.encode(e));
      const items = decoded.declaration?.goodsShipment?.goodsItems ?? [];
      assert.equal(items.length, 5);
      assert.equal(items[4]?.grossMassKg, '300.500');
      assert.equal(decoded.declaration?.exporter?.name, 'Example Electronics — 深圳');
      assert.equal(String(decoded.header?.createdAtMs), String(Date.UTC(2026, 3, 14, 2, 31, 35, 123)));
    });

    it('keeps long names and descriptions split over components and segments, and escapes service characters', () => {
      const e = latinDeclaration();
      e.declaration!.declarant!.name = "O'Neil + Partners: Customs?".repeat(6);
      e.declaration!.goodsShipment!.goodsItems![0]!.commodity!.description = 'x'.repeat(900);
      assert.deepEqual(semantic(unoc.decode(unoc.encode(e))), canonical(e));
    });

    it('writes a CUSRES with the identity and status fields only', () => {
      const format = edifactFormat({ message: 'CUSRES', directory: 'D99B' })({});
      const e = latinDeclaration();
      const decoded = format.decode(format.encode(e));
      const d = decoded.declaration!;
      assert.equal(parseInterchange(format.encode(e)).messages[0]?.type, 'CUSRES');
      assert.equal(d.lrn, 'SZX-EXP-2026-000417');
      assert.equal(d.mrn, '26CN5301E000123456');
      assert.equal(d.status, v1.DeclarationStatus.DECLARATION_STATUS_RELEASED);
      assert.equal(d.lane, v1.Lane.LANE_GREEN);
      assert.equal(String(d.statusChangedAtMs), String(e.declaration!.statusChangedAtMs));
      assert.equal(d.goodsShipment, null);
      assert.equal(decoded.header?.messageId, e.header?.messageId);
    });

    it('writes a CUSCAR (D96B and D99B) that reads back the consignment, parties and goods', () => {
      for (const directory of ['D96B', 'D99B']) {
        const format = edifactFormat({ message: 'CUSCAR', directory })({});
        const e = latinDeclaration();
        const d = format.decode(format.encode(e)).declaration!;
        const c = d.consignment!;
        assert.equal(c.transportDocumentId, 'COSU6234567890');
        assert.equal(c.transportEquipment?.[0]?.seals?.[0]?.deviceId, 'ESEAL-7F3A21');
        assert.equal(c.loadingLocationId, 'CNSZX');
        assert.equal(d.goodsShipment?.goodsItems?.length, 5);
        assert.equal(d.goodsShipment?.goodsItems?.[2]?.quantity?.value, '360');
        assert.equal(d.goodsShipment?.goodsItems?.[2]?.commodity?.hsCode, '8517130000');
        assert.equal(d.importer?.id, 'NL123456789000');
      }
    });

    it('re-encodes a decoded CUSRES and CUSCAR to the same bytes', () => {
      for (const init of [{ message: 'CUSRES' }, { message: 'CUSCAR' }, { message: 'CUSCAR', directory: 'D99B' }]) {
        const format = edifactFormat(init)({});
        const once = format.encode(format.decode(format.encode(latinDeclaration())));
        assert.ok(Buffer.from(format.encode(format.decode(once))).equals(Buffer.from(once)), JSON.stringify(init));
        assert.deepEqual(semantic(format.decode(once)), semantic(format.decode(format.encode(latinDeclaration()))));
      }
    });

    it('uses the UNB ids of the options and keeps the administration ids in NAD+MS/MR', () => {
      const format = edifactFormat({ senderId: 'GACC.EDI', senderQualifier: 'ZZZ', recipientId: 'NLDCA01' })({});
      const bytes = format.encode(latinDeclaration());
      const x = parseInterchange(bytes);
      assert.equal(x.sender.id, 'GACC.EDI');
      assert.equal(x.recipient.id, 'NLDCA01');
      const h = format.decode(bytes).header!;
      assert.equal(h.senderId, 'CN-GACC');
      assert.equal(h.receiverId, 'NL-DCA');
    });
  });

  describe('what EDIFACT cannot carry', () => {
    for (const kind of ['inspection', 'sealEvent', 'aeoCertificate', 'batchAnchor', 'receipt']) {
      it(`refuses to encode a ${kind} envelope`, () => {
        assert.throws(
          () => unow.encode(sampleEnvelopes()[kind]!),
          (err: unknown) => err instanceof FormatInvalidError && /has no EDIFACT message/.test(err.message),
        );
      });
    }

    it('refuses an envelope without header, message id or body, and a wrongly typed one', () => {
      const d = sampleEnvelopes().declaration!;
      assert.throws(() => unow.encode({ declaration: d.declaration }), FormatInvalidError);
      assert.throws(() => unow.encode({ header: d.header }), FormatInvalidError);
      assert.throws(
        () => unow.encode({ header: { ...d.header, createdAtMs: 'yesterday' } } as unknown as gnc.v1.IEnvelope),
        FormatInvalidError,
      );
    });

    it('refuses text outside the syntax level, naming the segment', () => {
      assert.throws(
        () => unoc.encode(sampleEnvelopes().declaration!),
        (err: unknown) =>
          err instanceof EdifactSyntaxError && err.position.segment === 'NAD' && /UNOC/.test(err.message),
      );
    });

    it('refuses an HS code that is not 6 to 10 digits', () => {
      const e = latinDeclaration();
      e.declaration!.goodsShipment!.goodsItems![0]!.commodity!.hsCode = '8517.13';
      assert.throws(() => unoc.encode(e), /HS code/);
    });
  });

  describe('invalid input', () => {
    it('refuses empty, garbage and non-EDIFACT input with FormatInvalidError', () => {
      for (const input of ['', 'null', '[]', '<Declaration/>'])
        assert.throws(() => unoc.decode(Buffer.from(input)), FormatInvalidError);
      assert.throws(() => unoc.decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), FormatInvalidError);
    });

    it('refuses input above maxBytes', () => {
      const small = edifactFormat({ maxBytes: 64 })({});
      assert.throws(() => small.decode(unoc.encode(latinDeclaration())), FormatInvalidError);
    });

    it('names a segment out of place and a missing mandatory segment', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      const swapped = text
        .replace("UNS+D'", "UNS+D'BGM+830+X+9'")
        .replace(/UNT\+(\d+)/, (_m, n: string) => `UNT+${Number(n) + 1}`);
      assert.throws(
        () => unoc.decode(Buffer.from(swapped, 'latin1')),
        (err: unknown) =>
          err instanceof EdifactSyntaxError &&
          err.position.segment === 'BGM' &&
          /not expected here|more than 1/.test(err.message),
      );
      const noUns = text.replace("UNS+S'", '').replace(/UNT\+(\d+)/, (_m, n: string) => `UNT+${Number(n) - 1}`);
      assert.throws(
        () => unoc.decode(Buffer.from(noUns, 'latin1')),
        (err: unknown) => err instanceof EdifactSyntaxError && /mandatory UNS is missing/.test(err.message),
      );
    });

    it('names the element of a bad decimal and of a wrong goods item count', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      assert.throws(
        () => unoc.decode(Buffer.from(text.replace('MOA+40:31800.00', 'MOA+40:-31800'), 'latin1')),
        (err: unknown) =>
          err instanceof EdifactSyntaxError && err.position.segment === 'MOA' && err.position.element === 'C516/5004',
      );
      assert.throws(
        () => unoc.decode(Buffer.from(text.replace("CNT+5:5'", "CNT+5:4'"), 'latin1')),
        (err: unknown) =>
          err instanceof EdifactSyntaxError && err.position.segment === 'CNT' && err.syntaxErrorCode === '29',
      );
    });

    it('builds the gnc.v1 messages, leaving unset a mass whose last MEA is in another unit', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      const net = "MEA+WT+AAA+KGM:48'";
      assert.ok(text.includes(net));
      const count = /UNT\+(\d+)\+/.exec(text)!;
      const changed = text.replace(net, `${net}MEA+WT+AAA+LBR:106'`).replace(count[0], `UNT+${Number(count[1]) + 1}+`);
      const d = unoc.decode(Buffer.from(changed, 'latin1')).declaration!;
      const [first, second] = d.goodsShipment!.goodsItems!;
      assert.ok(first instanceof v1.GoodsItem && first.commodity instanceof v1.Commodity);
      assert.ok(first.quantity instanceof v1.Quantity && first.customsValue instanceof v1.Amount);
      assert.ok(d.declarant instanceof v1.Party && d.declarant.address instanceof v1.Address);
      assert.ok(d.invoiceAmount instanceof v1.Amount);
      assert.ok(d.consignment!.transportEquipment![0] instanceof v1.TransportEquipment);
      assert.ok(d.consignment!.transportEquipment![0].seals[0] instanceof v1.Seal);
      assert.ok(d.consignment!.departureTransportMeans instanceof v1.TransportMeans);
      assert.equal(first.grossMassKg, '60.500');
      assert.ok(!Object.prototype.hasOwnProperty.call(first, 'netMassKg'));
      assert.equal(first.netMassKg, '');
      assert.equal(second!.netMassKg, '96');
      assert.deepEqual(
        semantic(unoc.decode(Buffer.from(text, 'latin1'))),
        canonical(unoc.decode(Buffer.from(text, 'latin1'))),
      );
    });

    it('refuses a date/time that is no instant, and reads 29 February of a leap year', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      const issued = 'DTM+137:20260414023000:204';
      assert.ok(text.includes(issued));
      const withDate = (dtm: string): Buffer => Buffer.from(text.replace(issued, dtm), 'latin1');
      const leap = unoc.decode(withDate('DTM+137:20240229235959:204'));
      assert.equal(Number(leap.declaration!.issuedAtMs), Date.UTC(2024, 1, 29, 23, 59, 59));
      assert.equal(
        Number(unoc.decode(withDate('DTM+137:20001231:102')).declaration!.issuedAtMs),
        Date.UTC(2000, 11, 31),
      );
      for (const bad of [
        'DTM+137:20260229023000:204', // 2026 is no leap year
        'DTM+137:21000229:102', // nor is 2100
        'DTM+137:20261301023000:204',
        'DTM+137:20260001023000:204',
        'DTM+137:20260431023000:204',
        'DTM+137:20260400023000:204',
        'DTM+137:20260414243000:204',
        'DTM+137:20260414026000:204',
        'DTM+137:20260414023060:204',
        'DTM+137:19691231235959:204',
      ]) {
        assert.throws(
          () => unoc.decode(withDate(bad)),
          (err: unknown) =>
            err instanceof EdifactSyntaxError &&
            err.position.segment === 'DTM' &&
            err.position.element === 'C507/2380' &&
            /is not a valid date\/time/.test(err.message),
          bad,
        );
      }
    });

    it('refuses two messages in decode and reads them all with decodeEdifactInterchange', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      const message = /UNH\+1\+.*UNT\+\d+\+1'/.exec(text)![0];
      const two = text
        .replace(message, message + message.replace('UNH+1+', 'UNH+2+').replace(/\+1'$/, "+2'"))
        .replace(/UNZ\+1\+/, 'UNZ+2+');
      assert.throws(() => unoc.decode(Buffer.from(two, 'latin1')), /carries 2 messages/);
      assert.equal(decodeEdifactInterchange(Buffer.from(two, 'latin1')).length, 2);
    });

    it('answers every truncation of an encoded declaration with a decode or FormatInvalidError', () => {
      const bytes = unoc.encode(latinDeclaration());
      for (let cut = 0; cut < bytes.length; cut++) decodeOrTyped(unoc, bytes.subarray(0, cut));
      assert.throws(() => unoc.decode(bytes.subarray(0, bytes.length >> 1)), FormatInvalidError);
    });

    it('survives a bounded random fuzz (1 s): mutations, splices and random bytes, no crash, no hang', () => {
      const seeds = [unoc.encode(latinDeclaration()), unow.encode(sampleEnvelopes().declaration!)].map((b) =>
        Buffer.from(b),
      );
      const specials = Buffer.from("'+:?*\r\nUNHUNTUNZ0123456789");
      const deadline = Date.now() + 1000;
      let runs = 0;
      while (Date.now() < deadline) {
        const seed = seeds[runs % seeds.length]!;
        let input: Buffer;
        if (runs % 5 === 4) input = randomBytes(Math.floor(Math.random() * 512));
        else {
          input = Buffer.from(seed);
          for (let e = 0; e <= runs % 6; e++) {
            const at = Math.floor(Math.random() * input.length);
            input[at] =
              runs % 2 ? specials[Math.floor(Math.random() * specials.length)]! : Math.floor(Math.random() * 256);
          }
          if (runs % 3 === 0) input = input.subarray(0, Math.floor(Math.random() * input.length));
        }
        const started = Date.now();
        decodeOrTyped(runs % 2 ? unoc : unow, input);
        assert.ok(Date.now() - started < 250, `fuzz ${runs} took ${Date.now() - started} ms`);
        runs++;
      }
      assert.ok(runs > 100, `only ${runs} runs`);
    });
  });

  describe('options', () => {
    it('refuses unknown options and values with every problem listed', () => {
      assert.throws(() => edifactFormat({ directory: 'D01B', syntaxVersion: 2, colour: 'red' }), ConfigError);
      assert.throws(() => edifactFormat({ syntaxIdentifier: 'UNOW', syntaxVersion: 3 }), /syntax version 4 only/);
    });
  });

  describe('CONTRL', () => {
    it('acknowledges a good interchange and reads the acknowledgement back', () => {
      const received = unoc.encode(latinDeclaration());
      const contrl = acknowledge(received, { controlReference: 'ACK1', preparedAtMs: Date.UTC(2026, 3, 14) })!;
      const x = parseInterchange(contrl);
      assert.equal(x.sender.id, 'NL-DCA');
      const report = parseContrl(x.messages[0]!);
      assert.equal(report.interchangeReference, parseInterchange(received).controlReference);
      assert.equal(report.action, '7');
      assert.deepEqual(
        report.messages.map((m) => [m.reference, m.type, m.action]),
        [['1', 'CUSDEC', '7']],
      );
    });

    it('rejects an interchange with a wrong UNT count at interchange level, naming UNT', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration()))
        .toString('latin1')
        .replace(/UNT\+\d+/, 'UNT+3');
      const contrl = acknowledge(Buffer.from(text, 'latin1'), { controlReference: 'ACK2', preparedAtMs: 0 })!;
      const report = parseContrl(parseInterchange(contrl).messages[0]!);
      assert.equal(report.action, '4');
      assert.deepEqual(report.error, {
        code: '29',
        segmentTag: 'UNT',
        elementPosition: 1,
        componentPosition: undefined,
      });
    });

    it('rejects a message whose structure is wrong with UCM 4 and the segment position', () => {
      const text = Buffer.from(unoc.encode(latinDeclaration())).toString('latin1');
      const bad = text.replace("UNS+S'", '').replace(/UNT\+(\d+)/, (_m, n: string) => `UNT+${Number(n) - 1}`);
      const report = parseContrl(
        parseInterchange(acknowledge(Buffer.from(bad, 'latin1'), { controlReference: 'A3', preparedAtMs: 0 })!)
          .messages[0]!,
      );
      assert.equal(report.messages[0]?.action, '4');
      assert.equal(report.messages[0]?.errors[0]?.code, '13');
    });
  });
});

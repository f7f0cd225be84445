import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GncError } from '../../../node/src/errors.js';
import {
  DECIMAL_PATTERN,
  FormatInvalidError,
  decodeMessage,
  encodeMessage,
  epochMillis,
  fromJsonObject,
  gnc,
  toJsonObject,
  typeName,
  verifyMessage,
} from '../../../node/src/canonical/index.js';

const { v1 } = gnc;

const LODGED_AT = Date.UTC(2026, 3, 14, 2, 30, 0); // 2026-04-14T02:30:00Z
const SENT_AT = LODGED_AT + 95_000;

function goodsItem(
  seq: number,
  hsCode: string,
  description: string,
  count: string,
  gross: string,
  net: string,
  value: string,
): gnc.v1.IGoodsItem {
  return {
    sequenceNumeric: seq,
    commodity: { description, hsCode, classificationTypeCode: 'TSP' },
    quantity: { value: count, unitCode: 'NAR' },
    grossMassKg: gross,
    netMassKg: net,
    customsValue: { value, currencyCode: 'USD' },
    originCountryCode: 'CN',
    packageQuantity: 1 + seq,
    packageTypeCode: 'CT',
    procedureCode: '1000',
    valuationMethodCode: '1',
  };
}

/** An export from Shenzhen to Rotterdam, five lines, one sealed container. */
function exportDeclaration(): gnc.v1.IDeclaration {
  return {
    lrn: 'SZX-EXP-2026-000417',
    mrn: '26CN5301E000123456',
    type: v1.DeclarationType.DECLARATION_TYPE_EX,
    additionalTypeCode: 'A',
    status: v1.DeclarationStatus.DECLARATION_STATUS_RELEASED,
    lane: v1.Lane.LANE_GREEN,
    officeOfLodgementId: 'CN5301',
    issuedAtMs: LODGED_AT,
    declarant: {
      id: '91440300MA5EXAMPLE',
      idScheme: 'USCC',
      name: 'Shenzhen Example Customs Brokerage Co., Ltd.',
      address: { line: '1 Haitian Road', cityName: 'Shenzhen', postcodeId: '518000', countryCode: 'CN' },
    },
    exporter: {
      id: '91440300MA5EXPORT',
      idScheme: 'USCC',
      name: 'Example Electronics Manufacturing Co., Ltd.',
      address: { line: '88 Keji Road', cityName: 'Shenzhen', postcodeId: '518057', countryCode: 'CN' },
      aeoAuthorisationId: 'AEOCN4403000001',
      aeoIssuingAdministrationId: 'CN-GACC',
    },
    importer: {
      id: 'NL123456789000',
      idScheme: 'EORI',
      name: 'Example Distribution B.V.',
      address: { line: 'Havenweg 12', cityName: 'Rotterdam', postcodeId: '3089 JA', countryCode: 'NL' },
      aeoAuthorisationId: 'NLAEOF00000001',
      aeoIssuingAdministrationId: 'NL-DCA',
    },
    consignment: {
      transportDocumentId: 'COSU6234567890',
      departureTransportMeans: {
        id: '9795610',
        identificationTypeCode: '10',
        name: 'EXAMPLE STAR',
        modeCode: '1',
        registrationNationalityCode: 'HK',
      },
      borderTransportMeans: { id: '9795610', identificationTypeCode: '10', modeCode: '1' },
      transportEquipment: [
        {
          id: 'CSQU3054383',
          sizeTypeCode: '45G1',
          seals: [{ id: 'CN-ES-00098121', electronic: true, deviceId: 'ESEAL-7F3A21' }],
        },
      ],
      loadingLocationId: 'CNSZX',
      unloadingLocationId: 'NLRTM',
      containerised: true,
      borderOfficeId: 'CN5316',
    },
    goodsShipment: {
      exportCountryCode: 'CN',
      destinationCountryCode: 'NL',
      transactionNatureCode: '11',
      tradeTermsCode: 'FOB',
      goodsItems: [
        goodsItem(1, '8517130000', 'Smartphones, 128 GB', '1200', '540.000', '372.500', '318000.00'),
        goodsItem(2, '8471300000', 'Portable computers, 14 inch', '300', '720.400', '486.000', '171000.00'),
        goodsItem(3, '9405420000', 'LED luminaires for indoor use', '2500', '1860.250', '1502.125', '23750.00'),
        goodsItem(4, '6109100011', 'Cotton T-shirts, knitted, men', '6000', '1320.000', '1140.000', '16800.00'),
        goodsItem(5, '8507600090', 'Lithium-ion battery packs', '800', '410.800', '352.000', '28000.50'),
      ],
    },
    version: 0,
    administrationId: 'CN-GACC',
    invoiceAmount: { value: '557550.50', currencyCode: 'USD' },
    totalPackageQuantity: 20,
    statusChangedAtMs: LODGED_AT + 60_000,
  };
}

function envelopeWith(declaration: gnc.v1.IDeclaration): gnc.v1.IEnvelope {
  return {
    header: {
      messageId: '0f5c2a3e-6b1d-4c8e-9a57-2d4e1b6f8c90',
      correlationId: '',
      senderId: 'CN-GACC',
      receiverId: 'NL-DCA',
      utilityBlockId: 'UB-EXPORT-IMPORT',
      utilityBlockVersion: '1.0',
      createdAtMs: SENT_AT,
    },
    declaration,
  };
}

describe('gnc.v1 schema', () => {
  describe('Declaration', () => {
    it('round-trips an export declaration with five goods items', () => {
      const bytes = encodeMessage(v1.Declaration, exportDeclaration());
      const decoded = decodeMessage(v1.Declaration, bytes);

      assert.equal(decoded.type, v1.DeclarationType.DECLARATION_TYPE_EX);
      assert.equal(decoded.lane, v1.Lane.LANE_GREEN);
      assert.equal(epochMillis(decoded.issuedAtMs), LODGED_AT);
      const items = decoded.goodsShipment?.goodsItems ?? [];
      assert.equal(items.length, 5);
      assert.deepEqual(
        items.map((i) => i.commodity?.hsCode),
        ['8517130000', '8471300000', '9405420000', '6109100011', '8507600090'],
      );
      assert.deepEqual(items[4]?.customsValue, v1.Amount.create({ value: '28000.50', currencyCode: 'USD' }));
      assert.equal(items[2]?.netMassKg, '1502.125');
      assert.equal(decoded.consignment?.transportEquipment?.[0]?.seals?.[0]?.id, 'CN-ES-00098121');
      assert.equal(decoded.exporter?.aeoAuthorisationId, 'AEOCN4403000001');
      assert.equal(decoded.importer?.idScheme, 'EORI');

      // Re-encoding the decoded message reproduces the bytes.
      assert.ok(Buffer.from(encodeMessage(v1.Declaration, decoded)).equals(bytes));
    });

    it('keeps every money and mass value a valid decimal string', () => {
      const items = exportDeclaration().goodsShipment?.goodsItems ?? [];
      for (const item of items) {
        for (const value of [item.grossMassKg, item.netMassKg, item.customsValue?.value, item.quantity?.value]) {
          assert.match(value ?? '', DECIMAL_PATTERN);
        }
      }
      assert.doesNotMatch('1e3', DECIMAL_PATTERN);
      assert.doesNotMatch('-5.00', DECIMAL_PATTERN);
      assert.doesNotMatch('1,000.00', DECIMAL_PATTERN);
    });
  });

  describe('Envelope', () => {
    it('carries a declaration as its body', () => {
      const bytes = encodeMessage(v1.Envelope, envelopeWith(exportDeclaration()));
      const envelope = decodeMessage(v1.Envelope, bytes);

      assert.equal(envelope.body, 'declaration');
      assert.equal(envelope.inspection, null);
      assert.equal(envelope.header?.senderId, 'CN-GACC');
      assert.equal(epochMillis(envelope.header?.createdAtMs, 'createdAtMs'), SENT_AT);
      assert.equal(envelope.declaration?.goodsShipment?.goodsItems?.length, 5);
      assert.equal(typeName(v1.Envelope), 'gnc.v1.Envelope');
    });

    it('carries a signed receipt whose info is kept as the signed bytes', () => {
      const received = encodeMessage(v1.Envelope, envelopeWith(exportDeclaration()));
      const info = encodeMessage(v1.ReceiptInfo, {
        messageId: '0f5c2a3e-6b1d-4c8e-9a57-2d4e1b6f8c90',
        digestAlgorithm: v1.DigestAlgorithm.DIGEST_ALGORITHM_SHA256,
        receivedDigest: createHash('sha256').update(received).digest(),
        receivedAtMs: SENT_AT + 40,
        receiverId: 'NL-DCA',
        senderId: 'CN-GACC',
        outcome: v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED,
      });
      const bytes = encodeMessage(v1.Envelope, {
        header: {
          messageId: 'b7e0c1d2-0000-4000-8000-000000000001',
          correlationId: '0f5c2a3e-6b1d-4c8e-9a57-2d4e1b6f8c90',
        },
        receipt: { receiptInfo: info, signatureAlgorithm: 'ES256', signature: new Uint8Array(64).fill(7) },
      });

      const receipt = decodeMessage(v1.Envelope, bytes).receipt;
      assert.ok(receipt?.receiptInfo);
      assert.ok(Buffer.from(receipt.receiptInfo).equals(info));
      const opened = decodeMessage(v1.ReceiptInfo, receipt.receiptInfo);
      assert.equal(opened.outcome, v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED);
      assert.equal(
        Buffer.from(opened.receivedDigest).toString('hex'),
        createHash('sha256').update(received).digest('hex'),
      );
    });
  });

  describe('verifyMessage', () => {
    it('accepts a well-formed envelope', () => {
      assert.doesNotThrow(() => verifyMessage(v1.Envelope, envelopeWith(exportDeclaration())));
    });

    it('rejects a field of the wrong type, naming it', () => {
      const bad = { ...exportDeclaration(), lrn: 417 } as unknown as gnc.v1.IDeclaration;
      assert.throws(
        () => verifyMessage(v1.Declaration, bad),
        (err: unknown) =>
          err instanceof FormatInvalidError &&
          err.code === 'GNC_FORMAT_INVALID' &&
          err.messageType === 'gnc.v1.Declaration' &&
          /lrn: string expected/.test(err.message),
      );
    });

    it('rejects an enum number the schema does not define', () => {
      const bad = { ...exportDeclaration(), type: 42 as gnc.v1.DeclarationType };
      assert.throws(() => verifyMessage(v1.Declaration, bad), /type: enum value expected/);
    });

    it('rejects a wrong type deep inside the envelope body', () => {
      const declaration = exportDeclaration();
      const item = declaration.goodsShipment?.goodsItems?.[3];
      assert.ok(item);
      (item as Record<string, unknown>).customsValue = 16800.0; // a float where an Amount belongs
      assert.throws(() => verifyMessage(v1.Envelope, envelopeWith(declaration)), /customsValue/);
    });
  });

  describe('decodeMessage', () => {
    const cases: [string, Uint8Array][] = [
      ['a length prefix beyond the end', Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0x0f, 0x41)],
      ['an invalid wire type', Uint8Array.of(0x0f, 0x01, 0x02)],
      ['a varint that never ends', new Uint8Array(16).fill(0xff)],
    ];
    for (const [what, garbage] of cases) {
      it(`throws GNC_FORMAT_INVALID for ${what}`, () => {
        assert.throws(
          () => decodeMessage(v1.Envelope, garbage),
          (err: unknown) =>
            err instanceof FormatInvalidError &&
            err instanceof GncError &&
            err.code === 'GNC_FORMAT_INVALID' &&
            err.httpStatus === 400 &&
            err.cause instanceof Error,
        );
      });
    }

    it('throws GNC_FORMAT_INVALID for a truncated envelope', () => {
      const bytes = encodeMessage(v1.Envelope, envelopeWith(exportDeclaration()));
      assert.throws(() => decodeMessage(v1.Envelope, bytes.subarray(0, bytes.length >> 1)), FormatInvalidError);
    });
  });

  describe('toJsonObject / fromJsonObject', () => {
    it('writes int64 and enums as strings, bytes as base64', () => {
      const envelope = decodeMessage(v1.Envelope, encodeMessage(v1.Envelope, envelopeWith(exportDeclaration())));
      const json = toJsonObject(v1.Envelope, envelope) as {
        header: { createdAtMs: unknown };
        declaration: { type: unknown; issuedAtMs: unknown; lane: unknown };
      };
      assert.equal(json.header.createdAtMs, String(SENT_AT));
      assert.equal(json.declaration.issuedAtMs, String(LODGED_AT));
      assert.equal(json.declaration.type, 'DECLARATION_TYPE_EX');
      assert.equal(json.declaration.lane, 'LANE_GREEN');

      const anchor = v1.MessageBatchAnchor.create({ batchId: 'b-1', merkleRoot: Uint8Array.of(1, 2, 3, 250) });
      assert.equal(toJsonObject(v1.MessageBatchAnchor, anchor).merkleRoot, 'AQID+g==');
    });

    it('is stable: JSON text and bytes survive a round trip unchanged', () => {
      const bytes = encodeMessage(v1.Envelope, envelopeWith(exportDeclaration()));
      const text = JSON.stringify(toJsonObject(v1.Envelope, decodeMessage(v1.Envelope, bytes)));

      const back = fromJsonObject(v1.Envelope, JSON.parse(text));
      assert.ok(Buffer.from(encodeMessage(v1.Envelope, back)).equals(bytes));
      assert.equal(JSON.stringify(toJsonObject(v1.Envelope, back)), text);
      assert.equal(epochMillis(back.header?.createdAtMs), SENT_AT);
    });

    it('refuses something that is not an object', () => {
      assert.throws(() => fromJsonObject(v1.Envelope, [1, 2]), FormatInvalidError);
      assert.throws(() => fromJsonObject(v1.Envelope, 'envelope'), FormatInvalidError);
      assert.throws(() => fromJsonObject(v1.Envelope, { header: 7 }), FormatInvalidError);
    });
  });

  describe('epochMillis', () => {
    it('refuses an int64 instant beyond the safe integer range', () => {
      const header = fromJsonObject(v1.MessageHeader, { createdAtMs: '9007199254740993' }); // 2^53 + 1
      const decoded = decodeMessage(v1.MessageHeader, encodeMessage(v1.MessageHeader, header));
      assert.throws(() => epochMillis(decoded.createdAtMs, 'createdAtMs'), FormatInvalidError);
      assert.equal(
        epochMillis(fromJsonObject(v1.MessageHeader, { createdAtMs: '1776133800000' }).createdAtMs),
        1776133800000,
      );
    });
  });
});

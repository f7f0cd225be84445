/**
 * The contract every message format passes (adapters/format/message-format.ts): every body kind
 * survives encode -> decode unchanged, and garbage, truncated or wrong-typed input is answered
 * with FormatInvalidError (GNC_FORMAT_INVALID), never a crash or a hang.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import type { MessageFormat, MessageFormatFactory } from '../../adapters/format/message-format';
import { FormatInvalidError, encodeMessage, gnc } from '../../node/src/canonical';

const { v1 } = gnc;
const AT = Date.UTC(2026, 3, 14, 2, 30, 0);

function header(id: string): gnc.v1.IMessageHeader {
  return {
    messageId: `0f5c2a3e-6b1d-4c8e-9a57-${id.padStart(12, '0')}`,
    correlationId: '',
    senderId: 'CN-GACC',
    receiverId: 'NL-DCA',
    utilityBlockId: 'UB-EXPORT-IMPORT',
    utilityBlockVersion: '1.0',
    createdAtMs: AT + 95_000,
  };
}

const party = (id: string, name: string, country: string): gnc.v1.IParty => ({
  id,
  idScheme: country === 'CN' ? 'USCC' : 'EORI',
  name,
  address: {
    line: '1 Haitian Road',
    cityName: country === 'CN' ? 'Shenzhen' : 'Rotterdam',
    postcodeId: '518000',
    countryCode: country,
  },
});

/** One Envelope of every body kind, as the suite round-trips them. */
export function sampleEnvelopes(): Record<string, gnc.v1.IEnvelope> {
  const declaration: gnc.v1.IDeclaration = {
    lrn: 'SZX-EXP-2026-000417',
    mrn: '26CN5301E000123456',
    type: v1.DeclarationType.DECLARATION_TYPE_EX,
    status: v1.DeclarationStatus.DECLARATION_STATUS_RELEASED,
    lane: v1.Lane.LANE_GREEN,
    officeOfLodgementId: 'CN5301',
    issuedAtMs: AT,
    declarant: party('91440300MA5EXAMPLE', 'Shenzhen Example Customs Brokerage Co., Ltd.', 'CN'),
    exporter: {
      ...party('91440300MA5EXPORT', 'Example Electronics — 深圳', 'CN'),
      aeoAuthorisationId: 'AEOCN4403000001',
    },
    importer: party('NL123456789000', 'Example Distribution B.V.', 'NL'),
    consignment: {
      transportDocumentId: 'COSU6234567890',
      departureTransportMeans: { id: '9795610', identificationTypeCode: '10', name: 'EXAMPLE STAR', modeCode: '1' },
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
    },
    goodsShipment: {
      exportCountryCode: 'CN',
      destinationCountryCode: 'NL',
      goodsItems: [1, 2, 3, 4, 5].map((n) => ({
        sequenceNumeric: n,
        commodity: { description: `Smartphones, lot ${n}`, hsCode: '8517130000' },
        quantity: { value: String(120 * n), unitCode: 'NAR' },
        grossMassKg: `${60 * n}.500`,
        netMassKg: `${48 * n}`,
        customsValue: { value: `${31800 * n}.00`, currencyCode: 'USD' },
        originCountryCode: 'CN',
        packageQuantity: n,
      })),
    },
    version: 3,
    administrationId: 'CN-GACC',
    invoiceAmount: { value: '557550.50', currencyCode: 'USD' },
    statusChangedAtMs: AT + 60_000,
  };
  const inspection: gnc.v1.IInspection = {
    inspectionId: 'INS-2026-000991',
    declarationMrn: '26CN5301E000123456',
    method: v1.InspectionMethod.INSPECTION_METHOD_XRAY_CONTAINER_SCAN,
    officeId: 'CN5316',
    startedAtMs: AT + 3_600_000,
    completedAtMs: AT + 3_900_000,
    containerId: 'CSQU3054383',
    scanImages: [
      {
        imageSha256: createHash('sha256').update('scan').digest(),
        storageUri: 's3://scans/1.tiff',
        mediaType: 'image/tiff',
        capturedAtMs: AT + 3_700_000,
      },
    ],
    findings: [
      {
        label: 'iPhone',
        hsCode: '851713',
        count: 120,
        confidenceBp: 9712,
        model: { name: 'xray-det', version: '4.2' },
        region: 'rear',
      },
    ],
    comparison: [
      {
        goodsItemSequence: 1,
        hsCode: '8517130000',
        declaredQuantity: { value: '120', unitCode: 'NAR' },
        detectedQuantity: { value: '120', unitCode: 'NAR' },
        result: v1.ComparisonResult.COMPARISON_RESULT_MATCH,
      },
    ],
    verdict: {
      officerId: 'OFF-77',
      verdict: v1.InspectionVerdict.INSPECTION_VERDICT_CONSISTENT,
      remarks: '120 iPhones detected in the rear of the truck',
      decidedAtMs: AT + 4_000_000,
    },
    administrationId: 'CN-GACC',
  };
  const sealEvent: gnc.v1.ISealEvent = {
    eventId: 'SE-1',
    sealId: 'CN-ES-00098121',
    type: v1.SealEventType.SEAL_EVENT_TYPE_CHECKED_INTACT,
    occurredAtMs: AT + 7_200_000,
    siteId: 'CNSZX-T3',
    deviceId: 'ESEAL-7F3A21',
    containerId: 'CSQU3054383',
    position: { latitude: '22.4862', longitude: '113.8831' },
    administrationId: 'CN-GACC',
    previousEventId: 'SE-0',
  };
  const aeo: gnc.v1.IAeoCertificate = {
    certificateId: 'AEOCN4403000001',
    holder: party('91440300MA5EXPORT', 'Example Electronics', 'CN'),
    issuingAdministrationId: 'CN-GACC',
    status: v1.AeoStatus.AEO_STATUS_ISSUED,
    typeCode: 'AEOF',
    issuedAtMs: AT - 86_400_000 * 365,
    mraPartnerIds: ['NL-DCA', 'SG-SC'],
  };
  const anchor: gnc.v1.IMessageBatchAnchor = {
    batchId: 'B-000042',
    merkleRoot: createHash('sha256').update('root').digest(),
    digestAlgorithm: v1.DigestAlgorithm.DIGEST_ALGORITHM_SHA256,
    messageCount: 1024,
    partnerId: 'NL-DCA',
    firstMessageAtMs: AT,
    lastMessageAtMs: AT + 1000,
    administrationId: 'CN-GACC',
  };
  const receipt: gnc.v1.IReceipt = {
    receiptInfo: encodeMessage(v1.ReceiptInfo, {
      messageId: 'm-1',
      digestAlgorithm: v1.DigestAlgorithm.DIGEST_ALGORITHM_SHA256,
      receivedDigest: createHash('sha256').update('m').digest(),
      receivedAtMs: AT + 40,
      receiverId: 'NL-DCA',
      senderId: 'CN-GACC',
      outcome: v1.ReceiptOutcome.RECEIPT_OUTCOME_ACCEPTED,
    }),
    signatureAlgorithm: 'ES256',
    signature: randomBytes(64),
    signerKeyId: 'ab'.repeat(32),
  };
  return {
    declaration: { header: header('1'), declaration },
    inspection: { header: header('2'), inspection },
    sealEvent: { header: header('3'), sealEvent },
    aeoCertificate: { header: header('4'), aeoCertificate: aeo },
    batchAnchor: { header: header('5'), batchAnchor: anchor },
    receipt: { header: { ...header('6'), correlationId: 'm-1' }, receipt },
  };
}

/** Every field, defaults included, in a JSON-safe form that deepEqual compares by value. */
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

function assertInvalid(format: MessageFormat, bytes: Uint8Array, what: string): void {
  try {
    format.decode(bytes);
  } catch (err) {
    assert.ok(err instanceof FormatInvalidError, `${what}: expected FormatInvalidError, got ${String(err)}`);
    assert.equal(err.code, 'GNC_FORMAT_INVALID');
    assert.equal(err.httpStatus, 400);
    return;
  }
  assert.fail(`${what}: decoded without error`);
}

/** Either decodes or throws FormatInvalidError; anything else fails the test. */
function decodeOrTyped(format: MessageFormat, bytes: Uint8Array, what: string): void {
  try {
    format.decode(bytes);
  } catch (err) {
    assert.ok(err instanceof FormatInvalidError, `${what}: untyped error ${String(err)}`);
  }
}

/** Runs the message format contract for `name`. */
export function runFormatSuite(name: string, factory: MessageFormatFactory, init: Record<string, unknown> = {}): void {
  describe(`MessageFormat compliance: ${name}`, () => {
    const format = factory(init)({});
    const samples = sampleEnvelopes();

    it('names itself and a content type', () => {
      assert.equal(format.name, name);
      assert.match(format.contentType, /^[a-z]+\/[a-z0-9.+-]+/);
    });

    describe('round trip', () => {
      for (const [kind, envelope] of Object.entries(samples)) {
        it(`keeps a ${kind} envelope unchanged`, () => {
          const bytes = format.encode(envelope);
          const decoded = format.decode(bytes);
          assert.equal(decoded.body, kind);
          // Compared field by field with every default filled in: a plain object may carry proto3
          // defaults ('' or 0) explicitly that a decoded message leaves implicit; both mean the same.
          assert.deepEqual(semantic(decoded), semantic(v1.Envelope.decode(encodeMessage(v1.Envelope, envelope))));
          // Encoding a decoded message is deterministic.
          const again = format.encode(decoded);
          assert.ok(Buffer.from(format.encode(format.decode(again))).equals(again));
        });
      }

      it('carries the declaration with its 5 goods items, decimals and instants exactly', () => {
        const decoded = format.decode(format.encode(samples.declaration!));
        const items = decoded.declaration?.goodsShipment?.goodsItems ?? [];
        assert.equal(items.length, 5);
        assert.equal(items[4]?.grossMassKg, '300.500');
        assert.equal(decoded.declaration?.exporter?.name, 'Example Electronics — 深圳');
        assert.equal(String(decoded.header?.createdAtMs), String(AT + 95_000));
      });
    });

    describe('invalid input', () => {
      it('refuses empty, garbage and text input with FormatInvalidError', () => {
        assertInvalid(format, new Uint8Array(0), 'empty');
        assertInvalid(format, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 'garbage');
        assertInvalid(format, Buffer.from('<Declaration/>'), 'xml');
        assertInvalid(format, Buffer.from('null'), 'null');
        assertInvalid(format, Buffer.from('[]'), 'array');
      });

      it('refuses an envelope without header or without body', () => {
        assert.throws(
          () => format.decode(format.encode({ declaration: samples.declaration!.declaration })),
          FormatInvalidError,
        );
        assert.throws(() => format.decode(format.encode({ header: header('9') })), FormatInvalidError);
      });

      it('refuses to encode a wrongly typed envelope', () => {
        const bad = { header: { ...header('7'), createdAtMs: 'yesterday' } } as unknown as gnc.v1.IEnvelope;
        assert.throws(() => format.encode(bad), FormatInvalidError);
      });

      it('refuses input above maxBytes', () => {
        const small = factory({ ...init, maxBytes: 64 })({});
        assertInvalid(small, format.encode(samples.declaration!), 'oversize');
      });

      it('answers every truncation of an encoded declaration with a decode or FormatInvalidError', () => {
        const bytes = format.encode(samples.declaration!);
        for (let cut = 0; cut < bytes.length; cut++) decodeOrTyped(format, bytes.subarray(0, cut), `cut at ${cut}`);
        assertInvalid(format, bytes.subarray(0, Math.floor(bytes.length / 2)), 'half');
      });

      it('survives a bounded random fuzz (~1 s): mutations and random bytes, no crash, no hang', () => {
        const seeds = Object.values(samples).map((e) => Buffer.from(format.encode(e)));
        const deadline = Date.now() + 1000;
        let runs = 0;
        while (Date.now() < deadline) {
          const seed = seeds[runs % seeds.length]!;
          let input: Buffer;
          if (runs % 4 === 3) {
            input = randomBytes(Math.floor(Math.random() * 512));
          } else {
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
  });
}

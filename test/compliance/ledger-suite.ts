import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LedgerClient } from '../../node/src/ledger/ledger-client';
import {
  collectEvents,
  commitment,
  decodeJson,
  evaluateJson,
  expectRefused,
  newSalt,
  sha256Hex,
  submitJson,
  uniqueId,
  uniqueTrader,
} from './ledger-helpers';
import { containerId, sampleDeclaration, type DeclarationRecord, type HistoryEntry } from './sample-data';

export type OrgName = 'customsA' | 'customsB' | 'auditor';
export type Role = 'single-window' | 'officer' | 'auditor' | 'none';

/**
 * What an implementation hands the suite. `client(org, role)` acts as a member of `org` whose
 * certificate carries attribute role=<role> ('none': no role attribute at all). The auditor
 * org's members are used with role 'auditor'. customsA and customsB are members of the
 * AgreementAB private data collection; the auditor org is not.
 */
export interface LedgerFixture {
  client(org: OrgName, role: Role): LedgerClient;
  mspIdOf(org: OrgName): string;
  teardown(): Promise<void>;
}

const CHAINCODE_NAME = 'gnc';
const COLLECTION = 'AgreementAB';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

interface InspectionRecord {
  id: string;
  declarationId?: string;
  verdict: string;
  recordedByMsp: string;
  clearedFlags: string[];
  comparison?: {
    basis: string;
    lines: Array<{
      heading: string;
      declaredQuantity: number;
      detectedCount: number;
      difference: number;
      status: string;
    }>;
    undeclaredHeadings: string[];
    missingHeadings: string[];
    discrepancy: boolean;
  };
}

interface SealRecord {
  sealId: string;
  status: string;
  declarationId?: string;
  custody: Array<{ type: string; site: string; deviceId: string; mspId: string; txId: string }>;
}

interface AeoStatus {
  certificateNumber: string;
  holderId: string;
  status: string;
  issuerMsp: string;
}

interface AnchorRecord {
  batchId: string;
  merkleRoot: string;
  messageCount: number;
  anchoredByMsp: string;
  txId: string;
}

/**
 * The contract compliance suite: every LedgerClient implementation (embedded, fabric-gateway,
 * fabric-network) must pass it unchanged. Ids are unique per run, so it can run repeatedly
 * against one long-lived network.
 */
export function runLedgerComplianceSuite(implementationName: string, setup: () => Promise<LedgerFixture>): void {
  describe(`LedgerClient contract compliance (${implementationName})`, function () {
    this.timeout(120_000);
    let fixture: LedgerFixture;

    before(async function () {
      fixture = await setup();
    });

    after(async function () {
      await fixture?.teardown();
    });

    const sw = (org: OrgName = 'customsA') => fixture.client(org, 'single-window');
    const officer = (org: OrgName = 'customsA') => fixture.client(org, 'officer');
    const auditor = () => fixture.client('auditor', 'auditor');

    async function lodge(overrides: Parameters<typeof sampleDeclaration>[0] = {}, org: OrgName = 'customsA') {
      const input = sampleDeclaration(overrides);
      const { tx, value } = await submitJson<DeclarationRecord>(sw(org), 'Declaration', 'Lodge', [input]);
      return { input, tx, record: value };
    }

    async function getDeclaration(id: string, client: LedgerClient = auditor()): Promise<DeclarationRecord> {
      return evaluateJson<DeclarationRecord>(client, 'Declaration', 'GetDeclaration', [id]);
    }

    async function history<T>(key: string): Promise<Array<HistoryEntry<T>>> {
      return evaluateJson<Array<HistoryEntry<T>>>(auditor(), 'Record', 'History', [key]);
    }

    function inspection(declarationId: string | undefined, verdict: string, findings: object[] = []) {
      return {
        id: uniqueId('INS'),
        declarationId,
        method: 'XRAY_CONTAINER_SCAN',
        image: { sha256: randomBytes(32).toString('hex'), uri: `s3://scans/${randomBytes(4).toString('hex')}.png` },
        findings,
        verdict,
      };
    }

    describe('declaration lifecycle', function () {
      it('goes LODGED -> LANE_ASSIGNED -> RELEASED -> DUTY_ASSESSED -> PAID -> CLOSED', async function () {
        const { input, record } = await lodge();
        assert.equal(record.status, 'LODGED');
        assert.equal(record.id, input.id);
        assert.equal(record.ownerMsp, fixture.mspIdOf('customsA'));
        assert.equal(record.amendment, 0);
        assert.deepEqual(record.goodsItems, input.goodsItems);
        assert.match(record.lodgedAt, ISO_TIME);

        const laned = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'AssignLane', [input.id, 'GREEN']);
        assert.equal(laned.value.status, 'LANE_ASSIGNED');
        assert.equal(laned.value.lane, 'GREEN');

        const released = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Release', [input.id]);
        assert.equal(released.value.status, 'RELEASED');

        const assessed = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'AssessDuty', [
          input.id,
          '100.50',
          'EUR',
        ]);
        assert.equal(assessed.value.status, 'DUTY_ASSESSED');
        assert.deepEqual(
          { amount: assessed.value.duty?.amount, currency: assessed.value.duty?.currency },
          {
            amount: '100.5',
            currency: 'EUR',
          },
        );

        const partly = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'RecordPayment', [
          input.id,
          '60',
          'EUR',
          'PAY-1',
        ]);
        assert.equal(partly.value.status, 'DUTY_ASSESSED', 'a partial payment leaves duty outstanding');
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Close', [input.id]),
          'PRECONDITION_FAILED',
          input.id,
          'outstanding',
        );
        await expectRefused(
          submitJson(sw(), 'Declaration', 'RecordPayment', [input.id, '50', 'EUR', 'PAY-2']),
          'PRECONDITION_FAILED',
          'exceeds',
        );

        const paid = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'RecordPayment', [
          input.id,
          '40.5',
          'EUR',
          'PAY-2',
        ]);
        assert.equal(paid.value.status, 'PAID');
        assert.deepEqual(
          paid.value.payments.map((p) => [p.reference, p.amount]),
          [
            ['PAY-1', '60'],
            ['PAY-2', '40.5'],
          ],
        );

        const closed = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Close', [input.id]);
        assert.equal(closed.value.status, 'CLOSED');
        const stored = await getDeclaration(input.id);
        assert.equal(stored.status, 'CLOSED');
        assert.equal(stored.lastTxId, closed.tx.txId);
      });

      it('closes straight after release when no duty is assessed, and after a zero assessment', async function () {
        const first = await lodge();
        await submitJson(officer(), 'Declaration', 'AssignLane', [first.input.id, 'GREEN']);
        await submitJson(officer(), 'Declaration', 'Release', [first.input.id]);
        const closed = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Close', [first.input.id]);
        assert.equal(closed.value.status, 'CLOSED');

        const second = await lodge();
        await submitJson(officer(), 'Declaration', 'AssignLane', [second.input.id, 'YELLOW']);
        await submitJson(officer(), 'Declaration', 'Release', [second.input.id]);
        await submitJson(officer(), 'Declaration', 'AssessDuty', [second.input.id, '0', 'EUR']);
        await expectRefused(
          submitJson(sw(), 'Declaration', 'RecordPayment', [second.input.id, '1', 'EUR', 'PAY-0']),
          'PRECONDITION_FAILED',
        );
        const closedZero = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Close', [second.input.id]);
        assert.equal(closedZero.value.status, 'CLOSED');
      });

      it('amends before release: content replaced, amendment counted, back to LODGED without a lane', async function () {
        const { input } = await lodge();
        await submitJson(officer(), 'Declaration', 'AssignLane', [input.id, 'YELLOW']);
        const changed = {
          ...input,
          goodsItems: [{ ...input.goodsItems[0]!, quantity: 12, description: 'Food blenders (corrected)' }],
        };
        const amended = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'Amend', [input.id, changed]);
        assert.equal(amended.value.status, 'LODGED');
        assert.equal(amended.value.amendment, 1);
        assert.equal(amended.value.lane, undefined);
        assert.equal(amended.value.goodsItems[0]?.quantity, 12);
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Amend', [input.id, { ...changed, id: uniqueId('DEC') }]),
          'INVALID_ARGUMENT',
        );
        const stored = await getDeclaration(input.id);
        assert.equal(stored.amendment, 1);
        assert.equal(stored.goodsItems[0]?.description, 'Food blenders (corrected)');
      });

      it('rejects and cancels before release; both are terminal', async function () {
        const rejected = await lodge();
        const r = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Reject', [
          rejected.input.id,
          'incomplete documents',
        ]);
        assert.equal(r.value.status, 'REJECTED');
        assert.equal(r.value.reason, 'incomplete documents');

        const cancelled = await lodge();
        await submitJson(officer(), 'Declaration', 'AssignLane', [cancelled.input.id, 'GREEN']);
        const c = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'Cancel', [
          cancelled.input.id,
          'shipment withdrawn',
        ]);
        assert.equal(c.value.status, 'CANCELLED');

        for (const [id, state] of [
          [rejected.input.id, 'REJECTED'],
          [cancelled.input.id, 'CANCELLED'],
        ] as const) {
          await expectRefused(
            submitJson(officer(), 'Declaration', 'AssignLane', [id, 'GREEN']),
            'INVALID_TRANSITION',
            id,
            `is ${state}`,
          );
          await expectRefused(
            submitJson(officer(), 'Declaration', 'Release', [id]),
            'INVALID_TRANSITION',
            `is ${state}`,
          );
          await expectRefused(
            submitJson(sw(), 'Declaration', 'Cancel', [id, 'again']),
            'INVALID_TRANSITION',
            `is ${state}`,
          );
          await expectRefused(
            submitJson(officer(), 'Declaration', 'Reject', [id, 'again']),
            'INVALID_TRANSITION',
            `is ${state}`,
          );
          await expectRefused(submitJson(officer(), 'Declaration', 'Close', [id]), 'INVALID_TRANSITION', `is ${state}`);
        }
      });

      it('refuses every transition outside the lifecycle, naming the current state', async function () {
        const { input } = await lodge();
        const id = input.id;
        // LODGED
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Release', [id]),
          'INVALID_TRANSITION',
          id,
          'is LODGED',
          'Release',
        );
        await expectRefused(
          submitJson(officer(), 'Declaration', 'AssessDuty', [id, '1', 'EUR']),
          'INVALID_TRANSITION',
          'is LODGED',
        );
        await expectRefused(
          submitJson(sw(), 'Declaration', 'RecordPayment', [id, '1', 'EUR', 'P-1']),
          'INVALID_TRANSITION',
          'is LODGED',
        );
        await expectRefused(submitJson(officer(), 'Declaration', 'Close', [id]), 'INVALID_TRANSITION', 'is LODGED');
        // RELEASED
        await submitJson(officer(), 'Declaration', 'AssignLane', [id, 'GREEN']);
        await submitJson(officer(), 'Declaration', 'Release', [id]);
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Amend', [id, input]),
          'INVALID_TRANSITION',
          `declaration ${id} is RELEASED`,
          'Amend is allowed only in LODGED, LANE_ASSIGNED',
        );
        await expectRefused(
          submitJson(officer(), 'Declaration', 'AssignLane', [id, 'RED']),
          'INVALID_TRANSITION',
          'is RELEASED',
        );
        await expectRefused(submitJson(officer(), 'Declaration', 'Release', [id]), 'INVALID_TRANSITION', 'is RELEASED');
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Reject', [id, 'late']),
          'INVALID_TRANSITION',
          'is RELEASED',
        );
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Cancel', [id, 'late']),
          'INVALID_TRANSITION',
          'is RELEASED',
        );
        await expectRefused(
          submitJson(sw(), 'Declaration', 'RecordPayment', [id, '1', 'EUR', 'P-1']),
          'INVALID_TRANSITION',
          'is RELEASED',
        );
        // DUTY_ASSESSED
        await submitJson(officer(), 'Declaration', 'AssessDuty', [id, '10', 'EUR']);
        await expectRefused(
          submitJson(officer(), 'Declaration', 'AssessDuty', [id, '5', 'EUR']),
          'INVALID_TRANSITION',
          'is DUTY_ASSESSED',
        );
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Release', [id]),
          'INVALID_TRANSITION',
          'is DUTY_ASSESSED',
        );
        // PAID
        await submitJson(sw(), 'Declaration', 'RecordPayment', [id, '10', 'EUR', 'P-1']);
        await expectRefused(
          submitJson(sw(), 'Declaration', 'RecordPayment', [id, '1', 'EUR', 'P-2']),
          'INVALID_TRANSITION',
          'is PAID',
        );
        await expectRefused(submitJson(sw(), 'Declaration', 'Cancel', [id, 'late']), 'INVALID_TRANSITION', 'is PAID');
        // CLOSED
        await submitJson(officer(), 'Declaration', 'Close', [id]);
        await expectRefused(submitJson(officer(), 'Declaration', 'Close', [id]), 'INVALID_TRANSITION', 'is CLOSED');
        await expectRefused(submitJson(sw(), 'Declaration', 'Amend', [id, input]), 'INVALID_TRANSITION', 'is CLOSED');
        await expectRefused(
          submitJson(officer(), 'Declaration', 'AssessDuty', [id, '1', 'EUR']),
          'INVALID_TRANSITION',
          'is CLOSED',
        );
        assert.equal((await getDeclaration(id)).status, 'CLOSED');
      });

      it('refuses invalid content, naming the field', async function () {
        const bad = sampleDeclaration();
        bad.goodsItems[0]!.hsCode = '85AB';
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [bad]),
          'INVALID_ARGUMENT',
          'goodsItems[0].hsCode',
        );
        const badCountry = sampleDeclaration({
          consignment: {
            transport: { mode: 'SEA', containerIds: [] },
            countryOfDispatch: 'CHN',
            countryOfDestination: 'NL',
          },
        });
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [badCountry]),
          'INVALID_ARGUMENT',
          'consignment.countryOfDispatch',
        );
        const negative = sampleDeclaration();
        negative.goodsItems[0]!.quantity = -1;
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [negative]),
          'INVALID_ARGUMENT',
          'goodsItems[0].quantity',
        );
        const withValue = sampleDeclaration();
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [
            { ...withValue, goodsItems: [{ ...withValue.goodsItems[0]!, customsValue: '100' }] },
          ]),
          'INVALID_ARGUMENT',
          'goodsItems[0].customsValue',
          'transient',
        );
        await expectRefused(submitJson(sw(), 'Declaration', 'Lodge', ['{not json']), 'INVALID_ARGUMENT');
        await expectRefused(
          submitJson(officer(), 'Declaration', 'AssessDuty', [uniqueId('DEC'), '1', 'EURO']),
          'INVALID_ARGUMENT',
          'currency',
        );
        await expectRefused(evaluateJson(auditor(), 'Declaration', 'GetDeclaration', [uniqueId('DEC')]), 'NOT_FOUND');
      });
    });

    describe('Lodge idempotency', function () {
      it('returns the existing record for the same content without writing a new version', async function () {
        const { input, tx, record } = await lodge();
        const again = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'Lodge', [input]);
        assert.deepEqual(again.value, record);
        assert.notEqual(again.tx.txId, tx.txId);
        const versions = await history<DeclarationRecord>(`declaration/${input.id}`);
        assert.equal(versions.length, 1);
        assert.equal(versions[0]?.txId, tx.txId);
        const lodged = await evaluateJson<DeclarationRecord[]>(auditor(), 'Declaration', 'ListDeclarationsByTrader', [
          input.declarant.identifier,
        ]);
        assert.deepEqual(
          lodged.map((d) => d.id),
          [input.id],
        );
      });

      it('refuses different content under the same id with CONFLICT', async function () {
        const { input } = await lodge();
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [{ ...input, lrn: 'OTHER-LRN' }]),
          'CONFLICT',
          input.id,
        );
        assert.equal((await getDeclaration(input.id)).lrn, input.lrn);
      });
    });

    describe('access control', function () {
      it('refuses writes with the wrong role, and everything without a role', async function () {
        const input = sampleDeclaration();
        await expectRefused(submitJson(officer(), 'Declaration', 'Lodge', [input]), 'FORBIDDEN', 'officer');
        await expectRefused(submitJson(auditor(), 'Declaration', 'Lodge', [input]), 'FORBIDDEN', 'auditor');
        await expectRefused(
          submitJson(fixture.client('customsA', 'none'), 'Declaration', 'Lodge', [input]),
          'FORBIDDEN',
        );
        await expectRefused(evaluateJson(auditor(), 'Declaration', 'GetDeclaration', [input.id]), 'NOT_FOUND');

        const { record } = await lodge();
        await expectRefused(
          submitJson(sw(), 'Declaration', 'AssignLane', [record.id, 'GREEN']),
          'FORBIDDEN',
          'single-window',
        );
        await expectRefused(submitJson(sw(), 'Declaration', 'Release', [record.id]), 'FORBIDDEN');
        await expectRefused(submitJson(officer(), 'Declaration', 'Cancel', [record.id, 'x']), 'FORBIDDEN', 'officer');
        await expectRefused(
          evaluateJson(fixture.client('customsA', 'none'), 'Declaration', 'GetDeclaration', [record.id]),
          'FORBIDDEN',
        );
        await expectRefused(
          evaluateJson(fixture.client('customsB', 'none'), 'Record', 'History', [`declaration/${record.id}`]),
          'FORBIDDEN',
        );
        assert.equal((await getDeclaration(record.id)).status, 'LODGED');
      });

      it('refuses changes from another administration, naming both MSPs', async function () {
        const { record } = await lodge({}, 'customsA');
        const a = fixture.mspIdOf('customsA');
        const b = fixture.mspIdOf('customsB');
        await expectRefused(
          submitJson(officer('customsB'), 'Declaration', 'AssignLane', [record.id, 'GREEN']),
          'FORBIDDEN',
          a,
          b,
        );
        await expectRefused(
          submitJson(sw('customsB'), 'Declaration', 'Cancel', [record.id, 'not mine']),
          'FORBIDDEN',
          a,
          b,
        );
        await expectRefused(
          submitJson(sw('customsB'), 'Declaration', 'Amend', [record.id, sampleDeclaration({ id: record.id })]),
          'FORBIDDEN',
          a,
          b,
        );
        // reads are open across administrations
        const seenByB = await getDeclaration(record.id, officer('customsB'));
        assert.equal(seenByB.status, 'LODGED');
      });

      it('lets the auditor read and trace but never change state', async function () {
        const { record, tx } = await lodge();
        const seen = await getDeclaration(record.id, auditor());
        assert.equal(seen.id, record.id);
        const versions = await history<DeclarationRecord>(`declaration/${record.id}`);
        assert.equal(versions[0]?.txId, tx.txId);
        await expectRefused(
          submitJson(auditor(), 'Declaration', 'AssignLane', [record.id, 'GREEN']),
          'FORBIDDEN',
          'auditor',
        );
        await expectRefused(submitJson(auditor(), 'Declaration', 'Cancel', [record.id, 'x']), 'FORBIDDEN');
        await expectRefused(
          submitJson(auditor(), 'Inspection', 'RecordInspection', [inspection(record.id, 'CONFORMING')]),
          'FORBIDDEN',
        );
        await expectRefused(
          submitJson(auditor(), 'Seal', 'AffixSeal', [
            { sealId: uniqueId('SEAL'), containerId: containerId(), site: 'Rotterdam', deviceId: 'RDR-1' },
          ]),
          'FORBIDDEN',
        );
        await expectRefused(
          submitJson(auditor(), 'Aeo', 'IssueAeo', [
            { certificateNumber: aeoNumber(), holderId: uniqueTrader(), type: 'AEOF' },
          ]),
          'FORBIDDEN',
        );
        await expectRefused(submitJson(auditor(), 'Anchor', 'AnchorBatch', [anchorBatch()]), 'FORBIDDEN');
        await expectRefused(evaluateJson(auditor(), 'Declaration', 'GetConfidential', [record.id]), 'FORBIDDEN');
        assert.equal((await getDeclaration(record.id)).status, 'LODGED');
      });
    });

    describe('inspections', function () {
      it('keeps a red-lane declaration from release until a CONFORMING inspection', async function () {
        const { record } = await lodge();
        await submitJson(officer(), 'Declaration', 'AssignLane', [record.id, 'RED']);
        await expectRefused(submitJson(officer(), 'Declaration', 'Release', [record.id]), 'PRECONDITION_FAILED', 'RED');

        // administration B scans (mutual recognition); a NON_CONFORMING result still blocks release
        const bad = await submitJson<InspectionRecord>(officer('customsB'), 'Inspection', 'RecordInspection', [
          inspection(record.id, 'NON_CONFORMING'),
        ]);
        assert.equal(bad.value.recordedByMsp, fixture.mspIdOf('customsB'));
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Release', [record.id]),
          'PRECONDITION_FAILED',
          'NON_CONFORMING',
        );

        const good = await submitJson<InspectionRecord>(officer(), 'Inspection', 'RecordInspection', [
          inspection(record.id, 'CONFORMING'),
        ]);
        const declaration = await getDeclaration(record.id);
        assert.equal(declaration.lastInspection?.inspectionId, good.value.id);
        assert.equal(declaration.lastInspection?.verdict, 'CONFORMING');
        const released = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Release', [record.id]);
        assert.equal(released.value.status, 'RELEASED');

        const listed = await evaluateJson<InspectionRecord[]>(auditor(), 'Inspection', 'ListInspectionsByDeclaration', [
          record.id,
        ]);
        assert.deepEqual(listed.map((i) => i.id).sort(), [bad.value.id, good.value.id].sort());
      });

      it('computes the declared-versus-detected comparison per HS heading', async function () {
        const goods = (sequence: number, hsCode: string, quantity: number) => ({
          sequence,
          hsCode,
          description: `goods ${hsCode}`,
          quantity,
          unit: 'PCE',
          grossMassKg: 10,
          netMassKg: 9,
          originCountry: 'CN',
        });
        const { record } = await lodge({
          goodsItems: [
            goods(1, '85098000', 10),
            goods(2, '851660', 2),
            goods(3, '85161080', 3),
            goods(4, '62034231', 100),
          ],
        });
        const finding = (hsCode: string, count: number, confidence: number) => ({
          label: `object ${hsCode}`,
          hsCode,
          count,
          confidence,
          modelName: 'cargo-xray-detector',
          modelVersion: '2.1.0',
        });
        const { value } = await submitJson<InspectionRecord>(officer(), 'Inspection', 'RecordInspection', [
          inspection(record.id, 'INCONCLUSIVE', [
            finding('8509', 10, 0.93),
            finding('851660', 3, 0.81),
            finding('8516', 5, 0.3), // below the confidence threshold: not counted
            finding('9504', 2, 0.95),
          ]),
        ]);
        assert.deepEqual(value.comparison, {
          basis: 'HS_HEADING_4',
          minConfidence: 0.5,
          lines: [
            { heading: '6203', declaredQuantity: 100, detectedCount: 0, difference: -100, status: 'MISSING' },
            { heading: '8509', declaredQuantity: 10, detectedCount: 10, difference: 0, status: 'MATCH' },
            { heading: '8516', declaredQuantity: 5, detectedCount: 3, difference: -2, status: 'LESS_DETECTED' },
            { heading: '9504', declaredQuantity: 0, detectedCount: 2, difference: 2, status: 'UNDECLARED' },
          ],
          undeclaredHeadings: ['9504'],
          missingHeadings: ['6203'],
          discrepancy: true,
        });
        const stored = await evaluateJson<InspectionRecord>(auditor(), 'Inspection', 'GetInspection', [value.id]);
        assert.deepEqual(stored.comparison, value.comparison);
      });
    });

    describe('electronic seals', function () {
      it('a BROKEN check flags the declaration and blocks release until a CONFORMING inspection', async function () {
        const { record } = await lodge();
        const sealId = uniqueId('SEAL');
        const container = record.consignment.transport.containerIds[0]!;
        await submitJson(officer(), 'Declaration', 'AssignLane', [record.id, 'GREEN']);
        const affixed = await submitJson<SealRecord>(officer(), 'Seal', 'AffixSeal', [
          { sealId, containerId: container, declarationId: record.id, site: 'Shanghai Yangshan', deviceId: 'RDR-SH-1' },
        ]);
        assert.equal(affixed.value.status, 'AFFIXED');
        await expectRefused(
          submitJson(officer(), 'Seal', 'AffixSeal', [
            { sealId, containerId: container, site: 'Shanghai Yangshan', deviceId: 'RDR-SH-1' },
          ]),
          'CONFLICT',
        );

        const intact = await submitJson<SealRecord>(officer(), 'Seal', 'CheckSeal', [
          sealId,
          'INTACT',
          { site: 'Suez transit', deviceId: 'RDR-EG-7' },
        ]);
        assert.equal(intact.value.status, 'AFFIXED');
        assert.deepEqual((await getDeclaration(record.id)).flags, []);

        const broken = await submitJson<SealRecord>(officer('customsB'), 'Seal', 'CheckSeal', [
          sealId,
          'BROKEN',
          { site: 'Rotterdam Maasvlakte', deviceId: 'RDR-NL-2', remarks: 'wire cut' },
        ]);
        assert.equal(broken.value.status, 'BROKEN');
        const flagged = await getDeclaration(record.id);
        assert.deepEqual(flagged.flags, [`SEAL_BROKEN:${sealId}`]);
        await expectRefused(
          submitJson(officer(), 'Declaration', 'Release', [record.id]),
          'PRECONDITION_FAILED',
          `SEAL_BROKEN:${sealId}`,
        );
        await expectRefused(
          submitJson(officer(), 'Seal', 'CheckSeal', [sealId, 'INTACT', { site: 'x', deviceId: 'RDR-NL-2' }]),
          'INVALID_TRANSITION',
          `seal ${sealId} is BROKEN`,
        );

        const conforming = await submitJson<InspectionRecord>(officer(), 'Inspection', 'RecordInspection', [
          inspection(record.id, 'CONFORMING'),
        ]);
        assert.deepEqual(conforming.value.clearedFlags, [`SEAL_BROKEN:${sealId}`]);
        assert.deepEqual((await getDeclaration(record.id)).flags, []);
        const released = await submitJson<DeclarationRecord>(officer(), 'Declaration', 'Release', [record.id]);
        assert.equal(released.value.status, 'RELEASED');

        const removed = await submitJson<SealRecord>(officer(), 'Seal', 'RemoveSeal', [
          sealId,
          { site: 'Rotterdam Maasvlakte', deviceId: 'RDR-NL-2' },
        ]);
        assert.equal(removed.value.status, 'REMOVED');
        assert.deepEqual(
          removed.value.custody.map((e) => [e.type, e.mspId]),
          [
            ['AFFIXED', fixture.mspIdOf('customsA')],
            ['CHECKED_INTACT', fixture.mspIdOf('customsA')],
            ['CHECKED_BROKEN', fixture.mspIdOf('customsB')],
            ['REMOVED', fixture.mspIdOf('customsA')],
          ],
        );
        await expectRefused(
          submitJson(officer(), 'Seal', 'RemoveSeal', [sealId, { site: 'x', deviceId: 'RDR-NL-2' }]),
          'INVALID_TRANSITION',
          'is REMOVED',
        );
        const versions = await history<SealRecord>(`seal/${sealId}`);
        assert.deepEqual(
          versions.map((v) => v.value?.status),
          ['AFFIXED', 'AFFIXED', 'BROKEN', 'REMOVED'],
        );
        assert.deepEqual(
          versions.map((v) => v.txId),
          removed.value.custody.map((e) => e.txId),
        );
      });
    });

    describe('AEO certificates', function () {
      it('moves ACTIVE <-> SUSPENDED -> REVOKED, only by officers of the issuing administration', async function () {
        const certificateNumber = aeoNumber();
        const holderId = uniqueTrader();
        const issued = await submitJson<AeoStatus>(officer(), 'Aeo', 'IssueAeo', [
          { certificateNumber, holderId, type: 'AEOF' },
        ]);
        assert.equal(issued.value.status, 'ACTIVE');
        assert.equal(issued.value.issuerMsp, fixture.mspIdOf('customsA'));
        const status = () => evaluateJson<AeoStatus>(auditor(), 'Aeo', 'GetAeoStatus', [certificateNumber]);

        await expectRefused(
          submitJson(officer(), 'Aeo', 'IssueAeo', [{ certificateNumber, holderId, type: 'AEOF' }]),
          'CONFLICT',
        );
        await expectRefused(
          submitJson(officer('customsB'), 'Aeo', 'SuspendAeo', [certificateNumber, 'audit']),
          'FORBIDDEN',
          fixture.mspIdOf('customsA'),
          fixture.mspIdOf('customsB'),
        );
        await expectRefused(submitJson(sw(), 'Aeo', 'SuspendAeo', [certificateNumber, 'audit']), 'FORBIDDEN');
        await expectRefused(
          submitJson(officer(), 'Aeo', 'ReinstateAeo', [certificateNumber, 'n/a']),
          'INVALID_TRANSITION',
          'is ACTIVE',
        );
        assert.equal((await status()).status, 'ACTIVE');

        await submitJson(officer(), 'Aeo', 'SuspendAeo', [certificateNumber, 'pending audit']);
        assert.equal((await status()).status, 'SUSPENDED');
        await expectRefused(
          submitJson(officer(), 'Aeo', 'SuspendAeo', [certificateNumber, 'again']),
          'INVALID_TRANSITION',
          'is SUSPENDED',
        );
        await submitJson(officer(), 'Aeo', 'ReinstateAeo', [certificateNumber, 'audit passed']);
        assert.equal((await status()).status, 'ACTIVE');
        await submitJson(officer(), 'Aeo', 'RevokeAeo', [certificateNumber, 'fraud']);
        const final = await status();
        assert.deepEqual([final.status, final.holderId], ['REVOKED', holderId]);
        await expectRefused(
          submitJson(officer(), 'Aeo', 'ReinstateAeo', [certificateNumber, 'appeal']),
          'INVALID_TRANSITION',
          'is REVOKED',
        );
        await expectRefused(
          submitJson(officer(), 'Aeo', 'RevokeAeo', [certificateNumber, 'again']),
          'INVALID_TRANSITION',
          'is REVOKED',
        );
        const versions = await history<AeoStatus>(`aeo/${certificateNumber}`);
        assert.deepEqual(
          versions.map((v) => v.value?.status),
          ['ACTIVE', 'SUSPENDED', 'ACTIVE', 'REVOKED'],
        );
      });
    });

    describe('message anchors', function () {
      it('AnchorBatch is idempotent on the batch id and refuses a different root', async function () {
        const batch = anchorBatch();
        const first = await submitJson<AnchorRecord>(officer(), 'Anchor', 'AnchorBatch', [batch]);
        assert.equal(first.value.merkleRoot, batch.merkleRoot);
        assert.equal(first.value.txId, first.tx.txId);
        const again = await submitJson<AnchorRecord>(officer(), 'Anchor', 'AnchorBatch', [batch]);
        assert.deepEqual(again.value, first.value);
        await expectRefused(
          submitJson(officer(), 'Anchor', 'AnchorBatch', [{ ...batch, merkleRoot: randomBytes(32).toString('hex') }]),
          'CONFLICT',
          batch.batchId,
        );
        const stored = await evaluateJson<AnchorRecord>(auditor(), 'Anchor', 'GetAnchor', [batch.batchId]);
        assert.deepEqual(stored, first.value);
        const versions = await history<AnchorRecord>(`anchor/${batch.batchId}`);
        assert.deepEqual(
          versions.map((v) => v.txId),
          [first.tx.txId],
        );
      });
    });

    describe('history and queries', function () {
      it('History returns every version, oldest first, with txId and timestamp', async function () {
        const { input, tx } = await lodge();
        const laned = await submitJson(officer(), 'Declaration', 'AssignLane', [input.id, 'GREEN']);
        const released = await submitJson(officer(), 'Declaration', 'Release', [input.id]);
        const versions = await history<DeclarationRecord>(`declaration/${input.id}`);
        assert.deepEqual(
          versions.map((v) => v.txId),
          [tx.txId, laned.tx.txId, released.tx.txId],
        );
        assert.deepEqual(
          versions.map((v) => v.value?.status),
          ['LODGED', 'LANE_ASSIGNED', 'RELEASED'],
        );
        assert.ok(versions.every((v) => !v.isDelete));
        for (const v of versions) assert.match(v.timestamp, ISO_TIME);
        const times = versions.map((v) => Date.parse(v.timestamp));
        assert.deepEqual(
          times,
          [...times].sort((x, y) => x - y),
          'timestamps do not go backwards',
        );
        assert.ok(released.tx.blockNumber >= tx.blockNumber);
        await expectRefused(evaluateJson(auditor(), 'Record', 'History', ['nonsense']), 'INVALID_ARGUMENT');
        const keys = await evaluateJson<string[]>(auditor(), 'Record', 'ListKeys', [`declaration/${input.id}`]);
        assert.deepEqual(keys, [`declaration/${input.id}`]);
      });

      it('ListDeclarationsByStatus and ListDeclarationsByTrader follow every change', async function () {
        const importer = uniqueTrader();
        const { input } = await lodge({ importer: { identifier: importer } });
        const byStatus = async (status: string) =>
          (await evaluateJson<DeclarationRecord[]>(auditor(), 'Declaration', 'ListDeclarationsByStatus', [status])).map(
            (d) => d.id,
          );
        const byTrader = async (trader: string) =>
          (await evaluateJson<DeclarationRecord[]>(auditor(), 'Declaration', 'ListDeclarationsByTrader', [trader])).map(
            (d) => d.id,
          );
        assert.ok((await byStatus('LODGED')).includes(input.id));
        assert.deepEqual(await byTrader(importer), [input.id]);
        assert.deepEqual(await byTrader(input.exporter!.identifier), [input.id]);

        await submitJson(officer(), 'Declaration', 'AssignLane', [input.id, 'GREEN']);
        assert.ok(!(await byStatus('LODGED')).includes(input.id));
        assert.ok((await byStatus('LANE_ASSIGNED')).includes(input.id));

        const newImporter = uniqueTrader();
        await submitJson(sw(), 'Declaration', 'Amend', [input.id, { ...input, importer: { identifier: newImporter } }]);
        assert.deepEqual(await byTrader(importer), []);
        assert.deepEqual(await byTrader(newImporter), [input.id]);
        assert.ok((await byStatus('LODGED')).includes(input.id));
        assert.ok(!(await byStatus('LANE_ASSIGNED')).includes(input.id));

        await submitJson(sw(), 'Declaration', 'Cancel', [input.id, 'withdrawn']);
        assert.ok((await byStatus('CANCELLED')).includes(input.id));
        assert.ok(!(await byStatus('LODGED')).includes(input.id));
        await expectRefused(
          evaluateJson(auditor(), 'Declaration', 'ListDeclarationsByStatus', ['SHIPPED']),
          'INVALID_ARGUMENT',
        );
      });
    });

    describe('chaincode events', function () {
      it('emits one named event per change, with the txId and the changed record; none for a no-op', async function () {
        const client = officer();
        const events = client.chaincodeEvents();
        try {
          const lodged = await lodge();
          const replay = await submitJson(sw(), 'Declaration', 'Lodge', [lodged.input]);
          const laned = await submitJson<DeclarationRecord>(client, 'Declaration', 'AssignLane', [
            lodged.input.id,
            'GREEN',
          ]);
          const batch = anchorBatch();
          const anchored = await submitJson<AnchorRecord>(client, 'Anchor', 'AnchorBatch', [batch]);
          const seen = await collectEvents(events, [lodged.tx.txId, laned.tx.txId, anchored.tx.txId]);

          const expectOne = (txId: string, name: string) => {
            const list = seen.get(txId) ?? [];
            assert.equal(list.length, 1, `one event for ${name}`);
            const event = list[0]!;
            assert.equal(event.eventName, name);
            assert.equal(event.txId, txId);
            assert.equal(event.chaincodeName, CHAINCODE_NAME);
            return event;
          };
          const lodgedEvent = expectOne(lodged.tx.txId, 'DeclarationLodged');
          assert.equal(lodgedEvent.blockNumber, lodged.tx.blockNumber);
          assert.deepEqual(decodeJson(lodgedEvent.payload), lodged.record);
          const lanedEvent = expectOne(laned.tx.txId, 'DeclarationLaneAssigned');
          assert.deepEqual(decodeJson(lanedEvent.payload), laned.value);
          const anchorEvent = expectOne(anchored.tx.txId, 'BatchAnchored');
          assert.deepEqual(decodeJson<AnchorRecord>(anchorEvent.payload).merkleRoot, batch.merkleRoot);
          // the idempotent replay committed before AssignLane, and events come in block order
          assert.equal(seen.has(replay.tx.txId), false, 'a no-op Lodge emits no event');
        } finally {
          events.close();
        }
      });
    });

    describe('private data', function () {
      it('keeps confidential values out of public state and blocks, with verifiable salted hashes', async function () {
        const input = sampleDeclaration();
        const valueSalt = newSalt();
        const nameSalt = newSalt();
        const customsValue = '12500.75';
        const exporterName = `Acme Appliances ${randomBytes(3).toString('hex')}`;
        const confidential = {
          collection: COLLECTION,
          fields: {
            'goodsItems[0].customsValue': { value: customsValue, salt: valueSalt },
            'exporter.name': { value: exporterName, salt: nameSalt },
          },
        };
        const { tx, value } = await submitJson<DeclarationRecord>(sw(), 'Declaration', 'Lodge', [input], {
          confidential,
        });
        const publicRecord = await getDeclaration(input.id);
        const publicText = JSON.stringify(publicRecord);
        for (const secret of [customsValue, exporterName, valueSalt, nameSalt]) {
          assert.ok(!publicText.includes(secret), `public record must not contain ${secret}`);
        }
        assert.equal(publicRecord.collection, COLLECTION);
        assert.deepEqual(publicRecord.confidentialFieldHashes, {
          'exporter.name': commitment(nameSalt, JSON.stringify(exporterName)),
          'goodsItems[0].customsValue': commitment(valueSalt, JSON.stringify(customsValue)),
        });
        assert.deepEqual(value, publicRecord);

        // nothing confidential in the block either (transient data is never written)
        const blocks = officer().blocks({ startBlock: tx.blockNumber });
        try {
          const first = await blocks[Symbol.asyncIterator]().next();
          assert.equal(first.done, false);
          assert.equal(first.value.number, tx.blockNumber);
          const blockText = Buffer.from(first.value.bytes).toString('latin1');
          assert.ok(blockText.includes(input.id), 'the block holds the transaction');
          for (const secret of [customsValue, exporterName, valueSalt, nameSalt]) {
            assert.ok(!blockText.includes(secret), `block must not contain ${secret}`);
          }
        } finally {
          blocks.close();
        }

        const verify = (path: string, json: string, salt: string) =>
          evaluateJson<boolean>(auditor(), 'Declaration', 'VerifyDisclosure', [input.id, path, json, salt]);
        assert.equal(await verify('goodsItems[0].customsValue', JSON.stringify(customsValue), valueSalt), true);
        assert.equal(await verify('exporter.name', JSON.stringify(exporterName), nameSalt), true);
        assert.equal(await verify('goodsItems[0].customsValue', JSON.stringify('12500.76'), valueSalt), false);
        assert.equal(await verify('goodsItems[0].customsValue', JSON.stringify(customsValue), nameSalt), false);
        assert.equal(await verify('importer.name', JSON.stringify(exporterName), nameSalt), false);

        const privateBytes = await officer().evaluate({
          contract: 'Declaration',
          name: 'GetConfidential',
          args: [input.id],
        });
        const privateRecord = decodeJson<{ fields: Record<string, { value: unknown; salt: string }> }>(privateBytes);
        assert.deepEqual(privateRecord.fields['goodsItems[0].customsValue'], { value: customsValue, salt: valueSalt });
        assert.deepEqual(privateRecord.fields['exporter.name'], { value: exporterName, salt: nameSalt });

        const hash = await evaluateJson<{ hash: string; collection: string }>(
          auditor(),
          'Declaration',
          'GetConfidentialHash',
          [input.id],
        );
        assert.equal(hash.collection, COLLECTION);
        assert.equal(hash.hash, sha256Hex(privateBytes), 'the hash Fabric keeps is SHA-256 of the private value');
      });

      it('refuses malformed confidential input', async function () {
        const input = sampleDeclaration();
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [input], {
            confidential: {
              collection: COLLECTION,
              fields: { 'goodsItems[0].customsValue': { value: '1', salt: 'abc' } },
            },
          }),
          'INVALID_ARGUMENT',
          'salt',
        );
        await expectRefused(
          submitJson(sw(), 'Declaration', 'Lodge', [input], {
            confidential: {
              collection: COLLECTION,
              fields: { 'goodsItems[3].customsValue': { value: '1', salt: newSalt() } },
            },
          }),
          'INVALID_ARGUMENT',
          'goodsItems[3].customsValue',
        );
        await expectRefused(evaluateJson(auditor(), 'Declaration', 'GetDeclaration', [input.id]), 'NOT_FOUND');
      });
    });
  });
}

function aeoNumber(): string {
  return `NLAEOF${randomBytes(5).toString('hex').toUpperCase()}`;
}

function anchorBatch() {
  return {
    batchId: uniqueId('BATCH'),
    merkleRoot: randomBytes(32).toString('hex'),
    messageCount: 128,
    partnerId: 'customs-b',
    firstMessageAt: '2025-03-01T10:00:00.000Z',
    lastMessageAt: '2025-03-01T10:00:05.250Z',
  };
}

import type { Declaration } from '../../../chaincode/src/models/declaration';
import type { Inspection } from '../../../chaincode/src/models/inspection';
import { gnc } from '../gen/gnc';

/**
 * From the contracts' records (chaincode/src/models, JSON as the ledger returns it) to the
 * canonical gnc.v1 messages exchanged with partners. Only public fields exist on the ledger
 * record; confidential ones (values, names) stay in the private collection and are not sent
 * unless a flow adds them on purpose.
 */

/** The records as the contracts store them: the chaincode's own data types are the one definition. */
export type LedgerDeclaration = Declaration;
export type LedgerInspection = Inspection;

const TYPES: Record<LedgerDeclaration['type'], gnc.v1.DeclarationType> = {
  IMPORT: gnc.v1.DeclarationType.DECLARATION_TYPE_IM,
  EXPORT: gnc.v1.DeclarationType.DECLARATION_TYPE_EX,
  TRANSIT: gnc.v1.DeclarationType.DECLARATION_TYPE_CO,
};

const STATUSES: Record<string, gnc.v1.DeclarationStatus> = {
  LODGED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_LODGED,
  LANE_ASSIGNED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_LANE_ASSIGNED,
  RELEASED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_RELEASED,
  DUTY_ASSESSED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_DUTY_ASSESSED,
  PAID: gnc.v1.DeclarationStatus.DECLARATION_STATUS_PAID,
  CLOSED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_CLOSED,
  REJECTED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_REJECTED,
  CANCELLED: gnc.v1.DeclarationStatus.DECLARATION_STATUS_CANCELLED,
};

const LANES: Record<string, gnc.v1.Lane> = {
  GREEN: gnc.v1.Lane.LANE_GREEN,
  YELLOW: gnc.v1.Lane.LANE_YELLOW,
  RED: gnc.v1.Lane.LANE_RED,
};

const party = (p: { identifier: string; aeoCertificate?: string } | undefined): gnc.v1.IParty | undefined =>
  p ? { id: p.identifier, ...(p.aeoCertificate ? { aeoAuthorisationId: p.aeoCertificate } : {}) } : undefined;

/** Decimal text of a number without exponent notation, as the canonical schema wants masses. */
const decimal = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(6).replace(/0+$/, '').replace(/\.$/, ''));

export function declarationToCanonical(record: LedgerDeclaration, administrationId: string): gnc.v1.IDeclaration {
  const updated = record.updatedAt ? Date.parse(record.updatedAt) : undefined;
  return {
    lrn: record.lrn,
    mrn: record.mrn ?? '',
    type: TYPES[record.type],
    status: STATUSES[record.status] ?? gnc.v1.DeclarationStatus.DECLARATION_STATUS_UNSPECIFIED,
    lane: (record.lane && LANES[record.lane]) || gnc.v1.Lane.LANE_UNSPECIFIED,
    officeOfLodgementId: record.officeOfLodgement,
    administrationId,
    version: record.amendment ?? 0,
    ...(updated !== undefined && Number.isFinite(updated) ? { statusChangedAtMs: updated } : {}),
    declarant: party(record.declarant) ?? null,
    exporter: party(record.exporter) ?? null,
    importer: party(record.importer) ?? null,
    consignment: {
      departureTransportMeans: {
        id: record.consignment.transport.meansId ?? '',
        modeCode: record.consignment.transport.mode,
      },
      containerised: record.consignment.transport.containerIds.length > 0,
      transportEquipment: record.consignment.transport.containerIds.map((id) => ({
        id,
        seals: record.sealIds.map((sealId) => ({ id: sealId })),
      })),
    },
    goodsShipment: {
      exportCountryCode: record.consignment.countryOfDispatch,
      destinationCountryCode: record.consignment.countryOfDestination,
      goodsItems: record.goodsItems.map((item) => ({
        sequenceNumeric: item.sequence,
        commodity: { description: item.description, hsCode: item.hsCode },
        quantity: { value: decimal(item.quantity), unitCode: item.unit },
        grossMassKg: decimal(item.grossMassKg),
        netMassKg: decimal(item.netMassKg),
        originCountryCode: item.originCountry,
      })),
    },
  };
}

const METHODS: Record<LedgerInspection['method'], gnc.v1.InspectionMethod> = {
  XRAY_CONTAINER_SCAN: gnc.v1.InspectionMethod.INSPECTION_METHOD_XRAY_CONTAINER_SCAN,
  BAGGAGE_SCAN: gnc.v1.InspectionMethod.INSPECTION_METHOD_BAGGAGE_SCAN,
  PHYSICAL: gnc.v1.InspectionMethod.INSPECTION_METHOD_PHYSICAL,
};

const VERDICTS: Record<LedgerInspection['verdict'], gnc.v1.InspectionVerdict> = {
  CONFORMING: gnc.v1.InspectionVerdict.INSPECTION_VERDICT_CONSISTENT,
  NON_CONFORMING: gnc.v1.InspectionVerdict.INSPECTION_VERDICT_DISCREPANCY,
  INCONCLUSIVE: gnc.v1.InspectionVerdict.INSPECTION_VERDICT_INCONCLUSIVE,
};

const COMPARISON: Record<string, gnc.v1.ComparisonResult> = {
  MATCH: gnc.v1.ComparisonResult.COMPARISON_RESULT_MATCH,
  LESS_DETECTED: gnc.v1.ComparisonResult.COMPARISON_RESULT_SHORTAGE,
  MORE_DETECTED: gnc.v1.ComparisonResult.COMPARISON_RESULT_EXCESS,
  UNDECLARED: gnc.v1.ComparisonResult.COMPARISON_RESULT_UNDECLARED,
  MISSING: gnc.v1.ComparisonResult.COMPARISON_RESULT_NOT_DETECTED,
};

/** `declarationMrn` names the declaration as the partner knows it (the MRN it was sent under). */
export function inspectionToCanonical(
  record: LedgerInspection,
  administrationId: string,
  declarationMrn: string,
): gnc.v1.IInspection {
  const recorded = record.recordedAt ? Date.parse(record.recordedAt) : Date.now();
  return {
    inspectionId: record.id,
    declarationMrn,
    method: METHODS[record.method],
    containerId: record.containerId ?? '',
    administrationId,
    completedAtMs: recorded,
    scanImages: record.image
      ? [{ imageSha256: Buffer.from(record.image.sha256, 'hex'), storageUri: record.image.uri }]
      : [],
    findings: record.findings.map((f) => ({
      label: f.label,
      hsCode: f.hsCode,
      count: f.count,
      confidenceBp: Math.round(f.confidence * 10_000),
      model: { name: f.modelName, version: f.modelVersion },
    })),
    comparison: (record.comparison?.lines ?? []).map((line) => ({
      hsCode: line.heading,
      declaredQuantity: { value: decimal(line.declaredQuantity) },
      detectedQuantity: { value: decimal(line.detectedCount) },
      result: COMPARISON[line.status] ?? gnc.v1.ComparisonResult.COMPARISON_RESULT_UNSPECIFIED,
    })),
    verdict: { verdict: VERDICTS[record.verdict], remarks: record.remarks ?? '', decidedAtMs: recorded },
  };
}

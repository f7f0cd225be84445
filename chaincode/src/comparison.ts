/**
 * The declared-versus-detected comparison of an inspection, computed inside the chaincode so
 * every endorser derives the same result from the same inputs.
 *
 * Basis: the HS heading, the first 4 digits of the code. Image recognition rarely tells goods
 * apart below the heading, and the national digits beyond 6 differ between administrations, so
 * the heading is the finest level both sides can compare fairly.
 *
 * Declared quantity per heading is the sum of the goods items' `quantity`; detected count is the
 * sum of the `count` of findings whose confidence is at least MIN_CONFIDENCE (findings below it
 * are kept in the inspection but not counted).
 */
export const COMPARISON_BASIS = 'HS_HEADING_4';
export const HEADING_DIGITS = 4;
export const MIN_CONFIDENCE = 0.5;

export type ComparisonStatus = 'MATCH' | 'MORE_DETECTED' | 'LESS_DETECTED' | 'UNDECLARED' | 'MISSING';

export interface DeclaredGoods {
  hsCode: string;
  quantity: number;
}

export interface DetectedGoods {
  hsCode: string;
  count: number;
  confidence: number;
}

export interface ComparisonLine {
  heading: string;
  declaredQuantity: number;
  detectedCount: number;
  /** detectedCount - declaredQuantity */
  difference: number;
  status: ComparisonStatus;
}

export interface ComparisonResult {
  basis: string;
  minConfidence: number;
  lines: ComparisonLine[];
  /** Headings detected but not declared. */
  undeclaredHeadings: string[];
  /** Headings declared but not detected at all. */
  missingHeadings: string[];
  discrepancy: boolean;
}

export function headingOf(hsCode: string): string {
  return hsCode.slice(0, HEADING_DIGITS);
}

export function compareDeclaredWithDetected(
  declared: readonly DeclaredGoods[],
  detected: readonly DetectedGoods[],
): ComparisonResult {
  const declaredByHeading = new Map<string, number>();
  for (const item of declared) {
    const heading = headingOf(item.hsCode);
    declaredByHeading.set(heading, roundQuantity((declaredByHeading.get(heading) ?? 0) + item.quantity));
  }
  const detectedByHeading = new Map<string, number>();
  for (const finding of detected) {
    if (finding.confidence < MIN_CONFIDENCE) continue;
    const heading = headingOf(finding.hsCode);
    detectedByHeading.set(heading, (detectedByHeading.get(heading) ?? 0) + finding.count);
  }
  const headings = [...new Set([...declaredByHeading.keys(), ...detectedByHeading.keys()])].sort();
  const lines = headings.map((heading): ComparisonLine => {
    const declaredQuantity = declaredByHeading.get(heading) ?? 0;
    const detectedCount = detectedByHeading.get(heading) ?? 0;
    const isDeclared = declaredByHeading.has(heading);
    let status: ComparisonStatus;
    if (!isDeclared) status = 'UNDECLARED';
    else if (detectedCount === 0) status = 'MISSING';
    else if (detectedCount === declaredQuantity) status = 'MATCH';
    else status = detectedCount > declaredQuantity ? 'MORE_DETECTED' : 'LESS_DETECTED';
    return {
      heading,
      declaredQuantity,
      detectedCount,
      difference: roundQuantity(detectedCount - declaredQuantity),
      status,
    };
  });
  return {
    basis: COMPARISON_BASIS,
    minConfidence: MIN_CONFIDENCE,
    lines,
    undeclaredHeadings: lines.filter((l) => l.status === 'UNDECLARED').map((l) => l.heading),
    missingHeadings: lines.filter((l) => l.status === 'MISSING').map((l) => l.heading),
    discrepancy: lines.some((l) => l.status !== 'MATCH'),
  };
}

/** Declared quantities may be decimal (e.g. kg); keep sums free of binary noise like 0.30000000000000004. */
function roundQuantity(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

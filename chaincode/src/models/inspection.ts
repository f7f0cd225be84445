import { Object as DataType, Property } from 'fabric-contract-api';
import { COMPARISON_BASIS } from '../comparison';
import type { ComparisonLine, ComparisonResult, ComparisonStatus } from '../comparison';
import { FieldReader } from '../validation';
import { VERDICTS, type Verdict } from './declaration';

export const INSPECTION_METHODS = ['XRAY_CONTAINER_SCAN', 'BAGGAGE_SCAN', 'PHYSICAL'] as const;
export type InspectionMethod = (typeof INSPECTION_METHODS)[number];

const COMPARISON_STATUSES: readonly ComparisonStatus[] = [
  'MATCH',
  'MORE_DETECTED',
  'LESS_DETECTED',
  'UNDECLARED',
  'MISSING',
];

/** One object the image-recognition model found in the scan. */
@DataType()
export class Finding {
  @Property('label', 'string') label!: string;
  @Property('hsCode', 'string') hsCode!: string;
  @Property('count', 'number') count!: number;
  @Property('confidence', 'number') confidence!: number;
  @Property('modelName', 'string') modelName!: string;
  @Property('modelVersion', 'string') modelVersion!: string;

  static from(this: void, json: unknown, path = 'finding'): Finding {
    const r = FieldReader.of(json, path);
    const finding = Object.assign(new Finding(), {
      label: r.string('label', { maxLength: 256 }),
      hsCode: r.string('hsCode', { format: 'detectedHsCode' }),
      count: r.number('count', { integer: true, min: 1 }),
      confidence: r.number('confidence', { min: 0, max: 1 }),
      modelName: r.string('modelName', { maxLength: 128 }),
      modelVersion: r.string('modelVersion', { maxLength: 64 }),
    });
    r.done();
    return finding;
  }
}

@DataType()
export class ScanImage {
  @Property('sha256', 'string') sha256!: string;
  @Property('uri', 'string') uri!: string;

  static from(this: void, json: unknown, path = 'image'): ScanImage {
    const r = FieldReader.of(json, path);
    const image = Object.assign(new ScanImage(), {
      sha256: r.string('sha256', { format: 'sha256' }),
      uri: r.string('uri', { format: 'uri', maxLength: 2048 }),
    });
    r.done();
    return image;
  }
}

/** What an officer submits to RecordInspection. */
@DataType()
export class InspectionInput {
  @Property('id', 'string') id!: string;
  @Property('declarationId', 'string') declarationId?: string;
  @Property('containerId', 'string') containerId?: string;
  @Property('method', 'string') method!: InspectionMethod;
  @Property('image', 'ScanImage') image?: ScanImage;
  @Property('findings', 'Finding[]') findings!: Finding[];
  @Property('verdict', 'string') verdict!: Verdict;
  @Property('remarks', 'string') remarks?: string;

  static from(this: void, json: unknown, path = 'inspection'): InspectionInput {
    const r = FieldReader.of(json, path);
    const method = r.enumOf('method', INSPECTION_METHODS);
    const input = Object.assign(new InspectionInput(), {
      id: r.string('id', { format: 'id' }),
      declarationId: r.optionalString('declarationId', { format: 'id' }),
      containerId: r.optionalString('containerId', { format: 'container' }),
      method,
      // a scan has an image; a physical examination may have none
      image: method === 'PHYSICAL' ? r.optionalObject('image', ScanImage.from) : r.object('image', ScanImage.from),
      findings: r.array('findings', Finding.from, { max: 1000 }),
      verdict: r.enumOf('verdict', VERDICTS),
      remarks: r.optionalString('remarks', { maxLength: 2048 }),
    });
    r.done();
    return input;
  }
}

@DataType()
export class ComparisonLineRecord {
  @Property('heading', 'string') heading!: string;
  @Property('declaredQuantity', 'number') declaredQuantity!: number;
  @Property('detectedCount', 'number') detectedCount!: number;
  @Property('difference', 'number') difference!: number;
  @Property('status', 'string') status!: ComparisonStatus;

  static from(this: void, json: unknown, path = 'line'): ComparisonLine {
    const r = FieldReader.of(json, path);
    const line = Object.assign(new ComparisonLineRecord(), {
      heading: r.string('heading', { maxLength: 10 }),
      declaredQuantity: r.number('declaredQuantity', { min: 0 }),
      detectedCount: r.number('detectedCount', { min: 0 }),
      difference: r.number('difference'),
      status: r.enumOf('status', COMPARISON_STATUSES),
    });
    r.done();
    return line;
  }
}

@DataType()
export class Comparison {
  @Property('basis', 'string') basis!: string;
  @Property('minConfidence', 'number') minConfidence!: number;
  @Property('lines', 'ComparisonLineRecord[]') lines!: ComparisonLine[];
  @Property('undeclaredHeadings', 'string[]') undeclaredHeadings!: string[];
  @Property('missingHeadings', 'string[]') missingHeadings!: string[];
  @Property('discrepancy', 'boolean') discrepancy!: boolean;

  static from(this: void, json: unknown, path = 'comparison'): ComparisonResult {
    const r = FieldReader.of(json, path);
    const comparison = Object.assign(new Comparison(), {
      basis: r.enumOf('basis', [COMPARISON_BASIS]),
      minConfidence: r.number('minConfidence', { min: 0, max: 1 }),
      lines: r.array('lines', ComparisonLineRecord.from),
      undeclaredHeadings: r.stringArray('undeclaredHeadings'),
      missingHeadings: r.stringArray('missingHeadings'),
      discrepancy: r.boolean('discrepancy'),
    });
    r.done();
    return comparison;
  }
}

/** The inspection record in world state. */
@DataType()
export class Inspection extends InspectionInput {
  @Property('docType', 'string') docType!: 'inspection';
  @Property('comparison', 'Comparison') comparison?: ComparisonResult;
  @Property('clearedFlags', 'string[]') clearedFlags!: string[];
  @Property('recordedByMsp', 'string') recordedByMsp!: string;
  @Property('recordedAt', 'string') recordedAt!: string;
  @Property('txId', 'string') txId!: string;

  static override from(this: void, json: unknown, path = 'inspection'): Inspection {
    const r = FieldReader.of(json, path);
    const own = ['docType', 'comparison', 'clearedFlags', 'recordedByMsp', 'recordedAt', 'txId'];
    const inputJson = Object.fromEntries(
      Object.entries(json as Record<string, unknown>).filter(([key]) => !own.includes(key)),
    );
    for (const key of Object.keys(inputJson)) r.optionalObject(key, (v) => v);
    const input = InspectionInput.from(inputJson, path);
    const record = Object.assign(new Inspection(), input, {
      docType: r.enumOf('docType', ['inspection'] as const),
      comparison: r.optionalObject('comparison', Comparison.from),
      clearedFlags: r.stringArray('clearedFlags', { maxLength: 128 }),
      recordedByMsp: r.string('recordedByMsp', { maxLength: 128 }),
      recordedAt: r.string('recordedAt', { format: 'isoTime' }),
      txId: r.string('txId', { maxLength: 128 }),
    });
    r.done();
    return record;
  }
}

import { invalidArgument } from './contract-error';

/** Formats the contracts accept; each error names the field and the expected form. */
export const FORMATS = {
  id: { pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, text: '1-100 characters A-Z a-z 0-9 . _ : / -' },
  identifier: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$/, text: 'a party identifier such as an EORI number' },
  aeoCertificate: {
    pattern: /^[A-Z]{2}AEO[CSF][A-Za-z0-9]{1,29}$/,
    text: 'an AEO certificate number (e.g. NLAEOF0000123)',
  },
  lrn: { pattern: /^[A-Za-z0-9][A-Za-z0-9._/-]{0,21}$/, text: 'a local reference number of up to 22 characters' },
  mrn: { pattern: /^\d{2}[A-Z]{2}[A-Z0-9]{14}$/, text: 'an 18-character movement reference number' },
  office: { pattern: /^[A-Z]{2}[A-Z0-9]{6}$/, text: 'an 8-character customs office reference number' },
  hsCode: { pattern: /^\d{6,10}$/, text: '6 to 10 digits' },
  detectedHsCode: { pattern: /^\d{4,10}$/, text: '4 to 10 digits' },
  country: { pattern: /^[A-Z]{2}$/, text: 'an ISO 3166-1 alpha-2 country code' },
  currency: { pattern: /^[A-Z]{3}$/, text: 'an ISO 4217 currency code' },
  unit: { pattern: /^[A-Za-z0-9]{1,5}$/, text: 'a UN/ECE Rec. 20 unit code' },
  container: { pattern: /^[A-Z]{4}\d{7}$/, text: 'an ISO 6346 container number' },
  seal: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$/, text: 'a seal identifier' },
  sha256: { pattern: /^[0-9a-f]{64}$/, text: '64 lowercase hex characters' },
  salt: { pattern: /^[0-9a-fA-F]{32,}$/, text: 'at least 32 hex characters' },
  uri: { pattern: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/, text: 'an absolute URI' },
  amount: { pattern: /^(0|[1-9]\d{0,14})(\.\d{1,3})?$/, text: 'a decimal amount with at most 3 decimals' },
  isoTime: {
    pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/,
    text: 'an ISO 8601 timestamp with zone',
  },
} as const satisfies Record<string, { pattern: RegExp; text: string }>;

export type FormatName = keyof typeof FORMATS;

interface StringOptions {
  format?: FormatName;
  maxLength?: number;
  allowed?: readonly string[];
}

interface NumberOptions {
  integer?: boolean;
  min?: number;
  max?: number;
  /** strictly greater than zero */
  positive?: boolean;
}

/** Field names whose values are commercially sensitive: they travel only in the transient map. */
const CONFIDENTIAL_NAMES = new Set(['name', 'address', 'customsValue', 'currency', 'invoiceAmount', 'invoiceCurrency']);

/**
 * Reads the fields of one JSON object for a validating factory: every accessor names the full
 * path of the field in its INVALID_ARGUMENT error, and `done()` refuses fields nobody read,
 * so nothing unexpected (a confidential value in particular) slips into public state.
 */
export class FieldReader {
  private readonly seen = new Set<string>();

  private constructor(
    private readonly obj: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(json: unknown, path: string): FieldReader {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw invalidArgument(`${path || 'argument'} must be a JSON object`);
    }
    return new FieldReader(json as Record<string, unknown>, path);
  }

  fieldPath(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  private take(field: string): unknown {
    this.seen.add(field);
    const value = this.obj[field];
    return value === null ? undefined : value;
  }

  string(field: string, options: StringOptions = {}): string {
    const value = this.take(field);
    if (value === undefined) throw invalidArgument(`${this.fieldPath(field)} is required`);
    return checkString(value, this.fieldPath(field), options);
  }

  optionalString(field: string, options: StringOptions = {}): string | undefined {
    const value = this.take(field);
    return value === undefined ? undefined : checkString(value, this.fieldPath(field), options);
  }

  number(field: string, options: NumberOptions = {}): number {
    const value = this.take(field);
    if (value === undefined) throw invalidArgument(`${this.fieldPath(field)} is required`);
    return checkNumber(value, this.fieldPath(field), options);
  }

  optionalNumber(field: string, options: NumberOptions = {}): number | undefined {
    const value = this.take(field);
    return value === undefined ? undefined : checkNumber(value, this.fieldPath(field), options);
  }

  boolean(field: string): boolean {
    const value = this.take(field);
    if (typeof value !== 'boolean') throw invalidArgument(`${this.fieldPath(field)} must be true or false`);
    return value;
  }

  enumOf<T extends string>(field: string, values: readonly T[]): T {
    return this.string(field, { allowed: values }) as T;
  }

  optionalEnumOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    return this.optionalString(field, { allowed: values }) as T | undefined;
  }

  object<T>(field: string, factory: (json: unknown, path: string) => T): T {
    const value = this.take(field);
    if (value === undefined) throw invalidArgument(`${this.fieldPath(field)} is required`);
    return factory(value, this.fieldPath(field));
  }

  optionalObject<T>(field: string, factory: (json: unknown, path: string) => T): T | undefined {
    const value = this.take(field);
    return value === undefined ? undefined : factory(value, this.fieldPath(field));
  }

  array<T>(field: string, item: (json: unknown, path: string) => T, options: { min?: number; max?: number } = {}): T[] {
    const value = this.take(field);
    if (value === undefined) {
      if ((options.min ?? 0) > 0) throw invalidArgument(`${this.fieldPath(field)} is required`);
      return [];
    }
    const path = this.fieldPath(field);
    if (!Array.isArray(value)) throw invalidArgument(`${path} must be an array`);
    if (options.min !== undefined && value.length < options.min) {
      throw invalidArgument(`${path} must have at least ${options.min} item(s)`);
    }
    if (options.max !== undefined && value.length > options.max) {
      throw invalidArgument(`${path} must have at most ${options.max} items`);
    }
    return value.map((entry: unknown, index) => item(entry, `${path}[${index}]`));
  }

  stringArray(field: string, options: StringOptions & { min?: number; max?: number; unique?: boolean } = {}): string[] {
    const values = this.array(field, (json, path) => checkString(json, path, options), options);
    if (options.unique && new Set(values).size !== values.length) {
      throw invalidArgument(`${this.fieldPath(field)} must not repeat a value`);
    }
    return values;
  }

  /** A JSON object of string values (a map). */
  stringMap(field: string, keyOptions: StringOptions, valueOptions: StringOptions): Record<string, string> | undefined {
    const value = this.take(field);
    if (value === undefined) return undefined;
    const path = this.fieldPath(field);
    const map = FieldReader.of(value, path);
    const out: Record<string, string> = {};
    for (const key of Object.keys(map.obj).sort()) {
      checkString(key, `${path} key`, keyOptions);
      out[key] = map.string(key, valueOptions);
    }
    return out;
  }

  /** Refuses every field that no accessor read. */
  done(): void {
    for (const key of Object.keys(this.obj).sort()) {
      if (this.seen.has(key)) continue;
      const path = this.fieldPath(key);
      if (CONFIDENTIAL_NAMES.has(key)) {
        throw invalidArgument(
          `${path} is commercially sensitive: send it in the transient map 'confidential', not in the arguments`,
        );
      }
      throw invalidArgument(`${path} is not a known field`);
    }
  }
}

export function checkString(value: unknown, path: string, options: StringOptions = {}): string {
  if (typeof value !== 'string') throw invalidArgument(`${path} must be a string`);
  if (options.allowed && !options.allowed.includes(value)) {
    throw invalidArgument(`${path} must be one of ${options.allowed.join(', ')} (got '${clip(value)}')`);
  }
  if (options.format) {
    const format = FORMATS[options.format];
    if (!format.pattern.test(value)) throw invalidArgument(`${path} must be ${format.text} (got '${clip(value)}')`);
    if (options.format === 'isoTime' && Number.isNaN(Date.parse(value))) {
      throw invalidArgument(`${path} is not a valid date-time (got '${clip(value)}')`);
    }
  } else if (value.trim() === '') {
    throw invalidArgument(`${path} must not be empty`);
  }
  const maxLength = options.maxLength ?? 1024;
  if (value.length > maxLength) throw invalidArgument(`${path} must be at most ${maxLength} characters`);
  return value;
}

export function checkNumber(value: unknown, path: string, options: NumberOptions = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(`${path} must be a number`);
  if (options.integer && !Number.isInteger(value)) throw invalidArgument(`${path} must be an integer`);
  if (options.positive && !(value > 0)) throw invalidArgument(`${path} must be greater than 0`);
  if (options.min !== undefined && value < options.min)
    throw invalidArgument(`${path} must be at least ${options.min}`);
  if (options.max !== undefined && value > options.max) throw invalidArgument(`${path} must be at most ${options.max}`);
  return value;
}

/** Validates one id-like transaction argument. */
export function checkId(value: string, argumentName: string, format: FormatName = 'id'): string {
  return checkString(value, argumentName, { format });
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}

/** Decimal amounts as integer thousandths, so sums and comparisons are exact. */
export function amountToMilli(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0'));
}

export function milliToAmount(milli: bigint): string {
  const whole = milli / 1000n;
  const fraction = (milli % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

import { createHash } from 'node:crypto';
import type { Context } from 'fabric-contract-api';
import { invalidArgument } from './contract-error';
import { canonicalJson } from './serializer';
import { checkNumber, checkString, FieldReader } from './validation';

/** The transient map key carrying commercially sensitive fields. */
export const CONFIDENTIAL_TRANSIENT_KEY = 'confidential';

/** Paths of the fields that may (and must) travel privately. `[n]` is a goods item index. */
const FIELD_PATHS: Array<{ pattern: RegExp; check: (value: unknown, path: string) => void }> = [
  { pattern: /^goodsItems\[(\d+)\]\.customsValue$/, check: (v, p) => void checkDecimal(v, p) },
  { pattern: /^goodsItems\[(\d+)\]\.currency$/, check: (v, p) => void checkString(v, p, { format: 'currency' }) },
  { pattern: /^invoiceAmount$/, check: (v, p) => void checkDecimal(v, p) },
  { pattern: /^invoiceCurrency$/, check: (v, p) => void checkString(v, p, { format: 'currency' }) },
  { pattern: /^(declarant|exporter|importer)\.name$/, check: (v, p) => void checkString(v, p, { maxLength: 256 }) },
  { pattern: /^(declarant|exporter|importer)\.address$/, check: checkAddress },
];

export const CONFIDENTIAL_FIELD_PATTERNS: readonly RegExp[] = FIELD_PATHS.map((f) => f.pattern);

export interface ConfidentialField {
  value: unknown;
  salt: string;
}

/** What arrives in the transient map and what is stored (as is) in the private data collection. */
export interface ConfidentialInput {
  collection: string;
  fields: Record<string, ConfidentialField>;
}

/** The private record: the declaration id and every field with its value and salt. */
export interface PrivateDeclarationRecord {
  declarationId: string;
  collection: string;
  fields: Record<string, ConfidentialField>;
}

/**
 * The salted commitment kept in public state for one confidential field:
 * sha256hex(salt + U+0000 + canonicalJson(value)). Anyone handed value and salt can recompute it.
 */
export function fieldCommitment(salt: string, value: unknown): string {
  return createHash('sha256')
    .update(`${salt}\u0000${canonicalJson(value)}`, 'utf8')
    .digest('hex');
}

export function commitmentsOf(fields: Record<string, ConfidentialField>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of Object.keys(fields).sort()) {
    const field = fields[path];
    if (field) out[path] = fieldCommitment(field.salt, field.value);
  }
  return out;
}

/**
 * Reads and validates transient['confidential'] when present. `goodsItemCount` bounds the
 * goods item indexes the field paths may name.
 */
export function readConfidentialInput(ctx: Context, goodsItemCount: number): ConfidentialInput | undefined {
  const bytes = ctx.stub.getTransient().get(CONFIDENTIAL_TRANSIENT_KEY);
  if (!bytes || bytes.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    throw invalidArgument(`transient '${CONFIDENTIAL_TRANSIENT_KEY}' is not valid JSON`);
  }
  return confidentialInputFrom(json, goodsItemCount);
}

export function confidentialInputFrom(json: unknown, goodsItemCount: number): ConfidentialInput {
  const base = `transient.${CONFIDENTIAL_TRANSIENT_KEY}`;
  const reader = FieldReader.of(json, base);
  const collection = reader.string('collection', { format: 'id' });
  const fields = reader.object('fields', (fieldsJson, fieldsPath) => {
    const map = FieldReader.of(fieldsJson, fieldsPath);
    const out: Record<string, ConfidentialField> = {};
    const paths = Object.keys(fieldsJson as Record<string, unknown>).sort();
    if (paths.length === 0) throw invalidArgument(`${fieldsPath} must name at least one field`);
    for (const path of paths) {
      const rule = FIELD_PATHS.find((f) => f.pattern.test(path));
      if (!rule) throw invalidArgument(`${fieldsPath}: '${path}' is not a confidential field path`);
      const index = rule.pattern.exec(path)?.[1];
      if (index !== undefined && Number(index) >= goodsItemCount) {
        throw invalidArgument(`${fieldsPath}: '${path}' names a goods item the declaration does not have`);
      }
      out[path] = map.object(path, (fieldJson, fieldPath) => {
        const field = FieldReader.of(fieldJson, fieldPath);
        const salt = field.string('salt', { format: 'salt', maxLength: 256 });
        if (!field.has('value')) throw invalidArgument(`${fieldPath}.value is required`);
        const value = field.object('value', (v) => v);
        rule.check(value, `${fieldPath}.value`);
        field.done();
        return { value, salt };
      });
    }
    map.done();
    return out;
  });
  reader.done();
  return { collection, fields };
}

function checkDecimal(value: unknown, path: string): void {
  if (typeof value === 'number') {
    checkNumber(value, path, { min: 0 });
    return;
  }
  checkString(value, path, { format: 'amount' });
}

function checkAddress(value: unknown, path: string): void {
  if (typeof value === 'string') {
    checkString(value, path, { maxLength: 512 });
    return;
  }
  const reader = FieldReader.of(value, path);
  reader.optionalString('street', { maxLength: 256 });
  reader.optionalString('city', { maxLength: 128 });
  reader.optionalString('postcode', { maxLength: 32 });
  reader.optionalString('country', { format: 'country' });
  reader.done();
}

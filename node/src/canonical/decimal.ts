/**
 * The decimal-string rule for money (Amount.value), quantities and masses (`*_mass_kg`): ASCII
 * digits without sign, exponent or leading zeros, optionally "." and 1 to 6 fraction digits, at
 * most 18 integer digits. Exact in every format, unlike a float; the string is carried as lodged
 * ("1.50" stays "1.50"), so compare numerically, not textually.
 */
export const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$/;

/** ISO 4217 alphabetic currency code (upper case). */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;

/** Harmonized System code: 6 to 10 digits. */
export const HS_CODE_PATTERN = /^[0-9]{6,10}$/;

export function isDecimalString(value: string): boolean {
  return DECIMAL_PATTERN.test(value);
}

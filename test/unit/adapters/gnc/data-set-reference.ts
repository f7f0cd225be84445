import type { UtilityBlock } from '../../../../adapters/gnc';

/**
 * The data-set rule as written, on a body's plain JSON object (toObject form): the reference that
 * minimiseBody and checkDataSet (adapters/gnc/data-set.ts), which walk decoded gnc.v1 messages
 * instead, are compared with in data-set.test.ts. A path (proto JSON names, dotted; array
 * elements share their array's path) is allowed when a data-set entry equals it or is one of its
 * ancestors.
 */

function allowed(dataSet: readonly string[], path: string): boolean {
  return dataSet.some((entry) => path === entry || path.startsWith(`${entry}.`));
}

/** True when some data-set entry lies below `path` (so `path` must be walked into, not dropped). */
function leadsToAllowed(dataSet: readonly string[], path: string): boolean {
  return dataSet.some((entry) => entry.startsWith(`${path}.`));
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function walk(value: Json, path: string, dataSet: readonly string[], outside: Set<string>): Json | undefined {
  if (path && allowed(dataSet, path)) return value;
  if (Array.isArray(value)) {
    const kept = value
      .map((item) => walk(item, path, dataSet, outside))
      .filter((item): item is Json => item !== undefined);
    return kept.length > 0 ? kept : undefined;
  }
  if (value !== null && typeof value === 'object' && (path === '' || leadsToAllowed(dataSet, path))) {
    const kept: { [key: string]: Json } = {};
    for (const [key, inner] of Object.entries(value)) {
      const result = walk(inner, path ? `${path}.${key}` : key, dataSet, outside);
      if (result !== undefined) kept[key] = result;
    }
    return Object.keys(kept).length > 0 || path === '' ? kept : undefined;
  }
  outside.add(path);
  return undefined;
}

/** Splits a body (as a plain JSON object) into what the block's data set allows and the paths it does not. */
export function applyDataSet(
  block: UtilityBlock,
  body: Record<string, unknown>,
): { kept: Record<string, unknown>; outside: string[] } {
  const outside = new Set<string>();
  const kept = (walk(body as Json, '', block.dataSet, outside) ?? {}) as Record<string, unknown>;
  return { kept, outside: [...outside].sort() };
}

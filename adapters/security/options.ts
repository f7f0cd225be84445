import { ConfigError } from '../../node/src/errors';

/** One option a scheme accepts from its agreement: its allowed values and default. */
export type OptionSpec =
  { kind: 'boolean'; default: boolean } | { kind: 'enum'; values: readonly string[]; default: string };

/**
 * Reads a scheme's `init` options strictly: unknown keys and wrong values are all listed in one
 * ConfigError, so a bad agreement fails at start with every problem named. `production` is
 * accepted by every scheme (the node passes it from its own config).
 */
export function readOptions<S extends Record<string, OptionSpec>>(
  scheme: string,
  init: Record<string, unknown>,
  spec: S,
): { [K in keyof S]: S[K]['default'] } & { production: boolean } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(init)) {
    if (key !== 'production' && !(key in spec))
      problems.push(`unknown option '${key}' (known: ${['production', ...Object.keys(spec)].join(', ')})`);
  }
  const production = init.production ?? false;
  if (typeof production !== 'boolean') problems.push(`'production' must be a boolean`);
  out.production = production;
  for (const [key, s] of Object.entries(spec)) {
    const value = init[key] ?? s.default;
    if (s.kind === 'boolean' && typeof value !== 'boolean') problems.push(`'${key}' must be a boolean`);
    if (s.kind === 'enum' && (typeof value !== 'string' || !s.values.includes(value))) {
      problems.push(`'${key}' must be one of ${s.values.join(', ')}`);
    }
    out[key] = value;
  }
  if (problems.length > 0) throw new ConfigError(`security scheme '${scheme}' options are invalid`, problems);
  return out as { [K in keyof S]: S[K]['default'] } & { production: boolean };
}

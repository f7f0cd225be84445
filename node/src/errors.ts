/**
 * Every error the node raises on purpose is a GncError with a stable `code` (catalogued in
 * docs/errors.md), an optional HTTP status for the API edge, and the underlying `cause`.
 * Callers branch on `code`, never on message text.
 */
export class GncError extends Error {
  readonly code: string;
  readonly httpStatus: number;

  constructor(code: string, message: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = options.httpStatus ?? 500;
  }
}

/** A configuration file or command-line value is wrong; `problems` lists every one found. */
export class ConfigError extends GncError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = [], options: { cause?: unknown } = {}) {
    super('GNC_CONFIG_INVALID', problems.length ? `${message}:\n  - ${problems.join('\n  - ')}` : message, {
      ...options,
      httpStatus: 500,
    });
    this.problems = problems;
  }
}

/** Input from a caller (HTTP body, CLI argument, file) that cannot be used as given. */
export class InvalidInputError extends GncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_INVALID_INPUT', message, { ...options, httpStatus: 400 });
  }
}

/** Narrows an unknown thrown value to an Error without losing what it was. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

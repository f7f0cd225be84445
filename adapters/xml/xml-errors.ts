import { GncError } from '../../node/src/errors';

/** Why a document was refused; `doctype` and `entity` are the security refusals. */
export type XmlParseErrorReason = 'doctype' | 'entity' | 'limit' | 'encoding' | 'syntax';

/**
 * GNC_XML_INVALID (400): the bytes are not XML this node accepts. `line` and `column` are 1-based
 * and point at the problem (0 when the problem has no position, e.g. the input size). Callers wrap
 * it in their own typed error (FormatInvalidError, MalformedMessageError) as `cause`.
 */
export class XmlParseError extends GncError {
  readonly reason: XmlParseErrorReason;
  readonly line: number;
  readonly column: number;
  /** The problem without the position prefix. */
  readonly problem: string;
  constructor(reason: XmlParseErrorReason, problem: string, line: number, column: number) {
    super('GNC_XML_INVALID', line > 0 ? `line ${line}, column ${column}: ${problem}` : problem, { httpStatus: 400 });
    this.reason = reason;
    this.line = line;
    this.column = column;
    this.problem = problem;
  }
}

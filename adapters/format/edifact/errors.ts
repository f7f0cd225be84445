import { FormatInvalidError } from '../../../node/src/canonical';

/** Where in an interchange a problem is: the segment, its position, and the element. */
export interface EdifactPosition {
  /** Segment tag, e.g. `UNT`. */
  readonly segment?: string;
  /** 1-based position of the segment in the interchange (UNA not counted, UNB is 1). */
  readonly segmentNumber?: number;
  /** 1-based line of the input the segment starts on. */
  readonly line?: number;
  /** 1-based position of the segment within its message (UNH is 1), as CONTRL UCS reports it. */
  readonly positionInMessage?: number;
  /** Data element, by directory id and, for a component, `composite/component` (e.g. `S001/0002`). */
  readonly element?: string;
  /** 1-based position of the data element in the segment (CONTRL S011/0098). */
  readonly elementPosition?: number;
  /** 1-based position of the component in the composite (CONTRL S011/0104). */
  readonly componentPosition?: number;
}

/**
 * A UN/EDIFACT interchange that breaks the syntax rules (ISO 9735), the message structure or the
 * mapping. It is a FormatInvalidError (GNC_FORMAT_INVALID, HTTP 400) whose message names the
 * segment, its number and line, and the element; the same facts are fields, and `syntaxErrorCode`
 * is the ISO 9735 code (data element 0085) a CONTRL acknowledgement reports for it.
 */
export class EdifactSyntaxError extends FormatInvalidError {
  readonly position: EdifactPosition;
  /** ISO 9735 syntax error code (0085), e.g. '29' control count does not match. */
  readonly syntaxErrorCode: string;

  constructor(position: EdifactPosition, problem: string, syntaxErrorCode = '18', options: { cause?: unknown } = {}) {
    super('gnc.v1.Envelope', `EDIFACT ${describePosition(position)}: ${problem}`, options);
    this.position = position;
    this.syntaxErrorCode = syntaxErrorCode;
  }
}

function describePosition(p: EdifactPosition): string {
  const parts: string[] = [];
  if (p.segment !== undefined) {
    let where = p.segment;
    const at: string[] = [];
    if (p.segmentNumber !== undefined) at.push(`segment ${p.segmentNumber}`);
    if (p.line !== undefined) at.push(`line ${p.line}`);
    if (at.length > 0) where += ` (${at.join(', ')})`;
    parts.push(where);
  }
  if (p.element !== undefined) parts.push(`element ${p.element}`);
  return parts.length > 0 ? parts.join(', ') : 'interchange';
}

/** ISO 9735 syntax error codes (data element 0085) this implementation reports. */
export const SyntaxErrorCode = {
  syntaxVersionNotSupported: '2',
  invalidValue: '12',
  missing: '13',
  notSupportedInPosition: '15',
  tooManyConstituents: '16',
  unspecified: '18',
  invalidCharacter: '21',
  invalidServiceCharacter: '22',
  referencesDoNotMatch: '28',
  controlCountMismatch: '29',
  tooManyRepetitions: '35',
  tooManyGroupRepetitions: '36',
  duplicate: '26',
  segmentMissing: '13',
} as const;

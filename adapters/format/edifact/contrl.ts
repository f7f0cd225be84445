/**
 * CONTRL, the ISO 9735 syntax and service report: reading one (what the partner says of our
 * interchange) and generating one for an interchange we received (accepted, or rejected with the
 * syntax error code, segment and element positions of the first error found).
 */
import { EdifactSyntaxError } from './errors';
import { readStructure, isSupported } from './structure';
import {
  component,
  parseInterchange,
  peekUnb,
  positionOf,
  type EdifactMessage,
  type Interchange,
  type Segment,
} from './syntax';
import { InterchangeWriter } from './writer';

/** 0083 action codes. */
export const ContrlAction = { rejected: '4', acknowledged: '7', received: '8' } as const;

export interface ContrlError {
  /** 0085 syntax error code. */
  readonly code: string;
  /** 0013 segment tag (UCI/UCM level), or 0096 segment position in the message (UCS). */
  readonly segmentTag?: string;
  readonly segmentPosition?: number;
  /** S011: 0098 data element position, 0104 component position. */
  readonly elementPosition?: number;
  readonly componentPosition?: number;
}

export interface ContrlMessageReport {
  readonly reference: string;
  readonly type: string;
  readonly version: string;
  readonly release: string;
  readonly agency: string;
  readonly action: string;
  readonly errors: readonly ContrlError[];
}

export interface ContrlReport {
  /** Control reference of the interchange acknowledged, and its sender and recipient. */
  readonly interchangeReference: string;
  readonly sender: string;
  readonly recipient: string;
  readonly action: string;
  readonly error?: ContrlError;
  readonly messages: readonly ContrlMessageReport[];
}

const num = (v: string): number | undefined => (v === '' ? undefined : Number(v));

function errorAt(seg: Segment, codeAt: number): ContrlError | undefined {
  const code = component(seg, codeAt);
  if (!code) return undefined;
  return {
    code,
    segmentTag: component(seg, codeAt + 1) || undefined,
    elementPosition: num(component(seg, codeAt + 2, 0)),
    componentPosition: num(component(seg, codeAt + 2, 1)),
  };
}

/** Reads a CONTRL message (its structure is checked first). */
export function parseContrl(message: EdifactMessage): ContrlReport {
  if (message.type !== 'CONTRL') {
    const unh = message.segments[0]!;
    throw new EdifactSyntaxError(positionOf(unh, 'S009/0065', 2), `message type ${message.type} is not CONTRL`, '12');
  }
  const root = readStructure(message);
  const uci = root.segments.find((s) => s.tag === 'UCI')!;
  const messages: ContrlMessageReport[] = [];
  const ucmGroups = [
    ...root.groups.filter((g) => g.id === 'SG1'),
    ...root.groups.filter((g) => g.id === 'SG3').flatMap((g) => g.groups),
  ];
  for (const g of ucmGroups) {
    const ucm = g.segments[0]!;
    const errors: ContrlError[] = [];
    const top = errorAt(ucm, 3);
    if (top) errors.push(top);
    for (const ucsGroup of g.groups) {
      const ucs = ucsGroup.segments[0]!;
      errors.push({ code: component(ucs, 1), segmentPosition: num(component(ucs, 0)) });
      for (const ucd of ucsGroup.segments.slice(1)) {
        errors.push({
          code: component(ucd, 0),
          segmentPosition: num(component(ucs, 0)),
          elementPosition: num(component(ucd, 1, 0)),
          componentPosition: num(component(ucd, 1, 1)),
        });
      }
    }
    messages.push({
      reference: component(ucm, 0),
      type: component(ucm, 1, 0),
      version: component(ucm, 1, 1),
      release: component(ucm, 1, 2),
      agency: component(ucm, 1, 3),
      action: component(ucm, 2),
      errors,
    });
  }
  return {
    interchangeReference: component(uci, 0),
    sender: component(uci, 1),
    recipient: component(uci, 2),
    action: component(uci, 3),
    error: errorAt(uci, 4),
    messages,
  };
}

export interface AcknowledgeOptions {
  /** Our control reference for the CONTRL interchange. */
  readonly controlReference: string;
  readonly preparedAtMs: number;
}

/**
 * Checks a received interchange (syntax, counts, references and, for the messages whose tables
 * we have, their structure) and generates the CONTRL that answers it, addressed back to its
 * sender. Returns undefined when the input has no readable UNB (nothing to answer to).
 */
export function acknowledge(received: Uint8Array, options: AcknowledgeOptions): Uint8Array | undefined {
  let interchange: Interchange;
  try {
    interchange = parseInterchange(received);
  } catch (err) {
    if (!(err instanceof EdifactSyntaxError)) throw err;
    const peek = peekUnb(received);
    if (!peek) return undefined;
    const { unb, base } = peek;
    const w = writerFor(base.syntaxIdentifier, base.syntaxVersion, unb, options);
    const p = err.position;
    beginContrl(w, base.syntaxVersion);
    w.segment(
      'UCI',
      component(unb, 4),
      unb.elements[1],
      unb.elements[2],
      ContrlAction.rejected,
      err.syntaxErrorCode,
      p.segment,
      p.elementPosition
        ? [String(p.elementPosition), p.componentPosition ? String(p.componentPosition) : undefined]
        : undefined,
    );
    w.endMessage();
    return w.finish();
  }
  const w = writerFor(interchange.syntaxIdentifier, interchange.syntaxVersion, interchange.unb, options);
  beginContrl(w, interchange.syntaxVersion);
  const results = interchange.messages.map((m) => {
    try {
      if (isSupported(m)) readStructure(m);
      return { m, err: undefined };
    } catch (err) {
      if (!(err instanceof EdifactSyntaxError)) throw err;
      return { m, err };
    }
  });
  const rejectedAll = results.length > 0 && results.every((r) => r.err);
  w.segment(
    'UCI',
    interchange.controlReference,
    interchange.unb.elements[1],
    interchange.unb.elements[2],
    rejectedAll ? ContrlAction.rejected : ContrlAction.acknowledged,
  );
  for (const { m, err } of results) {
    if (!err) {
      w.segment('UCM', m.reference, [m.type, m.version, m.release, m.agency], ContrlAction.acknowledged);
      continue;
    }
    w.segment('UCM', m.reference, [m.type, m.version, m.release, m.agency], ContrlAction.rejected);
    const p = err.position;
    w.segment('UCS', String(p.positionInMessage ?? 1), err.syntaxErrorCode);
  }
  w.endMessage();
  return w.finish();
}

function writerFor(
  syntaxIdentifier: string,
  syntaxVersion: 3 | 4,
  unb: Segment,
  options: AcknowledgeOptions,
): InterchangeWriter {
  const id = (['UNOA', 'UNOB', 'UNOC', 'UNOW', 'UNOY'] as const).find((s) => s === syntaxIdentifier) ?? 'UNOC';
  return new InterchangeWriter({
    syntaxIdentifier: id,
    syntaxVersion,
    // Back to the sender: recipient and sender of the received UNB swap places.
    sender: { id: component(unb, 2, 0), qualifier: component(unb, 2, 1) || undefined },
    recipient: { id: component(unb, 1, 0), qualifier: component(unb, 1, 1) || undefined },
    preparedAtMs: options.preparedAtMs,
    controlReference: options.controlReference,
  });
}

function beginContrl(w: InterchangeWriter, syntaxVersion: 3 | 4): void {
  if (syntaxVersion === 4) w.beginMessage('1', 'CONTRL', '4', '1');
  else w.beginMessage('1', 'CONTRL', 'D', '3');
}

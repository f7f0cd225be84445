import { FormatInvalidError, epochMillis, gnc } from '../../../node/src/canonical';
import { ConfigError } from '../../../node/src/errors';
import { checkEnvelopeOfCheckedValues, checkSize, readFormatOptions, verifyEnvelope } from '../envelope-checks';
import type { MessageFormat, MessageFormatFactory } from '../message-format';
import { EdifactSyntaxError, SyntaxErrorCode as E } from './errors';
import { readDeclarationMessage } from './read-declaration';
import { readStructure } from './structure';
import { parseInterchange, positionOf, type EdifactMessage, type Interchange } from './syntax';
import { writeDeclaration, type DeclarationMessage, type Directory } from './write-declaration';
import { InterchangeWriter, type InterchangeHeader } from './writer';

const ENVELOPE = 'gnc.v1.Envelope';
const BUSINESS = new Set(['CUSDEC', 'CUSRES', 'CUSCAR']);

/** The options of the `edifact` format, checked once when the format is created. */
export interface EdifactOptions {
  readonly maxBytes: number;
  /** Syntax level of UNB S001/0001 (UNOC: ISO 8859-1, the usual customs level; UNOW: UTF-8, syntax 4 only). */
  readonly syntaxIdentifier: InterchangeHeader['syntaxIdentifier'];
  readonly syntaxVersion: 3 | 4;
  readonly directory: Directory;
  /** Which message a Declaration is written as. */
  readonly message: DeclarationMessage;
  /** UNB S002/S003 interchange ids; the envelope's sender and receiver administration ids by default. */
  readonly senderId?: string;
  readonly senderQualifier?: string;
  readonly recipientId?: string;
  readonly recipientQualifier?: string;
  readonly testIndicator: boolean;
  readonly lineBreaks: boolean;
}

const CHOICES: Readonly<Record<string, readonly unknown[]>> = {
  syntaxIdentifier: ['UNOA', 'UNOB', 'UNOC', 'UNOW', 'UNOY'],
  syntaxVersion: [3, 4],
  directory: ['D96B', 'D99B'],
  message: ['CUSDEC', 'CUSRES', 'CUSCAR'],
  testIndicator: [true, false],
  lineBreaks: [true, false],
};
const STRINGS = ['senderId', 'senderQualifier', 'recipientId', 'recipientQualifier'];

export function readEdifactOptions(init: Record<string, unknown>): EdifactOptions {
  const { maxBytes } = readFormatOptions('edifact', init, [...Object.keys(CHOICES), ...STRINGS]);
  const problems: string[] = [];
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (init[key] !== undefined && !allowed.includes(init[key])) {
      problems.push(`'${key}' must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
    }
  }
  for (const key of STRINGS) {
    if (init[key] !== undefined && (typeof init[key] !== 'string' || init[key] === ''))
      problems.push(`'${key}' must be a non-empty string`);
  }
  const syntaxIdentifier = (init.syntaxIdentifier ?? 'UNOC') as EdifactOptions['syntaxIdentifier'];
  const syntaxVersion = (init.syntaxVersion ?? (syntaxIdentifier === 'UNOW' || syntaxIdentifier === 'UNOY' ? 4 : 3)) as
    3 | 4;
  if ((syntaxIdentifier === 'UNOW' || syntaxIdentifier === 'UNOY') && syntaxVersion !== 4) {
    problems.push(`syntax level ${syntaxIdentifier} exists in syntax version 4 only`);
  }
  if (problems.length > 0) throw new ConfigError(`message format 'edifact' options are invalid`, problems);
  return Object.freeze({
    maxBytes,
    syntaxIdentifier,
    syntaxVersion,
    directory: (init.directory ?? 'D96B') as Directory,
    message: (init.message ?? 'CUSDEC') as DeclarationMessage,
    senderId: init.senderId as string | undefined,
    senderQualifier: init.senderQualifier as string | undefined,
    recipientId: init.recipientId as string | undefined,
    recipientQualifier: init.recipientQualifier as string | undefined,
    testIndicator: init.testIndicator === true,
    lineBreaks: init.lineBreaks === true,
  });
}

/**
 * `edifact`: UN/EDIFACT interchanges (syntax versions 3 and 4) carrying one CUSDEC, CUSRES or
 * CUSCAR message (directories D96B and D99B), mapped to and from an Envelope with a Declaration
 * body (docs/formats-edifact.md). The other body kinds have no EDIFACT message and are refused
 * when encoding. Options: see EdifactOptions.
 */
export const edifactFormat: MessageFormatFactory = (init) => {
  const options = readEdifactOptions(init);
  return () => newEdifactFormat(options);
};

function newEdifactFormat(options: EdifactOptions): MessageFormat {
  return {
    name: 'edifact',
    contentType: 'application/edifact',
    encode(envelope: gnc.v1.IEnvelope): Uint8Array {
      return encodeEdifact(envelope, options);
    },
    decode(bytes: Uint8Array): gnc.v1.Envelope {
      checkSize(bytes, options.maxBytes);
      const interchange = parseInterchange(bytes);
      const business = interchange.messages;
      if (business.length !== 1) {
        const second = business[1]?.segments[0];
        throw new EdifactSyntaxError(
          second ? positionOf(second) : positionOf(interchange.unb),
          `the interchange carries ${business.length} messages; an envelope holds one (decodeEdifactInterchange reads them all)`,
          E.tooManyConstituents,
        );
      }
      return decodeMessage(interchange, business[0]!);
    },
  };
}

function decodeMessage(interchange: Interchange, message: EdifactMessage): gnc.v1.Envelope {
  const unh = message.segments[0]!;
  if (!BUSINESS.has(message.type)) {
    throw new EdifactSyntaxError(
      positionOf(unh, 'S009/0065', 2),
      message.type === 'CONTRL'
        ? 'CONTRL is a syntax acknowledgement, not a canonical record: read it with parseContrl()'
        : `message type ${message.type} has no canonical mapping (CUSDEC, CUSRES, CUSCAR)`,
      E.notSupportedInPosition,
    );
  }
  const root = readStructure(message);
  const plain = readDeclarationMessage(interchange, message, root);
  // The reader sets enums from the gnc.v1 enums and one body: verify could not fail (see there).
  return checkEnvelopeOfCheckedValues(gnc.v1.Envelope.fromObject(plain));
}

/** Every CUSDEC/CUSRES/CUSCAR message of an interchange as an Envelope, in order. */
export function decodeEdifactInterchange(bytes: Uint8Array, maxBytes = 4 * 1024 * 1024): gnc.v1.Envelope[] {
  checkSize(bytes, maxBytes);
  const interchange = parseInterchange(bytes);
  return interchange.messages.map((m) => decodeMessage(interchange, m));
}

function encodeEdifact(envelope: gnc.v1.IEnvelope, options: EdifactOptions): Uint8Array {
  verifyEnvelope(envelope);
  const h = envelope.header;
  if (!h?.messageId) throw new FormatInvalidError(ENVELOPE, 'header.messageId: missing');
  if (!envelope.declaration) {
    const kind = Object.keys(envelope).find(
      (k) => k !== 'header' && k !== 'body' && (envelope as Record<string, unknown>)[k],
    );
    throw new FormatInvalidError(
      ENVELOPE,
      kind
        ? `edifact: a ${kind} body has no EDIFACT message (CUSDEC/CUSRES/CUSCAR carry declarations only)`
        : 'body: no record is set',
    );
  }
  const sender = options.senderId ?? h.senderId;
  const recipient = options.recipientId ?? h.receiverId;
  if (!sender)
    throw new FormatInvalidError(ENVELOPE, 'edifact: no UNB sender (header.senderId or the senderId option)');
  if (!recipient)
    throw new FormatInvalidError(ENVELOPE, 'edifact: no UNB recipient (header.receiverId or the recipientId option)');
  const w = new InterchangeWriter({
    syntaxIdentifier: options.syntaxIdentifier,
    syntaxVersion: options.syntaxVersion,
    sender: { id: sender, qualifier: options.senderQualifier },
    recipient: { id: recipient, qualifier: options.recipientQualifier },
    preparedAtMs: Math.max(0, epochMillis(h.createdAtMs, 'header.createdAtMs')),
    controlReference: controlReference(h.messageId),
    testIndicator: options.testIndicator,
    lineBreaks: options.lineBreaks,
  });
  writeDeclaration(w, envelope, options.message, options.directory);
  return w.finish();
}

/** UNB 0020 (an..14) from the message id: its last 14 letters and digits, so re-encoding gives the same bytes. */
function controlReference(messageId: string): string {
  const alnum = messageId.replace(/[^A-Za-z0-9]/g, '');
  return alnum.length === 0 ? '1' : alnum.slice(-14);
}

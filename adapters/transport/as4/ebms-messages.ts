/**
 * The ebMS 3 messages this transport writes (UserMessage, Receipt, Error signals in SOAP 1.2)
 * and the reading of any ebMS 3 envelope (SOAP 1.2 or 1.1) into plain data.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { EBMS, EbmsFault, type EbmsErrorInfo, type EbmsErrorKind } from './ebms-errors';
import { EBMS_DEFAULTS, NS } from './namespaces';
import type { PartReference } from './ws-security';
import { referenceXml } from './ws-security';
import { child, children, idOf, text } from './xml-dom';
import { escapeAttribute as attr, escapeText as esc } from './xml-text';

export interface PartyRef {
  id: string;
  type?: string | undefined;
  role: string;
}

export interface UserMessageFields {
  messageId: string;
  timestamp: string;
  mpc: string;
  from: PartyRef;
  to: PartyRef;
  agreementRef?: { value: string; type?: string | undefined } | undefined;
  service: { value: string; type?: string | undefined };
  action: string;
  conversationId: string;
  /** Payload attachments: Content-ID and MIME type. */
  parts: Array<{ contentId: string; mimeType: string }>;
}

const MESSAGING_OPEN = (id: string) =>
  `<eb:Messaging xmlns:eb="${NS.EB}" xmlns:wsu="${NS.WSU}" xmlns:S12="${NS.SOAP12}" S12:mustUnderstand="true" wsu:Id="${attr(id)}">`;

/** A SOAP 1.2 envelope with `headerXml` (after a `<!--security-->` marker) and an empty Body with wsu:Id `bodyId`. */
function envelope(messagingXml: string, bodyId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="${NS.SOAP12}">` +
    `<S12:Header>${SECURITY_SLOT}${messagingXml}</S12:Header>` +
    `<S12:Body xmlns:wsu="${NS.WSU}" wsu:Id="${attr(bodyId)}"/></S12:Envelope>`
  );
}

/** Where the wsse:Security header goes once signed (its digests do not depend on it). */
export const SECURITY_SLOT = '<!--wsse-->';

function party(tag: 'From' | 'To', p: PartyRef): string {
  const type = p.type ? ` type="${attr(p.type)}"` : '';
  return `<eb:${tag}><eb:PartyId${type}>${esc(p.id)}</eb:PartyId><eb:Role>${esc(p.role)}</eb:Role></eb:${tag}>`;
}

/** The UserMessage envelope (unsigned; the Security header replaces SECURITY_SLOT). */
export function userMessageEnvelope(m: UserMessageFields, messagingId: string, bodyId: string): string {
  const agreement = m.agreementRef
    ? `<eb:AgreementRef${m.agreementRef.type ? ` type="${attr(m.agreementRef.type)}"` : ''}>${esc(m.agreementRef.value)}</eb:AgreementRef>`
    : '';
  const serviceType = m.service.type ? ` type="${attr(m.service.type)}"` : '';
  const parts = m.parts
    .map(
      (p) =>
        `<eb:PartInfo href="cid:${attr(p.contentId)}"><eb:PartProperties>` +
        `<eb:Property name="MimeType">${esc(p.mimeType)}</eb:Property></eb:PartProperties></eb:PartInfo>`,
    )
    .join('');
  const messaging =
    `${MESSAGING_OPEN(messagingId)}<eb:UserMessage mpc="${attr(m.mpc)}"><eb:MessageInfo>` +
    `<eb:Timestamp>${esc(m.timestamp)}</eb:Timestamp><eb:MessageId>${esc(m.messageId)}</eb:MessageId></eb:MessageInfo>` +
    `<eb:PartyInfo>${party('From', m.from)}${party('To', m.to)}</eb:PartyInfo>` +
    `<eb:CollaborationInfo>${agreement}<eb:Service${serviceType}>${esc(m.service.value)}</eb:Service>` +
    `<eb:Action>${esc(m.action)}</eb:Action><eb:ConversationId>${esc(m.conversationId)}</eb:ConversationId>` +
    `</eb:CollaborationInfo><eb:PayloadInfo>${parts}</eb:PayloadInfo></eb:UserMessage></eb:Messaging>`;
  return envelope(messaging, bodyId);
}

function signalInfo(messageId: string, timestamp: string, refTo: string | undefined): string {
  return (
    `<eb:MessageInfo><eb:Timestamp>${esc(timestamp)}</eb:Timestamp><eb:MessageId>${esc(messageId)}</eb:MessageId>` +
    (refTo ? `<eb:RefToMessageId>${esc(refTo)}</eb:RefToMessageId>` : '') +
    `</eb:MessageInfo>`
  );
}

/**
 * A Receipt signal: ebbp:NonRepudiationInformation with one MessagePartNRInformation per part of
 * the received message (the ds:References it was signed with, or the digests we computed), and,
 * as our extension, gnc:ApplicationResponse naming the attachment with the node's answer.
 */
export function receiptEnvelope(
  r: { messageId: string; timestamp: string; refToMessageId: string; nri: PartReference[]; answerContentId: string },
  messagingId: string,
  bodyId: string,
): string {
  const nri = r.nri
    .map((ref) => `<ebbp:MessagePartNRInformation>${referenceXml(ref)}</ebbp:MessagePartNRInformation>`)
    .join('');
  const messaging =
    `${MESSAGING_OPEN(messagingId)}<eb:SignalMessage>${signalInfo(r.messageId, r.timestamp, r.refToMessageId)}` +
    `<eb:Receipt><ebbp:NonRepudiationInformation xmlns:ebbp="${NS.EBBP}" xmlns:ds="${NS.DS}">${nri}` +
    `</ebbp:NonRepudiationInformation><gnc:ApplicationResponse xmlns:gnc="${NS.GNC}" ` +
    `href="cid:${attr(r.answerContentId)}"/></eb:Receipt></eb:SignalMessage></eb:Messaging>`;
  return envelope(messaging, bodyId);
}

/** An Error signal (never signed: see README). */
export function errorEnvelope(e: {
  messageId: string;
  timestamp: string;
  refToMessageId?: string | undefined;
  kind: EbmsErrorKind;
  severity: 'failure' | 'warning';
  description: string;
  detail: string;
}): string {
  const ref = e.refToMessageId ? ` refToMessageInError="${attr(e.refToMessageId)}"` : '';
  const messaging =
    `${MESSAGING_OPEN(`_ebmessaging-${e.messageId.replace(/[^A-Za-z0-9_.-]/g, '_')}`)}<eb:SignalMessage>` +
    `${signalInfo(e.messageId, e.timestamp, e.refToMessageId)}` +
    `<eb:Error category="${e.kind.category}" errorCode="${e.kind.code}" origin="ebMS" severity="${e.severity}" ` +
    `shortDescription="${e.kind.shortDescription}"${ref}><eb:Description xml:lang="en">${esc(e.description)}` +
    `</eb:Description><eb:ErrorDetail>${esc(e.detail)}</eb:ErrorDetail></eb:Error></eb:SignalMessage></eb:Messaging>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="${NS.SOAP12}"><S12:Header>${messaging}` +
    `</S12:Header><S12:Body/></S12:Envelope>`
  );
}

// ---- reading ---------------------------------------------------------------------------------

export interface ParsedUserMessage {
  messageId: string;
  timestamp: string;
  refToMessageId?: string | undefined;
  mpc: string;
  from: { partyIds: Array<{ id: string; type?: string | undefined }>; role: string };
  to: { partyIds: Array<{ id: string; type?: string | undefined }>; role: string };
  agreementRef?: { value: string; type?: string | undefined; pmode?: string | undefined } | undefined;
  service: { value: string; type?: string | undefined };
  action: string;
  conversationId: string;
  parts: Array<{ href: string; properties: Record<string, string> }>;
}

export interface ParsedSignal {
  messageId: string;
  timestamp: string;
  refToMessageId?: string | undefined;
  receipt?: { nri: PartReference[]; applicationResponseHref?: string | undefined; receiptElement: Element } | undefined;
  errors: EbmsErrorInfo[];
  pullRequest?: { mpc: string } | undefined;
}

export interface ParsedEnvelope {
  soapVersion: '1.1' | '1.2';
  doc: Document;
  header: Element;
  body: Element;
  messaging: Element;
  userMessage?: ParsedUserMessage | undefined;
  signal?: ParsedSignal | undefined;
}

const invalid = (message: string) => new EbmsFault(EBMS.INVALID_HEADER, message);

/** Reads the SOAP envelope and its one eb:Messaging header. Throws EbmsFault (EBMS:0009) if it is not one. */
export function readEnvelope(doc: Document): ParsedEnvelope {
  const root = doc.documentElement;
  if (!root || root.localName !== 'Envelope' || (root.namespaceURI !== NS.SOAP12 && root.namespaceURI !== NS.SOAP11)) {
    throw invalid('the document is not a SOAP 1.2 (or 1.1) envelope');
  }
  const soap = root.namespaceURI;
  const header = child(root, soap, 'Header');
  const body = child(root, soap, 'Body');
  if (!header || !body) throw invalid('the SOAP envelope lacks its Header or Body');
  const all = children(header, NS.EB, 'Messaging');
  if (all.length !== 1 || !all[0]) throw invalid(`expected one eb:Messaging header, found ${all.length}`);
  const messaging = all[0];
  const users = children(messaging, NS.EB, 'UserMessage');
  const signals = children(messaging, NS.EB, 'SignalMessage');
  if (users.length + signals.length !== 1) {
    throw new EbmsFault(
      EBMS.FEATURE_NOT_SUPPORTED,
      'only one UserMessage or SignalMessage per message is supported (no bundling)',
    );
  }
  return {
    soapVersion: soap === NS.SOAP12 ? '1.2' : '1.1',
    doc,
    header,
    body,
    messaging,
    ...(users[0] ? { userMessage: readUserMessage(users[0]) } : {}),
    ...(signals[0] ? { signal: readSignal(signals[0]) } : {}),
  };
}

function required(el: Element | undefined, what: string): string {
  const value = text(el);
  if (value === undefined || value === '') throw invalid(`${what} is missing or empty`);
  return value;
}

function readInfo(parent: Element): { messageId: string; timestamp: string; refToMessageId?: string | undefined } {
  const info = child(parent, NS.EB, 'MessageInfo');
  if (!info) throw invalid('eb:MessageInfo is missing');
  return {
    messageId: required(child(info, NS.EB, 'MessageId'), 'eb:MessageId'),
    timestamp: required(child(info, NS.EB, 'Timestamp'), 'eb:Timestamp'),
    refToMessageId: text(child(info, NS.EB, 'RefToMessageId')) || undefined,
  };
}

function readParty(partyInfo: Element, tag: 'From' | 'To') {
  const el = child(partyInfo, NS.EB, tag);
  if (!el) throw invalid(`eb:${tag} is missing`);
  const partyIds = children(el, NS.EB, 'PartyId').map((p) => ({
    id: text(p) ?? '',
    type: p.getAttribute('type') ?? undefined,
  }));
  if (partyIds.length === 0) throw invalid(`eb:${tag} has no eb:PartyId`);
  return { partyIds, role: required(child(el, NS.EB, 'Role'), `eb:${tag}/eb:Role`) };
}

function readUserMessage(um: Element): ParsedUserMessage {
  const partyInfo = child(um, NS.EB, 'PartyInfo');
  const collaboration = child(um, NS.EB, 'CollaborationInfo');
  if (!partyInfo || !collaboration) throw invalid('eb:PartyInfo or eb:CollaborationInfo is missing');
  const agreement = child(collaboration, NS.EB, 'AgreementRef');
  const service = child(collaboration, NS.EB, 'Service');
  const parts = children(child(um, NS.EB, 'PayloadInfo') ?? um, NS.EB, 'PartInfo').map((p) => {
    const properties: Record<string, string> = {};
    for (const prop of children(child(p, NS.EB, 'PartProperties') ?? p, NS.EB, 'Property')) {
      properties[prop.getAttribute('name') ?? ''] = text(prop) ?? '';
    }
    return { href: (p.getAttribute('href') ?? '').trim(), properties };
  });
  return {
    ...readInfo(um),
    mpc: (um.getAttribute('mpc') ?? '').trim() || EBMS_DEFAULTS.MPC,
    from: readParty(partyInfo, 'From'),
    to: readParty(partyInfo, 'To'),
    agreementRef: agreement
      ? {
          value: text(agreement) ?? '',
          type: agreement.getAttribute('type') ?? undefined,
          pmode: agreement.getAttribute('pmode') ?? undefined,
        }
      : undefined,
    service: { value: required(service, 'eb:Service'), type: service?.getAttribute('type') ?? undefined },
    action: required(child(collaboration, NS.EB, 'Action'), 'eb:Action'),
    conversationId: required(child(collaboration, NS.EB, 'ConversationId'), 'eb:ConversationId'),
    parts,
  };
}

function readSignal(signal: Element): ParsedSignal {
  const info = readInfo(signal);
  const receiptEl = child(signal, NS.EB, 'Receipt');
  const pull = child(signal, NS.EB, 'PullRequest');
  const errors = children(signal, NS.EB, 'Error').map((e): EbmsErrorInfo => ({
    errorCode: e.getAttribute('errorCode') ?? '',
    severity: e.getAttribute('severity') ?? '',
    category: e.getAttribute('category') ?? undefined,
    shortDescription: e.getAttribute('shortDescription') ?? undefined,
    origin: e.getAttribute('origin') ?? undefined,
    refToMessageInError: e.getAttribute('refToMessageInError') ?? undefined,
    description: text(child(e, NS.EB, 'Description')),
    detail: text(child(e, NS.EB, 'ErrorDetail')),
  }));
  let receipt: ParsedSignal['receipt'];
  if (receiptEl) {
    const nri: PartReference[] = [];
    for (const nriEl of children(receiptEl, NS.EBBP, 'NonRepudiationInformation')) {
      for (const part of children(nriEl, NS.EBBP, 'MessagePartNRInformation')) {
        for (const ref of children(part, NS.DS, 'Reference')) {
          nri.push({
            uri: ref.getAttribute('URI') ?? '',
            transforms: children(child(ref, NS.DS, 'Transforms') ?? ref, NS.DS, 'Transform').map(
              (t) => t.getAttribute('Algorithm') ?? '',
            ),
            digestAlgorithm: child(ref, NS.DS, 'DigestMethod')?.getAttribute('Algorithm') ?? '',
            digestValue: (text(child(ref, NS.DS, 'DigestValue')) ?? '').replace(/\s+/g, ''),
          });
        }
      }
    }
    const app = child(receiptEl, NS.GNC, 'ApplicationResponse');
    receipt = { nri, applicationResponseHref: app?.getAttribute('href') ?? undefined, receiptElement: receiptEl };
  }
  if (!receipt && !pull && errors.length === 0) {
    throw new EbmsFault(EBMS.FEATURE_NOT_SUPPORTED, 'a signal that is neither Receipt, Error nor PullRequest');
  }
  return {
    ...info,
    receipt,
    errors,
    pullRequest: pull ? { mpc: (pull.getAttribute('mpc') ?? '').trim() || EBMS_DEFAULTS.MPC } : undefined,
  };
}

/** The wsu:Id (or id) of eb:Messaging, which references and NRI name. */
export function messagingIdOf(parsed: ParsedEnvelope): string | undefined {
  return idOf(parsed.messaging);
}

import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { messageFormats } from '../../../adapters/format';
import {
  certificateRef,
  parseSignedData,
  sidMatches,
  verifySignerInfo,
} from '../../../adapters/security/cms/signed-data';
import { childElements, parseXml, textContent, type XmlElement } from '../../../adapters/xml';
import { gnc } from '../gen/gnc';
import { asError } from '../errors';

/**
 * `gnc inspect <file>`: says what a file is (EDIFACT interchange, WCO XML, AS4 message, CMS
 * object, JWS, canonical protobuf or JSON envelope), parses it with the project's own parsers,
 * verifies any signature it carries against the certificate it carries (integrity and who
 * signed; whether that signer is trusted is the agreement's question, not this command's), and
 * summarises it as JSON.
 */

export interface InspectSummary {
  kind: string;
  /** Parties, message ids and counts the file names. */
  details: Record<string, unknown>;
  signature?: {
    status: 'valid' | 'invalid' | 'no certificate included' | 'not checked';
    signer?: string;
    detail?: string;
  };
  /** When the file carries a payload (CMS, JWS), what that payload is. */
  payload?: InspectSummary;
}

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const stripBom = (bytes: Buffer) =>
  bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;

function envelopeDetails(envelope: gnc.v1.Envelope): Record<string, unknown> {
  const header = envelope.header;
  return {
    messageId: header?.messageId ?? '',
    sender: header?.senderId ?? '',
    receiver: header?.receiverId ?? '',
    utilityBlock: header?.utilityBlockId ?? '',
    body: envelope.body ?? 'none',
    ...(envelope.declaration
      ? {
          lrn: envelope.declaration.lrn,
          mrn: envelope.declaration.mrn,
          goodsItems: envelope.declaration.goodsShipment?.goodsItems?.length ?? 0,
          parties: [envelope.declaration.declarant, envelope.declaration.exporter, envelope.declaration.importer]
            .map((p) => p?.id)
            .filter((id): id is string => Boolean(id)),
        }
      : {}),
  };
}

function decodeWith(format: string, bytes: Uint8Array): gnc.v1.Envelope {
  const factory = messageFormats[format];
  if (!factory) throw new Error(`format ${format} is not registered`);
  return factory({})({}).decode(bytes);
}

function inspectXml(bytes: Buffer): InspectSummary {
  const document = parseXml(bytes);
  const root: XmlElement = document.root;
  const isSoap = root.local === 'Envelope' && /soap-envelope|schemas\.xmlsoap\.org\/soap\/envelope/.test(root.uri);
  if (isSoap) {
    const messageIds: string[] = [];
    const parties: string[] = [];
    const signals: string[] = [];
    let signed = false;
    const walk = (element: XmlElement) => {
      if (element.local === 'MessageId') messageIds.push(textContent(element).trim());
      if (element.local === 'PartyId') parties.push(textContent(element).trim());
      if (['UserMessage', 'Receipt', 'Error', 'PullRequest'].includes(element.local)) signals.push(element.local);
      if (element.local === 'Signature') signed = true;
      for (const child of childElements(element)) walk(child);
    };
    walk(root);
    return {
      kind: 'as4-message',
      details: { soapNamespace: root.uri, messageIds, parties, signals },
      signature: signed
        ? {
            status: 'not checked',
            detail: 'WS-Security signatures are verified by the as4 transport against the agreement',
          }
        : { status: 'no certificate included', detail: 'unsigned' },
    };
  }
  const envelope = decodeWith('wco-xml', bytes);
  return {
    kind: root.local === 'Response' ? 'wco-xml-response' : 'wco-xml-declaration',
    details: { namespace: root.uri, ...envelopeDetails(envelope) },
  };
}

function inspectCms(bytes: Buffer): InspectSummary {
  const signed = parseSignedData(bytes);
  const summary: InspectSummary = {
    kind: 'cms-signed-data',
    details: {
      signers: signed.signerInfos.length,
      certificates: signed.certificates.length,
      detached: signed.content === undefined,
    },
  };
  const info = signed.signerInfos[0];
  if (!info) return { ...summary, signature: { status: 'invalid', detail: 'no SignerInfo' } };
  const certificate = signed.certificates.find((der) => sidMatches(info.sid, certificateRef(der)));
  if (!certificate) return { ...summary, signature: { status: 'no certificate included' } };
  const x509 = new X509Certificate(certificate);
  try {
    if (!signed.content) throw new Error('detached content: nothing to check the signature against');
    verifySignerInfo(info, signed.eContentType, signed.content, x509.publicKey);
    summary.signature = { status: 'valid', signer: x509.subject.replace(/\n/g, ', ') };
  } catch (error) {
    summary.signature = {
      status: 'invalid',
      signer: x509.subject.replace(/\n/g, ', '),
      detail: asError(error).message,
    };
  }
  if (signed.content) {
    try {
      summary.payload = inspectBytes(Buffer.from(signed.content));
    } catch {
      summary.payload = { kind: 'unknown', details: { bytes: signed.content.length } };
    }
  }
  return summary;
}

async function inspectJws(text: string): Promise<InspectSummary> {
  const header = decodeProtectedHeader(text);
  const chain = header.x5c ?? [];
  const summary: InspectSummary = { kind: 'jws-compact', details: { alg: header.alg, certificates: chain.length } };
  const leaf = chain[0];
  if (!leaf || !header.alg) return { ...summary, signature: { status: 'no certificate included' } };
  const pem = `-----BEGIN CERTIFICATE-----\n${leaf}\n-----END CERTIFICATE-----`;
  const signer = new X509Certificate(pem).subject.replace(/\n/g, ', ');
  try {
    const { payload } = await compactVerify(text, await importX509(pem, header.alg));
    summary.signature = { status: 'valid', signer };
    try {
      summary.payload = inspectBytes(Buffer.from(payload));
    } catch {
      summary.payload = { kind: 'unknown', details: { bytes: payload.length } };
    }
  } catch (error) {
    summary.signature = { status: 'invalid', signer, detail: asError(error).message };
  }
  return summary;
}

/** Synchronous kinds; JWS (whose verification is asynchronous) is handled by inspectFile. */
function inspectBytes(raw: Buffer): InspectSummary {
  const bytes = stripBom(raw);
  const head = bytes.subarray(0, 8).toString('latin1');
  if (head.startsWith('UNA') || head.startsWith('UNB')) {
    const envelope = decodeWith('edifact', raw);
    return { kind: 'edifact-interchange', details: envelopeDetails(envelope) };
  }
  const text = utf8(bytes).trimStart();
  if (text.startsWith('<')) return inspectXml(bytes);
  if (text.startsWith('{')) return { kind: 'gnc-json-envelope', details: envelopeDetails(decodeWith('json', bytes)) };
  if (bytes[0] === 0x30) {
    try {
      return inspectCms(bytes);
    } catch {
      // Not CMS: try the canonical protobuf below.
    }
  }
  return { kind: 'gnc-protobuf-envelope', details: envelopeDetails(decodeWith('protobuf', bytes)) };
}

export async function inspectFile(raw: Buffer): Promise<InspectSummary> {
  const text = utf8(stripBom(raw)).trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/.test(text)) return inspectJws(text);
  return inspectBytes(raw);
}

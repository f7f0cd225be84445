/**
 * Test fixtures for the as4 transport: a receiving node B on 127.0.0.1 with its agreements, and a
 * raw mutual-TLS HTTP/1.1 client, so tests can post exactly the bytes they mean (conformance
 * samples, tampered messages) and read exactly what B answers.
 */
import https from 'node:https';
import { as4 } from '../../../../../adapters/transport/as4';
import { readEnvelope, type ParsedEnvelope } from '../../../../../adapters/transport/as4/ebms-messages';
import { parseContentType, parseMultipart, type MimePart } from '../../../../../adapters/transport/as4/mime';
import { decodeUtf8, parseSafeXml } from '../../../../../adapters/transport/as4/xml-dom';
import {
  issueTransportCertificate,
  type TransportCertificate,
} from '../../../../../adapters/transport/tls-certificates';
import type {
  InboundDelivery,
  InboundHandler,
  Transport,
  TransportPeer,
} from '../../../../../adapters/transport/transport';
import { createCertificateAuthority, type CertificateAuthority } from '../../../../../node/src/identity';

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface ReceivingNode {
  transport: Transport;
  endpoint: string;
  received: InboundDelivery[];
  handler: InboundHandler;
  /** The partner that posts to B: its CA and transport identity (B's agreement trusts that CA). */
  partnerCa: CertificateAuthority;
  partner: TransportCertificate;
  /** B's CA (the partner's anchor for B). */
  ca: CertificateAuthority;
  identity: TransportCertificate;
  /** B's agreement entry for the partner. */
  peer: TransportPeer;
  post(body: Buffer | string, contentType: string): Promise<Answer>;
  stop(): Promise<void>;
}

/** Starts B (partner id of the poster: `partnerId`) with `init`; the handler answers `receipt:` + bytes. */
export async function startReceiver(init: Record<string, unknown>, partnerId = 'SELLER'): Promise<ReceivingNode> {
  const ca = await createCertificateAuthority({ mspId: 'CustomsBMSP', organization: 'Customs B' });
  const partnerCa = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
  const identity = await issueTransportCertificate(ca, { commonName: 'node.B' });
  const partner = await issueTransportCertificate(partnerCa, { commonName: `node.${partnerId}` });
  const peer: TransportPeer = {
    partnerId,
    endpoint: 'https://127.0.0.1:1/as4',
    trustAnchorsPem: [partnerCa.caCertificatePem],
  };
  const transport = as4(init)({
    certificatePem: identity.certificatePem,
    privateKeyPem: identity.privateKeyPem,
    peers: () => [peer],
  });
  const node: ReceivingNode = {
    transport,
    endpoint: '',
    received: [],
    handler: (delivery) => Promise.resolve(Buffer.concat([Buffer.from('receipt:'), delivery.bytes])),
    partnerCa,
    partner,
    ca,
    identity,
    peer,
    post: (body, contentType) =>
      new Promise<Answer>((resolve, reject) => {
        const req = https.request(node.endpoint, {
          method: 'POST',
          ca: [ca.caCertificatePem],
          cert: partner.certificatePem,
          key: partner.privateKeyPem,
          agent: false,
          headers: { 'content-type': contentType },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
            }),
          );
        });
        req.end(body);
      }),
    stop: () => transport.stop(),
  };
  node.endpoint = await transport.start((delivery) => {
    node.received.push(delivery);
    return node.handler(delivery);
  });
  return node;
}

/** Reads B's answer: its SOAP envelope and attachments. */
export function readAnswer(answer: Answer): { envelope: ParsedEnvelope; attachments: MimePart[] } {
  const { mediaType } = parseContentType(answer.contentType);
  const parts =
    mediaType === 'multipart/related'
      ? parseMultipart(answer.contentType, answer.body)
      : [{ contentId: '', contentType: answer.contentType, body: new Uint8Array(answer.body) }];
  const [root, ...attachments] = parts as [MimePart, ...MimePart[]];
  return { envelope: readEnvelope(parseSafeXml(decodeUtf8(root.body))), attachments };
}

/**
 * WS-Security 1.1 X.509 signatures for AS4 (WSS SwA profile 1.1): one ds:Signature in a
 * wsse:Security header, keyed by a wsse:BinarySecurityToken (X509v3, the signer's leaf
 * certificate), with one ds:Reference per signed part:
 *
 * - `#<wsu:Id>` of eb:Messaging (and of the SOAP Body when it carries a payload): transform and
 *   canonicalization exclusive C14N, digest SHA-256;
 * - `cid:<Content-ID>` of each MIME attachment: transform Attachment-Content-Signature-Transform,
 *   i.e. SHA-256 over the attachment's content octets (MIME headers are not covered).
 *
 * Signature algorithms: ECDSA P-256 + SHA-256 (RFC 4051 URI, r||s encoding), Ed25519 (RFC 9231)
 * and RSA PKCS#1 v1.5 + SHA-256, by the key's type. xml-crypto does the canonicalization
 * (ExclusiveCanonicalization) and supplies the signature-algorithm framework (its RSA-SHA256,
 * plus ECDSA and EdDSA classes registered here); the SignedInfo is built and checked here
 * because xml-crypto's SignedXml resolves only same-document references, not `cid:` ones.
 * Encryption is not implemented.
 */
import { X509Certificate, createHash, createPrivateKey, randomUUID, sign, timingSafeEqual, verify } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml, type SignatureAlgorithm } from 'xml-crypto';
import { GncError } from '../../../node/src/errors';
import { ALGORITHMS, NS } from './namespaces';
import { child, children, elementsWithId, parseSafeXml, text } from './xml-dom';
import { escapeAttribute } from './xml-text';

/** GNC_AS4_SIGNATURE_INVALID: a signature that does not verify or that we do not accept. */
export class SignatureError extends GncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_AS4_SIGNATURE_INVALID', message, { ...options, httpStatus: 400 });
  }
}

/** One signed (or, for a receipt's non-repudiation information, digested) part. */
export interface PartReference {
  uri: string;
  transforms: string[];
  digestAlgorithm: string;
  digestValue: string;
}

class EcdsaSha256 implements SignatureAlgorithm {
  getSignature(signedInfo: string, privateKey: Buffer | string): string {
    return sign('sha256', Buffer.from(signedInfo, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString(
      'base64',
    );
  }
  verifySignature(material: string, key: Buffer | string, signatureValue: string): boolean {
    return verify(
      'sha256',
      Buffer.from(material, 'utf8'),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signatureValue, 'base64'),
    );
  }
  getAlgorithmName(): string {
    return ALGORITHMS.ECDSA_SHA256;
  }
}

class EdDsaEd25519 implements SignatureAlgorithm {
  getSignature(signedInfo: string, privateKey: Buffer | string): string {
    return sign(null, Buffer.from(signedInfo, 'utf8'), privateKey).toString('base64');
  }
  verifySignature(material: string, key: Buffer | string, signatureValue: string): boolean {
    return verify(null, Buffer.from(material, 'utf8'), key, Buffer.from(signatureValue, 'base64'));
  }
  getAlgorithmName(): string {
    return ALGORITHMS.EDDSA_ED25519;
  }
}

/** xml-crypto's algorithm table, RSA-SHA256 from it, ECDSA and EdDSA added; nothing weaker (no SHA-1). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, new () => SignatureAlgorithm>> = (() => {
  const table = new SignedXml().SignatureAlgorithms;
  const rsa = table[ALGORITHMS.RSA_SHA256];
  if (!rsa) throw new Error('xml-crypto lacks RSA-SHA256');
  return Object.freeze({
    [ALGORITHMS.RSA_SHA256]: rsa,
    [ALGORITHMS.ECDSA_SHA256]: EcdsaSha256,
    [ALGORITHMS.EDDSA_ED25519]: EdDsaEd25519,
  });
})();

const DIGESTS: Readonly<Record<string, string>> = {
  [ALGORITHMS.SHA256]: 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

function algorithmForKey(privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType === 'ec') return ALGORITHMS.ECDSA_SHA256;
  if (key.asymmetricKeyType === 'ed25519') return ALGORITHMS.EDDSA_ED25519;
  if (key.asymmetricKeyType === 'rsa') return ALGORITHMS.RSA_SHA256;
  throw new SignatureError(`cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} key`);
}

/** Exclusive C14N of an element, as xml-crypto computes it. */
export function canonicalize(el: Element, inclusivePrefixes: string[] = []): string {
  return new ExclusiveCanonicalization().process(el, { inclusiveNamespacesPrefixList: inclusivePrefixes });
}

export function digest(data: string | Uint8Array, algorithm: string = ALGORITHMS.SHA256): string {
  const name = DIGESTS[algorithm];
  if (!name) throw new SignatureError(`digest algorithm ${algorithm} is not accepted`);
  return createHash(name)
    .update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    .digest('base64');
}

/** The references (digests) of parts of `doc`: elements by id, attachments by Content-ID. */
export function referencesFor(
  doc: Document,
  elementIds: readonly string[],
  attachments: ReadonlyArray<{ contentId: string; body: Uint8Array }>,
): PartReference[] {
  const refs: PartReference[] = [];
  for (const id of elementIds) {
    const found = elementsWithId(doc, id);
    if (found.length !== 1 || !found[0]) throw new SignatureError(`no single element with id ${id}`);
    refs.push({
      uri: `#${id}`,
      transforms: [ALGORITHMS.EXC_C14N],
      digestAlgorithm: ALGORITHMS.SHA256,
      digestValue: digest(canonicalize(found[0])),
    });
  }
  for (const attachment of attachments) {
    refs.push({
      uri: `cid:${attachment.contentId}`,
      transforms: [ALGORITHMS.ATTACHMENT_CONTENT],
      digestAlgorithm: ALGORITHMS.SHA256,
      digestValue: digest(attachment.body),
    });
  }
  return refs;
}

/** ds:Reference markup (prefix ds, declared by an ancestor). */
export function referenceXml(ref: PartReference): string {
  const transforms = ref.transforms.map((t) => `<ds:Transform Algorithm="${escapeAttribute(t)}"/>`).join('');
  return (
    `<ds:Reference URI="${escapeAttribute(ref.uri)}"><ds:Transforms>${transforms}</ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${escapeAttribute(ref.digestAlgorithm)}"/>` +
    `<ds:DigestValue>${ref.digestValue}</ds:DigestValue></ds:Reference>`
  );
}

export interface SigningIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Signs the parts of an envelope and returns the wsse:Security header to put into it (the
 * envelope must declare the ds, wsse and wsu prefixes... it is declared on the header itself).
 * `envelopeXml` is the envelope as it will be sent, without the Security header: exclusive C14N
 * of the referenced elements does not depend on their siblings, so inserting the header later
 * leaves the digests valid.
 */
export function signParts(
  envelopeXml: string,
  elementIds: readonly string[],
  attachments: ReadonlyArray<{ contentId: string; body: Uint8Array }>,
  identity: SigningIdentity,
  soapNs: string = NS.SOAP12,
): { securityHeader: string; references: PartReference[] } {
  const doc = parseSafeXml(envelopeXml, { maxBytes: Number.MAX_SAFE_INTEGER });
  const references = referencesFor(doc, elementIds, attachments);
  const algorithm = algorithmForKey(identity.privateKeyPem);
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${NS.DS}"><ds:CanonicalizationMethod Algorithm="${ALGORITHMS.EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${algorithm}"/>${references.map(referenceXml).join('')}</ds:SignedInfo>`;
  const canonical = canonicalize(parseSafeXml(signedInfo).documentElement as Element);
  const Algorithm = SIGNATURE_ALGORITHMS[algorithm] as new () => SignatureAlgorithm;
  const signatureValue = new Algorithm().getSignature(canonical, Buffer.from(identity.privateKeyPem));
  const leaf = new X509Certificate(identity.certificatePem);
  const tokenId = `X509-${randomUUID()}`;
  const securityHeader =
    `<wsse:Security xmlns:wsse="${NS.WSSE}" xmlns:wsu="${NS.WSU}" xmlns:ds="${NS.DS}" ` +
    `xmlns:S="${soapNs}" S:mustUnderstand="true">` +
    `<wsse:BinarySecurityToken EncodingType="${ALGORITHMS.BASE64_BINARY}" ValueType="${ALGORITHMS.X509V3}" ` +
    `wsu:Id="${tokenId}">${leaf.raw.toString('base64')}</wsse:BinarySecurityToken>` +
    `<ds:Signature Id="SIG-${randomUUID()}">${signedInfo.replace(` xmlns:ds="${NS.DS}"`, '')}` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${ALGORITHMS.X509V3}"/>` +
    `</wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security>`;
  return { securityHeader, references };
}

/** What a verified signature covers. */
export interface VerifiedSignature {
  certificate: X509Certificate;
  references: PartReference[];
  /** Elements the verified references point at (compare by identity against the ones processed). */
  elements: Set<Element>;
  /** Content-IDs of the attachments the verified references cover. */
  contentIds: Set<string>;
}

/**
 * Finds the WS-Security signature in the header and verifies it: the SignatureValue over the
 * canonical SignedInfo with the BinarySecurityToken's key, then every reference. Returns
 * undefined for an unsigned message; throws SignatureError for anything else that is wrong.
 * The caller still has to check that the certificate is the partner's and that the references
 * cover what it processes (`elements`, `contentIds`): this defeats signature wrapping.
 */
export function verifySignature(
  doc: Document,
  header: Element,
  attachments: ReadonlyArray<{ contentId: string; body: Uint8Array }>,
): VerifiedSignature | undefined {
  const securityHeaders = children(header, NS.WSSE, 'Security');
  const signatures = securityHeaders.flatMap((security) => children(security, NS.DS, 'Signature'));
  if (signatures.length === 0) return undefined;
  if (signatures.length > 1) throw new SignatureError('more than one ds:Signature in the WS-Security headers');
  const signature = signatures[0] as Element;
  const security = signature.parentNode as Element;
  const signedInfo = child(signature, NS.DS, 'SignedInfo');
  if (!signedInfo) throw new SignatureError('ds:Signature without ds:SignedInfo');
  const c14n = child(signedInfo, NS.DS, 'CanonicalizationMethod')?.getAttribute('Algorithm');
  if (c14n !== ALGORITHMS.EXC_C14N) throw new SignatureError(`canonicalization ${c14n ?? '(none)'} is not accepted`);
  const algorithm = child(signedInfo, NS.DS, 'SignatureMethod')?.getAttribute('Algorithm') ?? '';
  const Algorithm = SIGNATURE_ALGORITHMS[algorithm];
  if (!Algorithm) throw new SignatureError(`signature algorithm ${algorithm || '(none)'} is not accepted`);

  const certificate = tokenCertificate(doc, security, signature);
  const expectedKey =
    algorithm === ALGORITHMS.ECDSA_SHA256 ? 'ec' : algorithm === ALGORITHMS.EDDSA_ED25519 ? 'ed25519' : 'rsa';
  if (certificate.publicKey.asymmetricKeyType !== expectedKey) {
    throw new SignatureError(`the signing certificate's key does not fit ${algorithm}`);
  }
  const signatureValue = (text(child(signature, NS.DS, 'SignatureValue')) ?? '').replace(/\s+/g, '');
  const pem = certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let valid = false;
  try {
    valid = new Algorithm().verifySignature(canonicalize(signedInfo), pem, signatureValue);
  } catch (error) {
    throw new SignatureError('the signature value cannot be checked', { cause: error });
  }
  if (!valid) throw new SignatureError('the signature value does not verify with the BinarySecurityToken key');

  const references: PartReference[] = [];
  const elements = new Set<Element>();
  const contentIds = new Set<string>();
  for (const refEl of children(signedInfo, NS.DS, 'Reference')) {
    const uri = refEl.getAttribute('URI') ?? '';
    const transformEls = children(child(refEl, NS.DS, 'Transforms') ?? refEl, NS.DS, 'Transform');
    const transforms = transformEls.map((t) => t.getAttribute('Algorithm') ?? '');
    const digestAlgorithm = child(refEl, NS.DS, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
    const digestValue = (text(child(refEl, NS.DS, 'DigestValue')) ?? '').replace(/\s+/g, '');
    let actual: string;
    if (uri.startsWith('#')) {
      if (transforms.length !== 1 || transforms[0] !== ALGORITHMS.EXC_C14N) {
        throw new SignatureError(`reference ${uri}: only the exclusive C14N transform is accepted`);
      }
      const found = elementsWithId(doc, uri.slice(1));
      if (found.length !== 1 || !found[0]) {
        throw new SignatureError(`reference ${uri} does not name exactly one element (${found.length} found)`);
      }
      const prefixList = (transformEls[0] && inclusivePrefixes(transformEls[0])) ?? [];
      actual = digest(canonicalize(found[0], prefixList), digestAlgorithm);
      elements.add(found[0]);
    } else if (uri.startsWith('cid:')) {
      if (transforms.length !== 1 || transforms[0] !== ALGORITHMS.ATTACHMENT_CONTENT) {
        throw new SignatureError(`reference ${uri}: only the Attachment-Content-Signature-Transform is accepted`);
      }
      const contentId = decodeURIComponent(uri.slice(4));
      const attachment = attachments.find((a) => a.contentId === contentId);
      if (!attachment) throw new SignatureError(`reference ${uri} names no attachment of the message`);
      actual = digest(attachment.body, digestAlgorithm);
      contentIds.add(contentId);
    } else {
      throw new SignatureError(`reference URI '${uri}' is neither #id nor cid:`);
    }
    if (!sameDigest(actual, digestValue)) throw new SignatureError(`the digest of ${uri} does not match`);
    references.push({ uri, transforms, digestAlgorithm, digestValue });
  }
  if (references.length === 0) throw new SignatureError('the signature has no reference');
  return { certificate, references, elements, contentIds };
}

function inclusivePrefixes(transform: Element): string[] | undefined {
  const inclusive = children(transform, ALGORITHMS.EXC_C14N, 'InclusiveNamespaces')[0];
  const list = inclusive?.getAttribute('PrefixList');
  return list ? list.split(/\s+/).filter(Boolean) : undefined;
}

function tokenCertificate(doc: Document, security: Element, signature: Element): X509Certificate {
  const tokenRef = child(
    child(child(signature, NS.DS, 'KeyInfo') ?? signature, NS.WSSE, 'SecurityTokenReference') ?? signature,
    NS.WSSE,
    'Reference',
  );
  const uri = tokenRef?.getAttribute('URI') ?? '';
  if (!uri.startsWith('#')) throw new SignatureError('the signature does not reference a BinarySecurityToken');
  const tokens = elementsWithId(doc, uri.slice(1));
  const token = tokens[0];
  if (tokens.length !== 1 || !token || token.parentNode !== security) {
    throw new SignatureError(`the token ${uri} is not one BinarySecurityToken of the signature's Security header`);
  }
  if (token.namespaceURI !== NS.WSSE || token.localName !== 'BinarySecurityToken') {
    throw new SignatureError(`${uri} is not a BinarySecurityToken`);
  }
  if (token.getAttribute('ValueType') !== ALGORITHMS.X509V3) {
    throw new SignatureError('only X509v3 BinarySecurityTokens are accepted');
  }
  try {
    return new X509Certificate(Buffer.from((token.textContent ?? '').replace(/\s+/g, ''), 'base64'));
  } catch (error) {
    throw new SignatureError('the BinarySecurityToken is not an X.509 certificate', { cause: error });
  }
}

export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

import { DOMParser } from '@xmldom/xmldom';
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  type KeyLike,
} from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { createOptionalCallbackFunction, type SignatureAlgorithm } from 'xml-crypto/lib/types';
import { ConfigError, asError } from '../../../node/src/errors';
import {
  attributeValue,
  childElements,
  parseXml,
  textContent,
  xpathOf,
  XmlParseError,
  type XmlDocument,
  type XmlElement,
} from '../../xml';
import {
  derToPem,
  loadLocalIdentity,
  normalizeSerial,
  parseCarriedCertificate,
  verifyCertificatePath,
} from '../certificates';
import {
  BadSignatureError,
  MalformedMessageError,
  MissingSignatureError,
  SecurityError,
  UnsupportedAlgorithmError,
} from '../errors';
import type { OpenedMessage, PartnerKeys, SecurityScheme, SecuritySchemeFactory } from '../security-scheme';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
/** The container of a non-XML payload, when the agreement allows one (option `carryNonXml`). */
export const PAYLOAD_NS = 'urn:gnc:xmldsig:payload:1';

const SIGNATURE_BY_KEY: Readonly<Record<string, string>> = { rsa: RSA_SHA256, ec: ECDSA_SHA256 };
const KEY_BY_SIGNATURE: Readonly<Record<string, string>> = { [RSA_SHA256]: 'rsa', [ECDSA_SHA256]: 'ec' };
/** Far above the node's message limit; refused before parsing. */
const MAX_BYTES = 64 * 1024 * 1024;

/**
 * GNC_SECURITY_MALFORMED (400) raised by seal(): the payload is not XML (and the agreement does
 * not allow carrying non-XML payloads), or it already holds an XML signature.
 */
export class NotXmlPayloadError extends MalformedMessageError {}

/**
 * ECDSA-SHA256 (RFC 4051 / RFC 6931): the signature value is r || s (IEEE P1363), not DER.
 * xml-crypto ships RSA only.
 */
class EcdsaSha256 implements SignatureAlgorithm {
  getSignature = createOptionalCallbackFunction((signedInfo: string, privateKey: KeyLike): string =>
    createSign('sha256')
      .update(signedInfo)
      .sign({ key: createPrivateKey(privateKey as string), dsaEncoding: 'ieee-p1363' }, 'base64'),
  );
  verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string): boolean =>
    createVerify('sha256')
      .update(material)
      .verify({ key: createPublicKey(key as string), dsaEncoding: 'ieee-p1363' }, signatureValue, 'base64'),
  );
  getAlgorithmName = (): string => ECDSA_SHA256;
}

/**
 * `xmldsig`: an enveloped XML signature (XMLDSig 1.0) over a whole XML payload (a WCO document):
 * Reference URI="" with the enveloped-signature and exclusive c14n transforms, SHA-256 digest,
 * RSA-SHA256 or ECDSA-SHA256 (P-256) by the key type, exclusive c14n of SignedInfo, KeyInfo with
 * the signer's X.509 chain (leaf first). The signature is appended as the last child of the root.
 *
 * open() accepts exactly that shape and nothing looser, which is what defeats signature wrapping:
 * exactly one ds:Signature in the document, a child of the root element; exactly one Reference,
 * URI="" (the whole document, never an Id that could point at a moved or duplicated element);
 * these transforms and algorithms only. The payload returned is the document as received minus
 * the signature element. Options: `carryNonXml` (default false): seal a non-XML payload as base64
 * inside `<p:Payload xmlns:p="urn:gnc:xmldsig:payload:1">` and unwrap it on open; without it a
 * non-XML payload is refused with NotXmlPayloadError (GNC_SECURITY_MALFORMED).
 */
export const xmldsigScheme: SecuritySchemeFactory = (init) => {
  const problems: string[] = [];
  for (const key of Object.keys(init)) {
    if (key !== 'production' && key !== 'carryNonXml')
      problems.push(`unknown option '${key}' (known: production, carryNonXml)`);
  }
  if (init.production !== undefined && typeof init.production !== 'boolean')
    problems.push(`'production' must be a boolean`);
  const carryNonXml = init.carryNonXml ?? false;
  if (typeof carryNonXml !== 'boolean') problems.push(`'carryNonXml' must be a boolean`);
  if (problems.length > 0) throw new ConfigError(`security scheme 'xmldsig' options are invalid`, problems);
  return ({ keys }) => {
    const identity = loadLocalIdentity(keys, 'xmldsig signing identity');
    const algorithm = SIGNATURE_BY_KEY[identity.keyType];
    if (!algorithm) {
      throw new ConfigError(
        `xmldsig signing identity: ${identity.keyType} keys are not supported (RSA or ECDSA P-256)`,
      );
    }
    const privateKeyPem = identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const x509Data = identity.chainDer
      .map((der) => `<ds:X509Certificate>${der.toString('base64')}</ds:X509Certificate>`)
      .join('');
    return newXmldsigScheme({ privateKeyPem, algorithm, x509Data, carryNonXml: carryNonXml as boolean });
  };
};

interface Signer {
  privateKeyPem: string;
  algorithm: string;
  x509Data: string;
  carryNonXml: boolean;
}

function newSignedXml(): SignedXml {
  const sig = new SignedXml({ getCertFromKeyInfo: () => null });
  sig.SignatureAlgorithms[ECDSA_SHA256] = EcdsaSha256;
  return sig;
}

function newXmldsigScheme(signer: Signer): SecurityScheme {
  return {
    name: 'xmldsig',
    authenticates: true,
    seal(payload: Uint8Array): Promise<Uint8Array> {
      return settle(() => sealSync(payload, signer));
    },
    open(bytes: Uint8Array, from: PartnerKeys, at: Date = new Date()): Promise<OpenedMessage> {
      return settle(() => openSync(bytes, from, at, signer.carryNonXml));
    },
  };
}

/** The work is synchronous (xml-crypto, node:crypto); errors still arrive as rejections. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(asError(err));
  }
}

function sealSync(payload: Uint8Array, signer: Signer): Uint8Array {
  let doc: XmlDocument;
  try {
    doc = parseXml(payload, { maxBytes: MAX_BYTES });
  } catch (err) {
    if (!(err instanceof XmlParseError)) throw err;
    if (!signer.carryNonXml) {
      throw new NotXmlPayloadError(`xmldsig signs XML payloads only: ${err.message}`, { cause: err });
    }
    const text = `<p:Payload xmlns:p="${PAYLOAD_NS}" encoding="base64">${Buffer.from(payload).toString('base64')}</p:Payload>`;
    doc = parseXml(text, { maxBytes: MAX_BYTES * 2 });
  }
  if (findSignatures(doc.root).length > 0) {
    throw new NotXmlPayloadError('the payload already holds an XML signature (ds:Signature)');
  }
  const sig = newSignedXml();
  sig.privateKey = signer.privateKeyPem;
  sig.signatureAlgorithm = signer.algorithm;
  sig.canonicalizationAlgorithm = EXC_C14N;
  sig.getKeyInfoContent = () => `<ds:X509Data>${signer.x509Data}</ds:X509Data>`;
  sig.addReference({ xpath: '/*', transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256, isEmptyUri: true });
  sig.computeSignature(doc.text, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
  // The signature element goes into the payload text as it is (xml-crypto's output would be a
  // re-serialisation), just before the root's end tag, so open() gives back the exact bytes.
  const signature = sig.getSignatureXml();
  const root = doc.root;
  const text = doc.text;
  const selfClosing = text.charCodeAt(root.end - 2) === 0x2f; // "/>"
  const signed = selfClosing
    ? `${text.slice(0, root.end - 2)}>${signature}</${root.name}>${text.slice(root.end)}`
    : `${text.slice(0, text.lastIndexOf('</', root.end))}${signature}${text.slice(text.lastIndexOf('</', root.end))}`;
  return Buffer.from(signed, 'utf8');
}

function findSignatures(el: XmlElement, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.kind !== 'element') continue;
    if (c.uri === DSIG && c.local === 'Signature') out.push(c);
    findSignatures(c, out);
  }
  return out;
}

function only(parent: XmlElement, local: string, what = local): XmlElement {
  const found = childElements(parent, DSIG, local);
  if (found.length !== 1) {
    throw new MalformedMessageError(`${xpathOf(parent)}: expected one ds:${what}, found ${found.length}`);
  }
  return found[0]!;
}

function algorithmOf(el: XmlElement): string {
  return attributeValue(el, 'Algorithm') ?? '';
}

function openSync(bytes: Uint8Array, from: PartnerKeys, at: Date, carryNonXml: boolean): OpenedMessage {
  if (bytes.length > MAX_BYTES) throw new MalformedMessageError(`${bytes.length} bytes exceed ${MAX_BYTES}`);
  let doc: XmlDocument;
  try {
    doc = parseXml(bytes, { maxBytes: MAX_BYTES });
  } catch (err) {
    if (err instanceof XmlParseError) {
      throw new MalformedMessageError(`not an XML document this node accepts: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const signatures = findSignatures(doc.root);
  if (signatures.length === 0) throw new MissingSignatureError('the XML document carries no ds:Signature');
  if (signatures.length > 1) {
    throw new MalformedMessageError(
      `${signatures.length} ds:Signature elements (${signatures.map(xpathOf).join(', ')}): exactly one is accepted`,
    );
  }
  const signature = signatures[0]!;
  if (signature.parent !== doc.root) {
    throw new MalformedMessageError(
      `${xpathOf(signature)}: the signature must be a child of the root element (enveloped), not moved elsewhere`,
    );
  }
  // Strict shape: everything the verification relies on is checked here, before xml-crypto.
  const signedInfo = only(signature, 'SignedInfo');
  const c14n = algorithmOf(only(signedInfo, 'CanonicalizationMethod'));
  if (c14n !== EXC_C14N)
    throw new UnsupportedAlgorithmError(c14n, `CanonicalizationMethod ${c14n} (exclusive c14n only)`);
  const method = algorithmOf(only(signedInfo, 'SignatureMethod'));
  const keyType = KEY_BY_SIGNATURE[method];
  if (!keyType)
    throw new UnsupportedAlgorithmError(method, `SignatureMethod ${method} (rsa-sha256 or ecdsa-sha256 only)`);
  const reference = only(signedInfo, 'Reference');
  if (attributeValue(reference, 'URI') !== '') {
    throw new MalformedMessageError(
      `${xpathOf(reference)}: URI must be "" (the whole document), got ${JSON.stringify(attributeValue(reference, 'URI') ?? null)}`,
    );
  }
  const transforms = childElements(only(reference, 'Transforms'), DSIG, 'Transform').map(algorithmOf);
  if (transforms.length !== 2 || transforms[0] !== ENVELOPED || transforms[1] !== EXC_C14N) {
    throw new MalformedMessageError(
      `${xpathOf(reference)}: transforms must be enveloped-signature then exclusive c14n, got ${transforms.join(', ') || 'none'}`,
    );
  }
  const digest = algorithmOf(only(reference, 'DigestMethod'));
  if (digest !== SHA256) throw new UnsupportedAlgorithmError(digest, `DigestMethod ${digest} (SHA-256 only)`);
  const x509 = only(only(signature, 'KeyInfo'), 'X509Data');
  const certificates = childElements(x509, DSIG, 'X509Certificate').map((c, i) => {
    const b64 = textContent(c).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new MalformedMessageError(`X509Certificate[${i + 1}] is not base64`);
    return parseCarriedCertificate(Buffer.from(b64, 'base64'), `X509Certificate[${i + 1}]`);
  });
  const leaf = certificates[0];
  if (!leaf) throw new MalformedMessageError(`${xpathOf(x509)}: no ds:X509Certificate`);
  if (leaf.publicKey.asymmetricKeyType !== keyType) {
    throw new BadSignatureError(`the certificate's ${leaf.publicKey.asymmetricKeyType} key does not fit ${method}`);
  }

  verifySignature(doc.text, leaf);
  verifyCertificatePath(leaf, certificates.slice(1), from, at);

  const unsigned = doc.text.slice(0, signature.start) + doc.text.slice(signature.end);
  return {
    payload: unwrap(doc, unsigned, carryNonXml),
    signer: {
      certificatePem: derToPem(leaf.raw),
      subject: leaf.subject,
      serialNumber: normalizeSerial(leaf.serialNumber),
    },
  };
}

function verifySignature(text: string, leaf: X509Certificate): void {
  let valid: boolean;
  try {
    // The text passed parseXml (no DTD, no entities), so xmldom sees nothing it could expand.
    const dom = new DOMParser({ onError: () => undefined }).parseFromString(text, 'text/xml');
    const node = dom.getElementsByTagNameNS(DSIG, 'Signature')[0];
    if (!node) throw new MalformedMessageError('ds:Signature not found by the DOM parser');
    const sig = newSignedXml();
    sig.publicCert = leaf.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    sig.loadSignature(node);
    valid = sig.checkSignature(text) && sig.getSignedReferences().length === 1;
  } catch (err) {
    if (err instanceof SecurityError) throw err;
    throw new BadSignatureError(`the XML signature cannot be verified: ${asError(err).message}`, { cause: err });
  }
  if (!valid) throw new BadSignatureError('the XML signature does not verify (digest or signature value)');
}

function unwrap(doc: XmlDocument, unsigned: string, carryNonXml: boolean): Uint8Array {
  const root = doc.root;
  if (root.uri !== PAYLOAD_NS) return Buffer.from(unsigned, 'utf8');
  if (!carryNonXml) {
    throw new MalformedMessageError(
      'a non-XML payload container arrived, and this agreement does not allow one (carryNonXml)',
    );
  }
  // The root's own text only: the signature element is a child of it too.
  const b64 = root.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
  if (
    root.local !== 'Payload' ||
    attributeValue(root, 'encoding') !== 'base64' ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)
  ) {
    throw new MalformedMessageError(`${xpathOf(root)}: not a base64 payload container`);
  }
  return Buffer.from(b64, 'base64');
}

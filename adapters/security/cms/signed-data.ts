/**
 * CMS SignedData (RFC 5652 section 5): building one signature over a payload, and parsing and
 * verifying what partners send. The DER is assembled here; every private- and public-key
 * operation is node:crypto (pure-JavaScript RSA is ~60x slower, see format-notes.md).
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { asError } from '../../../node/src/errors';
import { BadSignatureError, MalformedMessageError, UnsupportedAlgorithmError } from '../errors';
import {
  Asn1Error,
  NULL_DER,
  TAG,
  children,
  content,
  expectTag,
  headerLength,
  integer,
  octetString,
  octets,
  oid,
  oidDer,
  parseOne,
  raw,
  seq,
  setOf,
  smallInteger,
  time,
  timeDer,
  tlv,
  writeHeader,
  type Asn1,
} from './der';
import { HASH_BY_OID, OID, oidName } from './oids';
import { signRsa } from './rsa-signing-thread';

/** What a certificate contributes to a SignerInfo or RecipientInfo: its issuer, serial and SKI. */
export interface CertificateRef {
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** Content bytes of the serialNumber INTEGER. */
  readonly serial: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
}

/** Reads issuer, serial and subject key identifier out of a DER certificate. */
export function certificateRef(certDer: Uint8Array): CertificateRef {
  const cert = parseOne(certDer);
  const tbs = children(expectTag(cert, TAG.SEQUENCE, 'Certificate'));
  const fields = children(expectTag(tbs[0], TAG.SEQUENCE, 'TBSCertificate'));
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const serial = content(expectTag(fields[i++], TAG.INTEGER, 'serialNumber'));
  i++; // signature AlgorithmIdentifier
  const issuer = raw(expectTag(fields[i++], TAG.SEQUENCE, 'issuer'));
  let subjectKeyIdentifier: Uint8Array | undefined;
  const extensions = fields.find((f) => f.tag === 0xa3);
  if (extensions) {
    for (const ext of children(expectTag(children(extensions)[0], TAG.SEQUENCE, 'extensions'))) {
      const parts = children(ext);
      if (oid(parts[0], 'extnID') !== OID.subjectKeyIdentifier) continue;
      const value = parts[parts.length - 1];
      subjectKeyIdentifier = content(
        expectTag(parseOne(content(expectTag(value, TAG.OCTET_STRING, 'extnValue'))), TAG.OCTET_STRING, 'SKI'),
      );
    }
  }
  return { issuer, serial, subjectKeyIdentifier };
}

/** DER IssuerAndSerialNumber of a certificate. */
export function issuerAndSerialNumber(ref: CertificateRef): Buffer {
  return seq(ref.issuer, tlv(TAG.INTEGER, ref.serial));
}

/** A prepared signer: everything about this node's signature that does not change per message. */
export interface CmsSigner {
  readonly privateKey: KeyObject;
  /** 'rsa' or 'ec' (P-256). */
  readonly keyType: 'rsa' | 'ec';
  /** DER certificates to carry, leaf first. */
  readonly certificates: readonly Uint8Array[];
  /** The leaf's reference (sid). */
  readonly leaf: CertificateRef;
}

const SHA256_ALG = seq(oidDer(OID.sha256));
const RSA_SIG_ALG = seq(oidDer(OID.rsaEncryption), NULL_DER);
const ECDSA_SIG_ALG = seq(oidDer(OID.ecdsaWithSha256));

/**
 * Builds a ContentInfo(SignedData) with `content` encapsulated as id-data, SHA-256, signed
 * attributes contentType, signingTime and messageDigest, and the signer's certificates.
 */
export async function createSignedData(signer: CmsSigner, payload: Uint8Array, signingTime: Date): Promise<Buffer> {
  const signedAttrs = signedAttributes(payload, signingTime);
  // RSA signing (~250 us) goes to the signing thread (rsa-signing-thread.ts); an ECDSA signature
  // (~20 us) costs less than the hop there and back, so it is made in line.
  const signature =
    signer.keyType === 'rsa'
      ? await signRsa(signedAttrs, signer.privateKey)
      : cryptoSign('sha256', signedAttrs, signer.privateKey);
  return encodeSignedData(signer, payload, signedAttrs, signature);
}

/**
 * The parts of this signer's SignedData that are the same in every message, encoded once: on the
 * hot path only the digest, the signing time, the signature and the payload are written, into one
 * buffer, instead of a DER element allocated per field. The bytes are those of the element-by-
 * element construction (signed-data.test.ts compares the two; openssl reads both).
 */
interface SignedDataTemplate {
  /** SignerInfo content before signedAttrs: version 1, issuerAndSerialNumber, digestAlgorithm. */
  readonly signerInfoHead: Buffer;
  /** SignerInfo signatureAlgorithm. */
  readonly signatureAlgorithm: Buffer;
  /** SignedData content before encapContentInfo: version 1, digestAlgorithms SET { sha256 }. */
  readonly signedDataHead: Buffer;
  /** SignedData [0] certificates. */
  readonly certificates: Buffer;
}

const templates = new WeakMap<CmsSigner, SignedDataTemplate>();

function templateOf(signer: CmsSigner): SignedDataTemplate {
  let template = templates.get(signer);
  if (!template) {
    template = {
      signerInfoHead: Buffer.concat([integer(1), issuerAndSerialNumber(signer.leaf), SHA256_ALG]),
      signatureAlgorithm: signer.keyType === 'rsa' ? RSA_SIG_ALG : ECDSA_SIG_ALG,
      signedDataHead: Buffer.concat([integer(1), tlv(TAG.SET, SHA256_ALG)]),
      certificates: tlv(0xa0, ...signer.certificates),
    };
    templates.set(signer, template);
  }
  return template;
}

const CONTENT_TYPE_ATTRIBUTE = seq(oidDer(OID.contentType), setOf(oidDer(OID.data)));
const SIGNING_TIME_OID = oidDer(OID.signingTime);
const MESSAGE_DIGEST_OID = oidDer(OID.messageDigest);
const ID_DATA = oidDer(OID.data);
const ID_SIGNED_DATA = oidDer(OID.signedData);

// signingTime has whole seconds: at thousands of messages a second, most share the encoding.
let lastSecond = NaN;
let lastTimeDer: Buffer = Buffer.alloc(0);

function signingTimeDer(date: Date): Buffer {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    lastTimeDer = timeDer(date);
    lastSecond = second;
  }
  return lastTimeDer;
}

/**
 * The signed attributes of `payload` as the signature covers them: SET OF (tag 0x31) contentType,
 * signingTime, messageDigest (SHA-256). DER sorts a SET OF by encoding (X.690 11.6); the three
 * start 30 18, 30 1c or 30 1e, and 30 2f, so this is their order whatever the time and digest.
 */
export function signedAttributes(payload: Uint8Array, signingTime: Date): Buffer {
  const digest = createHash('sha256').update(payload).digest();
  const time = signingTimeDer(signingTime);
  const timeAttribute = seq(SIGNING_TIME_OID, tlv(TAG.SET, time));
  const digestAttribute = seq(MESSAGE_DIGEST_OID, tlv(TAG.SET, octets(digest)));
  return tlv(TAG.SET, CONTENT_TYPE_ATTRIBUTE, timeAttribute, digestAttribute);
}

/**
 * ContentInfo(SignedData) around one SignerInfo of `signer` with `signedAttrs` (from
 * signedAttributes) and their `signature`, written into one buffer.
 */
export function encodeSignedData(
  signer: CmsSigner,
  payload: Uint8Array,
  signedAttrs: Uint8Array,
  signature: Uint8Array,
): Buffer {
  const template = templateOf(signer);
  const signatureOctets = headerLength(signature.length) + signature.length;
  const signerInfoContent =
    template.signerInfoHead.length + signedAttrs.length + template.signatureAlgorithm.length + signatureOctets;
  const signerInfo = headerLength(signerInfoContent) + signerInfoContent;
  const eContent = headerLength(payload.length) + payload.length;
  const encapContent = ID_DATA.length + headerLength(eContent) + eContent;
  const signedDataContent =
    template.signedDataHead.length +
    headerLength(encapContent) +
    encapContent +
    template.certificates.length +
    headerLength(signerInfo) +
    signerInfo;
  const signedData = headerLength(signedDataContent) + signedDataContent;
  const contentInfoContent = ID_SIGNED_DATA.length + headerLength(signedData) + signedData;
  const out = Buffer.allocUnsafe(headerLength(contentInfoContent) + contentInfoContent);
  let pos = writeHeader(out, 0, TAG.SEQUENCE, contentInfoContent);
  pos += ID_SIGNED_DATA.copy(out, pos);
  pos = writeHeader(out, pos, 0xa0, signedData);
  pos = writeHeader(out, pos, TAG.SEQUENCE, signedDataContent);
  pos += template.signedDataHead.copy(out, pos);
  pos = writeHeader(out, pos, TAG.SEQUENCE, encapContent);
  pos += ID_DATA.copy(out, pos);
  pos = writeHeader(out, pos, 0xa0, eContent);
  pos = writeHeader(out, pos, TAG.OCTET_STRING, payload.length);
  out.set(payload, pos);
  pos += payload.length;
  pos += template.certificates.copy(out, pos);
  pos = writeHeader(out, pos, TAG.SET, signerInfo);
  pos = writeHeader(out, pos, TAG.SEQUENCE, signerInfoContent);
  pos += template.signerInfoHead.copy(out, pos);
  // The SignerInfo carries the signed attributes under [0] IMPLICIT (RFC 5652 5.4).
  out.set(signedAttrs, pos);
  out[pos] = 0xa0;
  pos += signedAttrs.length;
  pos += template.signatureAlgorithm.copy(out, pos);
  pos = writeHeader(out, pos, TAG.OCTET_STRING, signature.length);
  out.set(signature, pos);
  pos += signature.length;
  if (pos !== out.length) throw new Error(`CMS SignedData: wrote ${pos} of ${out.length} bytes`);
  return out;
}

/** A parsed SignerInfo. */
export interface SignerInfo {
  readonly version: number;
  readonly sid: { issuerAndSerial: CertificateRef } | { subjectKeyIdentifier: Uint8Array };
  readonly digestAlgorithm: string;
  /** The signed attributes re-tagged as SET OF (the bytes the signature covers), if present. */
  readonly signedAttrs?: Uint8Array;
  /** Attribute values by type OID. */
  readonly attributes: ReadonlyMap<string, readonly Asn1[]>;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

/** A parsed SignedData. */
export interface SignedData {
  readonly version: number;
  readonly eContentType: string;
  /** Absent for a detached signature. */
  readonly content?: Uint8Array;
  /** DER certificates carried (other certificate choices are skipped). */
  readonly certificates: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
}

/** The outer ContentInfo: its type and the [0] content element. */
export function parseContentInfo(bytes: Uint8Array): { contentType: string; content: Asn1 } {
  const top = children(expectTag(parseOne(bytes), TAG.SEQUENCE, 'ContentInfo'));
  const contentType = oid(top[0], 'ContentInfo.contentType');
  const wrapper = expectTag(top[1], 0xa0, 'ContentInfo.content');
  const inner = children(wrapper)[0];
  if (!inner) throw new Asn1Error('ContentInfo.content is empty');
  return { contentType, content: inner };
}

function parseSignerInfo(el: Asn1): SignerInfo {
  const parts = children(expectTag(el, TAG.SEQUENCE, 'SignerInfo'));
  let i = 0;
  const version = smallInteger(parts[i++], 'SignerInfo.version');
  const sidEl = parts[i++];
  let sid: SignerInfo['sid'];
  if (sidEl?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = children(sidEl);
    sid = {
      issuerAndSerial: {
        issuer: raw(expectTag(issuer, TAG.SEQUENCE, 'sid.issuer')),
        serial: content(expectTag(serial, TAG.INTEGER, 'sid.serialNumber')),
      },
    };
  } else if (sidEl?.tag === 0x80) {
    sid = { subjectKeyIdentifier: content(sidEl) };
  } else {
    throw new Asn1Error('SignerInfo.sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
  }
  const digestAlgorithm = oid(children(expectTag(parts[i++], TAG.SEQUENCE, 'digestAlgorithm'))[0], 'digestAlgorithm');
  let signedAttrs: Uint8Array | undefined;
  const attributes = new Map<string, Asn1[]>();
  if (parts[i]?.tag === 0xa0) {
    const attrsEl = parts[i++]!;
    if (attrsEl.indefinite) throw new Asn1Error('signedAttrs must be DER (definite length)');
    signedAttrs = Buffer.from(raw(attrsEl));
    signedAttrs[0] = TAG.SET;
    for (const attr of children(attrsEl)) {
      const [type, values] = children(expectTag(attr, TAG.SEQUENCE, 'Attribute'));
      const typeOid = oid(type, 'Attribute.type');
      if (attributes.has(typeOid)) throw new Asn1Error(`signed attribute ${oidName(typeOid)} appears twice`);
      attributes.set(typeOid, children(expectTag(values, TAG.SET, 'Attribute.values')));
    }
  }
  const sigAlgEl = children(expectTag(parts[i++], TAG.SEQUENCE, 'signatureAlgorithm'));
  const signatureAlgorithm = oid(sigAlgEl[0], 'signatureAlgorithm');
  const signature = octetString(expectTag(parts[i++], TAG.OCTET_STRING, 'signature'), 'signature');
  return { version, sid, digestAlgorithm, signedAttrs, attributes, signatureAlgorithm, signature };
}

/** Parses the SignedData element (the content of a ContentInfo of type id-signedData). */
export function parseSignedDataContent(el: Asn1): SignedData {
  const parts = children(expectTag(el, TAG.SEQUENCE, 'SignedData'));
  let i = 0;
  const version = smallInteger(parts[i++], 'SignedData.version');
  expectTag(parts[i++], TAG.SET, 'SignedData.digestAlgorithms');
  const encap = children(expectTag(parts[i++], TAG.SEQUENCE, 'encapContentInfo'));
  const eContentType = oid(encap[0], 'eContentType');
  let payload: Uint8Array | undefined;
  if (encap[1]) {
    const eContent = children(expectTag(encap[1], 0xa0, 'eContent'))[0];
    if (!eContent || (eContent.tag & 0xdf) !== TAG.OCTET_STRING) throw new Asn1Error('eContent is not an OCTET STRING');
    payload = octetString(eContent, 'eContent');
  }
  const certificates: Uint8Array[] = [];
  if (parts[i]?.tag === 0xa0) {
    for (const c of children(parts[i++]!)) if (c.tag === TAG.SEQUENCE) certificates.push(raw(c));
  }
  if (parts[i]?.tag === 0xa1) i++; // crls: revocation comes from the agreement, not the message
  const signerInfos = children(expectTag(parts[i++], TAG.SET, 'signerInfos')).map(parseSignerInfo);
  if (i !== parts.length) throw new Asn1Error('unexpected elements after signerInfos');
  return { version, eContentType, content: payload, certificates, signerInfos };
}

/** Parses a ContentInfo that must hold SignedData. Throws MalformedMessageError. */
export function parseSignedData(bytes: Uint8Array): SignedData {
  try {
    const info = parseContentInfo(bytes);
    if (info.contentType !== OID.signedData) {
      throw new MalformedMessageError(`expected CMS SignedData, got content type ${oidName(info.contentType)}`);
    }
    return parseSignedDataContent(info.content);
  } catch (err) {
    throw asMalformed(err, 'CMS SignedData');
  }
}

/** Turns parser failures into MalformedMessageError; passes typed errors through. */
export function asMalformed(err: unknown, what: string): Error {
  if (err instanceof MalformedMessageError || err instanceof UnsupportedAlgorithmError) return err;
  if (err instanceof Asn1Error) return new MalformedMessageError(`${what}: ${err.message}`, { cause: err });
  return new MalformedMessageError(`${what}: ${asError(err).message}`, { cause: err });
}

/** Whether `certDer` is the certificate a SignerInfo's sid names. */
export function sidMatches(sid: SignerInfo['sid'], ref: CertificateRef): boolean {
  if ('issuerAndSerial' in sid) {
    return (
      Buffer.compare(sid.issuerAndSerial.issuer, ref.issuer) === 0 &&
      Buffer.compare(sid.issuerAndSerial.serial, ref.serial) === 0
    );
  }
  return (
    ref.subjectKeyIdentifier !== undefined && Buffer.compare(sid.subjectKeyIdentifier, ref.subjectKeyIdentifier) === 0
  );
}

/**
 * Checks one SignerInfo against `payload` with the signer's public key: the messageDigest and
 * contentType attributes when signed attributes are present, then the signature. Returns the
 * signingTime attribute if there is one. Throws BadSignatureError, UnsupportedAlgorithmError or
 * MalformedMessageError.
 */
export function verifySignerInfo(
  info: SignerInfo,
  eContentType: string,
  payload: Uint8Array,
  publicKey: KeyObject,
): { signingTime?: Date } {
  const hash = HASH_BY_OID[info.digestAlgorithm];
  if (!hash) {
    throw new UnsupportedAlgorithmError(
      info.digestAlgorithm,
      `digest algorithm ${oidName(info.digestAlgorithm)} is not supported`,
    );
  }
  let signed: Uint8Array = payload;
  let signingTime: Date | undefined;
  if (info.signedAttrs) {
    try {
      const ct = info.attributes.get(OID.contentType);
      const md = info.attributes.get(OID.messageDigest);
      if (ct?.length !== 1 || md?.length !== 1) {
        throw new MalformedMessageError('signed attributes must hold exactly one contentType and one messageDigest');
      }
      if (oid(ct[0], 'contentType attribute') !== eContentType) {
        throw new BadSignatureError('the signed contentType attribute does not match the encapsulated content type');
      }
      const expected = content(expectTag(md[0], TAG.OCTET_STRING, 'messageDigest'));
      const actual = createHash(hash).update(payload).digest();
      if (!actual.equals(expected)) throw new BadSignatureError('the content does not match the signed messageDigest');
      const st = info.attributes.get(OID.signingTime);
      if (st?.[0]) signingTime = time(st[0], 'signingTime');
    } catch (err) {
      if (err instanceof BadSignatureError) throw err;
      throw asMalformed(err, 'CMS signed attributes');
    }
    signed = info.signedAttrs;
  }
  let ok: boolean;
  try {
    ok = verifyRaw(info.signatureAlgorithm, hash, signed, publicKey, info.signature);
  } catch (err) {
    if (err instanceof UnsupportedAlgorithmError) throw err;
    throw new BadSignatureError(`signature cannot be checked: ${asError(err).message}`, { cause: err });
  }
  if (!ok) throw new BadSignatureError('the CMS signature does not verify with the signer certificate');
  return { signingTime };
}

function verifyRaw(sigAlg: string, hash: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  switch (sigAlg) {
    case OID.rsaEncryption:
    case OID.sha1WithRSA:
    case OID.sha224WithRSA:
    case OID.sha256WithRSA:
    case OID.sha384WithRSA:
    case OID.sha512WithRSA:
      if (key.asymmetricKeyType !== 'rsa') break;
      // PKCS#1 v1.5 is node:crypto's default RSA padding; the key goes bare, as options around it
      // cost a third of an RSA verification (see ecdsa-signature.ts).
      return cryptoVerify(hash, data, key, signature);
    case OID.ecdsaWithSha1:
    case OID.ecdsaWithSha256:
    case OID.ecdsaWithSha384:
    case OID.ecdsaWithSha512:
      if (key.asymmetricKeyType !== 'ec') break;
      return cryptoVerify(hash, data, key, signature);
    case OID.dsa:
    case OID.dsaWithSha1:
      if (key.asymmetricKeyType !== 'dsa') break;
      return cryptoVerify(hash, data, key, signature);
    case OID.ed25519:
      if (key.asymmetricKeyType !== 'ed25519') break;
      return cryptoVerify(null, data, key, signature);
    default:
      throw new UnsupportedAlgorithmError(sigAlg, `signature algorithm ${oidName(sigAlg)} is not supported`);
  }
  throw new BadSignatureError(
    `signature algorithm ${oidName(sigAlg)} does not fit the signer's ${key.asymmetricKeyType ?? 'unknown'} key`,
  );
}

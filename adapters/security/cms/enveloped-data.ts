/**
 * CMS EnvelopedData (RFC 5652 section 6) with AES-CBC, and AuthEnvelopedData (RFC 5083/5084) with
 * AES-GCM; the content-encryption key travels by RSA key transport (PKCS#1 v1.5, as openssl does
 * by default, or RSAES-OAEP with SHA-256). Decryption also reads 3DES-CBC, for the RFC 4134
 * examples and older partners; RC2 and key agreement/KEK/password recipients are refused with a
 * typed error.
 */
import {
  X509Certificate,
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { asError } from '../../../node/src/errors';
import { DecryptFailedError, MalformedMessageError, UnsupportedAlgorithmError } from '../errors';
import {
  NULL_DER,
  TAG,
  children,
  content,
  expectTag,
  explicit,
  integer,
  octetString,
  octets,
  oid,
  oidDer,
  seq,
  smallInteger,
  tlv,
  type Asn1,
} from './der';
import { HASH_BY_OID, OID, oidName } from './oids';
import { asMalformed, issuerAndSerialNumber, parseContentInfo, type CertificateRef } from './signed-data';

/** Content encryption for messages this node seals. */
export type ContentEncryption = 'aes-256-gcm' | 'aes-256-cbc';
/** RSA key transport padding for messages this node seals. */
export type KeyTransport = 'rsa-pkcs1' | 'rsa-oaep';

/** The partner's encryption certificate, prepared once. */
export interface CmsRecipient {
  readonly certificate: X509Certificate;
  readonly ref: CertificateRef;
}

const OAEP_SHA256_ALG = seq(
  oidDer(OID.rsaesOaep),
  seq(explicit(0, seq(oidDer(OID.sha256))), explicit(1, seq(oidDer(OID.mgf1), seq(oidDer(OID.sha256))))),
);
const RSA_PKCS1_ALG = seq(oidDer(OID.rsaEncryption), NULL_DER);
const GCM_TAG_LENGTH = 16;

/**
 * Encrypts `payload` (encapsulated as id-data) for `recipient`: ContentInfo(AuthEnvelopedData) for
 * GCM, ContentInfo(EnvelopedData) for CBC.
 */
export function encryptContent(
  payload: Uint8Array,
  recipient: CmsRecipient,
  contentEncryption: ContentEncryption,
  keyTransport: KeyTransport,
): Buffer {
  const key = randomBytes(32);
  const encryptedKey =
    keyTransport === 'rsa-oaep'
      ? publicEncrypt(
          { key: recipient.certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          key,
        )
      : publicEncrypt({ key: recipient.certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const ktri = seq(
    integer(0),
    issuerAndSerialNumber(recipient.ref),
    keyTransport === 'rsa-oaep' ? OAEP_SHA256_ALG : RSA_PKCS1_ALG,
    octets(encryptedKey),
  );
  if (contentEncryption === 'aes-256-gcm') {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
    const ciphertext = Buffer.concat([cipher.update(payload), cipher.final()]);
    const body = seq(
      integer(0),
      tlv(TAG.SET, ktri),
      seq(
        oidDer(OID.data),
        seq(oidDer(OID.aes256Gcm), seq(octets(nonce), integer(GCM_TAG_LENGTH))),
        tlv(0x80, ciphertext),
      ),
      octets(cipher.getAuthTag()),
    );
    return seq(oidDer(OID.authEnvelopedData), explicit(0, body));
  }
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(payload), cipher.final()]);
  const body = seq(
    integer(0),
    tlv(TAG.SET, ktri),
    seq(oidDer(OID.data), seq(oidDer(OID.aes256Cbc), octets(iv)), tlv(0x80, ciphertext)),
  );
  return seq(oidDer(OID.envelopedData), explicit(0, body));
}

/** This node's decryption key and the reference of its certificate. */
export interface CmsDecryptionKey {
  readonly privateKey: KeyObject;
  readonly ref: CertificateRef;
}

/** Whether a ContentInfo is (Auth)EnvelopedData, without decrypting it. */
export function isEncrypted(contentType: string): boolean {
  return contentType === OID.envelopedData || contentType === OID.authEnvelopedData;
}

const CBC_CIPHERS: Readonly<Record<string, { name: string; keyLength: number; ivLength: number }>> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};
const GCM_CIPHERS: Readonly<
  Record<string, { name: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'; keyLength: number }>
> = {
  [OID.aes128Gcm]: { name: 'aes-128-gcm', keyLength: 16 },
  [OID.aes192Gcm]: { name: 'aes-192-gcm', keyLength: 24 },
  [OID.aes256Gcm]: { name: 'aes-256-gcm', keyLength: 32 },
};

/**
 * Decrypts a ContentInfo holding EnvelopedData or AuthEnvelopedData with `key`. Returns the
 * content type and bytes of the encrypted content. Throws MalformedMessageError,
 * DecryptFailedError (not for this key, wrong key, tampered ciphertext) or
 * UnsupportedAlgorithmError.
 */
export function decryptContent(bytes: Uint8Array, key: CmsDecryptionKey): { contentType: string; content: Buffer } {
  let parsed: ParsedEnveloped;
  try {
    parsed = parseEnveloped(bytes);
  } catch (err) {
    throw asMalformed(err, 'CMS EnvelopedData');
  }
  const recipient = parsed.recipients.find((r) => r.matches(key.ref));
  if (!recipient) {
    throw new DecryptFailedError(
      `no RecipientInfo is addressed to this node's encryption certificate (${parsed.recipients.length} key-transport recipients, ${parsed.otherRecipients} of other kinds)`,
    );
  }
  const cek = unwrapKey(recipient, key.privateKey);
  const alg = parsed.contentEncryptionAlgorithm;
  if (parsed.authenticated) {
    const gcm = GCM_CIPHERS[alg];
    if (!gcm) throw new UnsupportedAlgorithmError(alg, `content encryption ${oidName(alg)} is not supported`);
    if (cek.length !== gcm.keyLength)
      throw new DecryptFailedError('the decrypted content-encryption key has the wrong length');
    try {
      const params = children(expectTag(parsed.contentEncryptionParams, TAG.SEQUENCE, 'GCMParameters'));
      const nonce = content(expectTag(params[0], TAG.OCTET_STRING, 'GCM nonce'));
      const tagLength = params[1] ? smallInteger(params[1], 'GCM ICVlen') : 12;
      if (parsed.mac?.length !== tagLength) throw new Error(`authentication tag is not ${tagLength} bytes`);
      const decipher = createDecipheriv(gcm.name, cek, nonce, { authTagLength: tagLength });
      decipher.setAuthTag(parsed.mac);
      if (parsed.authAttrs) decipher.setAAD(parsed.authAttrs);
      return {
        contentType: parsed.contentType,
        content: Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]),
      };
    } catch (err) {
      throw new DecryptFailedError(`AES-GCM decryption failed: ${asError(err).message}`, { cause: err });
    }
  }
  const cbc = CBC_CIPHERS[alg];
  if (!cbc) {
    throw new UnsupportedAlgorithmError(
      alg,
      `content encryption ${oidName(alg)} is not supported${alg === OID.rc2Cbc ? ' (RC2 is a legacy cipher this node refuses)' : ''}`,
    );
  }
  if (cek.length !== cbc.keyLength)
    throw new DecryptFailedError('the decrypted content-encryption key has the wrong length');
  try {
    const iv = content(expectTag(parsed.contentEncryptionParams, TAG.OCTET_STRING, 'IV'));
    if (iv.length !== cbc.ivLength) throw new Error(`IV is ${iv.length} bytes, expected ${cbc.ivLength}`);
    const decipher = createDecipheriv(cbc.name, cek, iv);
    return {
      contentType: parsed.contentType,
      content: Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]),
    };
  } catch (err) {
    throw new DecryptFailedError(`${cbc.name} decryption failed: ${asError(err).message}`, { cause: err });
  }
}

interface KeyTransRecipient {
  readonly keyEncryptionAlgorithm: string;
  readonly keyEncryptionParams?: Asn1;
  readonly encryptedKey: Uint8Array;
  matches(ref: CertificateRef): boolean;
}

interface ParsedEnveloped {
  readonly authenticated: boolean;
  readonly recipients: readonly KeyTransRecipient[];
  readonly otherRecipients: number;
  readonly contentType: string;
  readonly contentEncryptionAlgorithm: string;
  readonly contentEncryptionParams?: Asn1;
  readonly ciphertext: Uint8Array;
  readonly mac?: Uint8Array;
  readonly authAttrs?: Uint8Array;
}

function parseEnveloped(bytes: Uint8Array): ParsedEnveloped {
  const info = parseContentInfo(bytes);
  if (!isEncrypted(info.contentType)) {
    throw new MalformedMessageError(`expected CMS EnvelopedData, got content type ${oidName(info.contentType)}`);
  }
  const authenticated = info.contentType === OID.authEnvelopedData;
  const parts = children(expectTag(info.content, TAG.SEQUENCE, 'EnvelopedData'));
  let i = 1; // version
  smallInteger(parts[0], 'version');
  if (parts[i]?.tag === 0xa0) i++; // originatorInfo
  const recipients: KeyTransRecipient[] = [];
  let otherRecipients = 0;
  for (const ri of children(expectTag(parts[i++], TAG.SET, 'recipientInfos'))) {
    if (ri.tag !== TAG.SEQUENCE) {
      otherRecipients++; // kari [1], kekri [2], pwri [3], ori [4]: not used between administrations
      continue;
    }
    const [, rid, algEl, encryptedKeyEl] = children(ri);
    const alg = children(expectTag(algEl, TAG.SEQUENCE, 'keyEncryptionAlgorithm'));
    const encryptedKey = content(expectTag(encryptedKeyEl, TAG.OCTET_STRING, 'encryptedKey'));
    let matches: (ref: CertificateRef) => boolean;
    if (rid?.tag === TAG.SEQUENCE) {
      const [issuer, serial] = children(rid);
      const issuerBytes = Buffer.from(
        expectTag(issuer, TAG.SEQUENCE, 'rid.issuer').buf.subarray(issuer!.offset, issuer!.end),
      );
      const serialBytes = content(expectTag(serial, TAG.INTEGER, 'rid.serialNumber'));
      matches = (ref) => issuerBytes.equals(ref.issuer) && Buffer.compare(serialBytes, ref.serial) === 0;
    } else if (rid?.tag === 0x80) {
      const ski = content(rid);
      matches = (ref) => ref.subjectKeyIdentifier !== undefined && Buffer.compare(ski, ref.subjectKeyIdentifier) === 0;
    } else {
      throw new MalformedMessageError(
        'KeyTransRecipientInfo.rid is neither issuerAndSerialNumber nor subjectKeyIdentifier',
      );
    }
    recipients.push({
      keyEncryptionAlgorithm: oid(alg[0], 'keyEncryptionAlgorithm'),
      keyEncryptionParams: alg[1],
      encryptedKey,
      matches,
    });
  }
  const eci = children(expectTag(parts[i++], TAG.SEQUENCE, 'encryptedContentInfo'));
  const contentType = oid(eci[0], 'encryptedContentInfo.contentType');
  const algParts = children(expectTag(eci[1], TAG.SEQUENCE, 'contentEncryptionAlgorithm'));
  const encrypted = eci[2];
  if (!encrypted || (encrypted.tag & 0xdf) !== 0x80) throw new MalformedMessageError('encryptedContent is absent');
  const ciphertext = octetString(encrypted, 'encryptedContent');
  let authAttrs: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  if (authenticated) {
    if (parts[i]?.tag === 0xa1) {
      // The MAC covers the authenticated attributes re-tagged as SET OF (RFC 5083 2.2).
      const el = parts[i++]!;
      authAttrs = Buffer.from(el.buf.subarray(el.offset, el.end));
      authAttrs[0] = TAG.SET;
    }
    mac = content(expectTag(parts[i++], TAG.OCTET_STRING, 'mac'));
  }
  return {
    authenticated,
    recipients,
    otherRecipients,
    contentType,
    contentEncryptionAlgorithm: oid(algParts[0], 'contentEncryptionAlgorithm'),
    contentEncryptionParams: algParts[1],
    ciphertext,
    mac,
    authAttrs,
  };
}

function unwrapKey(recipient: KeyTransRecipient, privateKey: KeyObject): Buffer {
  const alg = recipient.keyEncryptionAlgorithm;
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new UnsupportedAlgorithmError(
      alg,
      `this node's encryption key is ${privateKey.asymmetricKeyType ?? 'unknown'}, key transport needs RSA`,
    );
  }
  try {
    if (alg === OID.rsaEncryption) {
      // Node 24 (OpenSSL 3.2+ implicit rejection) returns a random key instead of a padding error,
      // so a wrong key surfaces as a content decryption or signature failure, never as an oracle.
      return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, recipient.encryptedKey);
    }
    if (alg === OID.rsaesOaep) {
      const hash = oaepHash(recipient.keyEncryptionParams);
      return privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
        recipient.encryptedKey,
      );
    }
  } catch (err) {
    if (err instanceof UnsupportedAlgorithmError) throw err;
    throw new DecryptFailedError(`cannot decrypt the content-encryption key: ${asError(err).message}`, { cause: err });
  }
  throw new UnsupportedAlgorithmError(alg, `key transport ${oidName(alg)} is not supported`);
}

/** The OAEP hash from RSAES-OAEP-params; node:crypto uses one hash for OAEP and MGF1. */
function oaepHash(params: Asn1 | undefined): string {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  if (params && params.tag === TAG.SEQUENCE) {
    for (const p of children(params)) {
      const inner = children(p)[0];
      if (p.tag === 0xa0) {
        hash = HASH_BY_OID[oid(children(inner!)[0], 'OAEP hash')] ?? 'unsupported';
      } else if (p.tag === 0xa1) {
        const mgf = children(inner!);
        if (oid(mgf[0], 'OAEP mgf') !== OID.mgf1) hash = 'unsupported';
        mgfHash = HASH_BY_OID[oid(children(mgf[1]!)[0], 'MGF1 hash')] ?? 'unsupported';
      } else {
        hash = 'unsupported'; // a pSource label: never used in CMS practice
      }
    }
  }
  if (hash === 'unsupported' || hash !== mgfHash) {
    throw new UnsupportedAlgorithmError(OID.rsaesOaep, 'RSAES-OAEP parameters other than one hash for OAEP and MGF1');
  }
  return hash;
}

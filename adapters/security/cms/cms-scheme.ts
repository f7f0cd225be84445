import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../../node/src/errors';
import {
  publicKeyOf,
  loadLocalIdentity,
  localEncryptionKeys,
  parseCarriedCertificate,
  pemCertificatesToDer,
  signerOf,
  verifyCertificatePath,
} from '../certificates';
import { MalformedMessageError, MissingSignatureError, NotEncryptedError } from '../errors';
import { readOptions } from '../options';
import type { LocalKeys, OpenedMessage, PartnerKeys, SecurityScheme, SecuritySchemeFactory } from '../security-scheme';
import {
  decryptContent,
  encryptContent,
  isEncrypted,
  type CmsDecryptionKey,
  type CmsRecipient,
  type ContentEncryption,
  type KeyTransport,
} from './enveloped-data';
import { OID, oidName } from './oids';
import {
  asMalformed,
  certificateRef,
  createSignedData,
  parseContentInfo,
  parseSignedData,
  sidMatches,
  verifySignerInfo,
  type CertificateRef,
  type CmsSigner,
} from './signed-data';

/**
 * `cms`: PKCS#7/CMS SignedData over the message bytes (RSA-2048 or ECDSA P-256 signer, SHA-256,
 * signed attributes contentType, messageDigest, signingTime, the signer's chain carried), and with
 * `encrypt: true` the SignedData wrapped in AuthEnvelopedData (AES-256-GCM, the default) or
 * EnvelopedData (AES-256-CBC) for the partner's RSA encryption certificate: sign-then-encrypt,
 * the same as `openssl cms -sign | openssl cms -encrypt`, so openssl reads both ways.
 *
 * Options: `encrypt` (default false); `requireEncryption` (default: `encrypt`), refuse inbound
 * messages in clear; `contentEncryption` 'aes-256-gcm' | 'aes-256-cbc'; `keyTransport`
 * 'rsa-oaep' (SHA-256, default) | 'rsa-pkcs1' (PKCS#1 v1.5, for partners that lack OAEP).
 */
export const cmsScheme: SecuritySchemeFactory = (init) => {
  const options = readOptions('cms', init, {
    encrypt: { kind: 'boolean', default: false },
    requireEncryption: { kind: 'boolean', default: (init.encrypt ?? false) === true },
    contentEncryption: { kind: 'enum', values: ['aes-256-gcm', 'aes-256-cbc'], default: 'aes-256-gcm' },
    keyTransport: { kind: 'enum', values: ['rsa-oaep', 'rsa-pkcs1'], default: 'rsa-oaep' },
  });
  return ({ keys }) =>
    newCmsScheme(keys, {
      encrypt: options.encrypt,
      requireEncryption: options.requireEncryption,
      contentEncryption: options.contentEncryption as ContentEncryption,
      keyTransport: options.keyTransport as KeyTransport,
    });
};

interface CmsOptions {
  encrypt: boolean;
  requireEncryption: boolean;
  contentEncryption: ContentEncryption;
  keyTransport: KeyTransport;
}

function newCmsScheme(keys: LocalKeys, options: CmsOptions): SecurityScheme {
  const identity = loadLocalIdentity(keys, 'cms signing identity');
  if (identity.keyType !== 'rsa' && identity.keyType !== 'ec') {
    throw new ConfigError(`cms signing identity: ${identity.keyType} keys are not supported (RSA or ECDSA P-256)`);
  }
  const signer: CmsSigner = {
    privateKey: identity.privateKey,
    keyType: identity.keyType,
    certificates: identity.chainDer,
    leaf: certificateRef(identity.chainDer[0]!),
  };
  const encryptionIdentity = keys.encryption ? loadLocalIdentity(keys.encryption, 'cms encryption identity') : identity;
  const decryptionKey: CmsDecryptionKey = {
    privateKey: encryptionIdentity.privateKey,
    ref: certificateRef(encryptionIdentity.chainDer[0]!),
  };
  if (options.requireEncryption && encryptionIdentity.privateKey.asymmetricKeyType !== 'rsa') {
    throw new ConfigError(
      `cms: requireEncryption needs an RSA encryption key (keys.encryption); ${localEncryptionKeys(keys) === keys ? 'the signing key' : 'keys.encryption'} is ${encryptionIdentity.keyType}`,
    );
  }

  // Partner agreements are long-lived objects: parse each encryption certificate once.
  const recipients = new WeakMap<PartnerKeys, CmsRecipient>();
  function recipientFor(to: PartnerKeys): CmsRecipient {
    let recipient = recipients.get(to);
    if (!recipient) {
      const der = to.encryptionCertificatePem ? pemCertificatesToDer(to.encryptionCertificatePem)[0] : undefined;
      if (!der)
        throw new ConfigError(`cms: partner ${to.partnerId} has no encryptionCertificatePem, and encrypt is on`);
      const certificate = new X509Certificate(der);
      if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
        throw new ConfigError(`cms: partner ${to.partnerId}'s encryption certificate must hold an RSA key`);
      }
      recipient = { certificate, ref: certificateRef(der) };
      recipients.set(to, recipient);
    }
    return recipient;
  }

  return {
    name: 'cms',
    authenticates: true,
    async seal(payload: Uint8Array, to: PartnerKeys): Promise<Uint8Array> {
      const signed = await createSignedData(signer, payload, new Date());
      if (!options.encrypt) return signed;
      return encryptContent(signed, recipientFor(to), options.contentEncryption, options.keyTransport);
    },
    open(bytes: Uint8Array, from: PartnerKeys, at: Date = new Date()): Promise<OpenedMessage> {
      // Synchronous work in a promise: a throw becomes a rejection, never an exception at the caller.
      return Promise.resolve().then(() => openSync(bytes, from, at));
    },
  };

  function openSync(bytes: Uint8Array, from: PartnerKeys, at: Date): OpenedMessage {
    let outerType: string;
    try {
      outerType = parseContentInfo(bytes).contentType;
    } catch (err) {
      throw asMalformed(err, 'CMS ContentInfo');
    }
    let signedBytes: Uint8Array = bytes;
    if (isEncrypted(outerType)) {
      const inner = decryptContent(bytes, decryptionKey);
      // We and `openssl cms -encrypt` encapsulate the whole ContentInfo(SignedData) as id-data;
      // some producers label it id-signedData. Either way the bytes are a ContentInfo.
      if (inner.contentType !== OID.data && inner.contentType !== OID.signedData) {
        throw new MalformedMessageError(`encrypted content type ${oidName(inner.contentType)} is not a signed message`);
      }
      signedBytes = inner.content;
    } else if (options.requireEncryption) {
      throw new NotEncryptedError(
        `partner ${from.partnerId} must encrypt (agreement), the message is ${oidName(outerType)}`,
      );
    } else if (outerType !== OID.signedData) {
      throw new MissingSignatureError(`a CMS ${oidName(outerType)} carries no signature`);
    }
    const sd = parseSignedData(signedBytes);
    if (sd.signerInfos.length === 0) throw new MissingSignatureError('the CMS SignedData has no SignerInfo');
    if (sd.content === undefined)
      throw new MalformedMessageError('detached CMS signatures are not accepted: no content');
    if (sd.eContentType !== OID.data) {
      throw new MalformedMessageError(`encapsulated content type ${oidName(sd.eContentType)}, expected id-data`);
    }
    const carried = sd.certificates.map((der, i) => {
      const cert = parseCarriedCertificate(der, `certificate ${i}`);
      return { cert, ref: refOf(cert, i) };
    });
    let first: OpenedMessage | undefined;
    // Every SignerInfo must verify and chain to the partner: a second, unchecked signer would
    // otherwise ride along on a message we call authenticated.
    for (const info of sd.signerInfos) {
      const signerCert = carried.find((c) => sidMatches(info.sid, c.ref));
      if (!signerCert) throw new MalformedMessageError("the signer's certificate is not carried in the message");
      const { signingTime } = verifySignerInfo(info, sd.eContentType, sd.content, publicKeyOf(signerCert.cert));
      verifyCertificatePath(
        signerCert.cert,
        carried.map((c) => c.cert),
        from,
        at,
      );
      first ??= { payload: sd.content, signer: { ...signerOf(signerCert.cert) }, signedAt: signingTime };
    }
    return first!;
  }
}

// The issuer, serial and key identifier of a carried certificate, read once per certificate object
// (parseCarriedCertificate keeps one per DER) rather than walked out of its DER on every message.
const refs = new WeakMap<X509Certificate, CertificateRef>();

function refOf(cert: X509Certificate, index: number): CertificateRef {
  let ref = refs.get(cert);
  if (!ref) {
    try {
      ref = certificateRef(cert.raw);
    } catch (err) {
      throw asMalformed(err, `certificate ${index}`);
    }
    refs.set(cert, ref);
  }
  return ref;
}

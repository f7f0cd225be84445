/**
 * Transport certificates: the X.509 identity a node shows on a connection. The identity module's
 * CA issues Fabric identities (no subjectAltName, no extended key usage, P-256 only), which TLS
 * and libp2p cannot use as they are, so this helper issues from the same CA what transports need:
 *
 * - subjectAltName IP 127.0.0.1 and DNS localhost by default (TLS clients check the host name),
 * - extendedKeyUsage serverAuth + clientAuth (one certificate for both ends of mutual TLS),
 * - for an Ed25519 key: a subjectAltName URI `libp2p:peer-id:<id>`, the libp2p peer id of that
 *   very key. This is how a peer id is bound to an X.509 identity: the partner's CA vouches that
 *   the peer id belongs to the subject, Noise proves the remote holds the key, and the libp2p
 *   transport checks both, plus that the certificate's key is the peer's key (docs/security.md).
 */
// @peculiar/x509's dependency tsyringe needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { InvalidInputError } from '../../node/src/errors';
import { PEER_ID_URI_PREFIX } from './peer-certificates';

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const ED25519 = { name: 'Ed25519' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The CA that signs: a certificate and its PKCS#8 (or SEC1) PEM key, e.g. a CertificateAuthority. */
export interface IssuingCa {
  readonly caCertificatePem: string;
  readonly privateKeyPem: string;
}

/** What to put in a transport certificate. */
export interface TransportCertificateOptions {
  readonly commonName: string;
  /** Organisation (subject O); default the CA's. */
  readonly organization?: string;
  /** 'P-256' for http; 'Ed25519' for libp2p (its key is the peer key). Default 'P-256'. */
  readonly keyType?: 'P-256' | 'Ed25519';
  /** Default ['127.0.0.1']. */
  readonly ipAddresses?: readonly string[];
  /** Default ['localhost']. */
  readonly dnsNames?: readonly string[];
  /** Default 365. */
  readonly validDays?: number;
  /** Default now minus 5 minutes (clock skew between nodes). */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** An issued transport certificate, its key, and (Ed25519) the libp2p peer id it names. */
export interface TransportCertificate {
  /** Leaf certificate PEM (the CA certificate is the partner's trust anchor, not sent). */
  readonly certificatePem: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** For an Ed25519 key: the peer id to write in the partner's agreement. */
  readonly peerId?: string;
}

/**
 * Issues a transport certificate signed by `ca` (an ECDSA P-256 CA such as the identity module
 * creates) for a freshly generated key.
 */
export async function issueTransportCertificate(
  ca: IssuingCa,
  opts: TransportCertificateOptions,
): Promise<TransportCertificate> {
  if (typeof opts.commonName !== 'string' || opts.commonName.trim() === '') {
    throw new InvalidInputError('commonName must be a non-empty string');
  }
  const crypto = webcrypto;
  const caCert = new x509.X509Certificate(ca.caCertificatePem);
  const caKey = createPrivateKey(ca.privateKeyPem);
  if (caKey.asymmetricKeyType !== 'ec' || caKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidInputError('the issuing CA key must be an ECDSA P-256 key');
  }
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    caKey.export({ type: 'pkcs8', format: 'der' }),
    P256,
    false,
    ['sign'],
  );
  const keyType = opts.keyType ?? 'P-256';
  const keys = (await crypto.subtle.generateKey(keyType === 'Ed25519' ? ED25519 : P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  const peerId = keyType === 'Ed25519' ? peerIdOfEd25519Key(KeyObject.from(keys.publicKey)) : undefined;

  const names: x509.JsonGeneralName[] = [
    ...(opts.ipAddresses ?? ['127.0.0.1']).map((value) => {
      if (isIP(value) === 0) throw new InvalidInputError(`not an IP address: ${value}`);
      return { type: 'ip' as const, value };
    }),
    ...(opts.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(peerId ? [{ type: 'url' as const, value: `${PEER_ID_URI_PREFIX}${peerId}` }] : []),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (caKeyId !== undefined) extensions.push(new x509.AuthorityKeyIdentifierExtension(caKeyId));

  const notBefore = wholeSeconds(opts.notBefore ?? new Date(Date.now() - 5 * 60 * 1000));
  const notAfter = wholeSeconds(opts.notAfter ?? new Date(notBefore.getTime() + (opts.validDays ?? 365) * DAY_MS));
  const organization = opts.organization ?? caCert.subjectName.getField('O')[0];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [...(organization ? [{ O: [organization] }] : []), { CN: [opts.commonName] }],
      issuer: caCert.subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: P256,
      extensions,
    },
    crypto,
  );
  return {
    certificatePem: cert.toString('pem') + '\n',
    privateKeyPem,
    ...(peerId ? { peerId } : {}),
  };
}

/** The libp2p peer id of an Ed25519 public key (a KeyObject, or a certificate holding one). */
export function peerIdOfEd25519Key(key: KeyObject | X509Certificate): string {
  const publicKey = key instanceof X509Certificate ? key.publicKey : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new InvalidInputError(`a libp2p peer key must be Ed25519, not ${publicKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  return peerIdFromPublicKey(publicKeyFromRaw(raw)).toString();
}

function wholeSeconds(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw new InvalidInputError('invalid date');
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** 16 random bytes with the top bit clear: a positive serial within RFC 5280's 20-byte limit. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

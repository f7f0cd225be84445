import { KeyObject, X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { InvalidInputError, asError } from '../errors';
import { lowSCertificate } from './der';
import { IdentityInvalidError } from './identity-errors';
import { assertP256KeyPair } from './keys';
import {
  FABRIC_ATTRS_OID,
  NODE_OUS,
  P256_ALGORITHM,
  crypto,
  x509,
  type CryptoKey,
  type CryptoKeyPair,
} from './x509-lib';

/** Fabric NodeOU an identity belongs to; decides what it may do once NodeOUs are enabled. */
export type NodeOU = (typeof NODE_OUS)[number];

/** What to put in an issued certificate. */
export interface IssueOptions {
  /** Subject CN; also the enrollment id other organisations will see. */
  readonly commonName: string;
  /** Written as the subject OU so Fabric's NodeOUs classify the identity. */
  readonly nodeOU: NodeOU;
  /** Shortcut for `attrs.role`; takes precedence over it. */
  readonly role?: string;
  /** Fabric CA attributes, readable in chaincode with ClientIdentity.getAttributeValue(). */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Lifetime from notBefore when notAfter is not given. Default 365. */
  readonly validDays?: number;
  /** Default: now minus 5 minutes. May be in the future (tests of "not yet valid"). */
  readonly notBefore?: Date;
  /** Default: notBefore + validDays. May be in the past (tests of expiry). */
  readonly notAfter?: Date;
}

/** An issued end-entity certificate with its freshly generated private key (PKCS#8 PEM). */
export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A certificate authority for one organisation: a self-signed P-256 root that issues identities. */
export interface CertificateAuthority {
  /** Subject O of the CA; every issued certificate carries the same O. */
  readonly organization: string;
  readonly caCertificatePem: string;
  /** PKCS#8 PEM. Whoever holds it can mint identities of this organisation: store it like one. */
  readonly privateKeyPem: string;
  /** Generates a new key pair and a certificate for it signed by this CA. */
  issue(opts: IssueOptions): Promise<IssuedCertificate>;
}

/** Options for {@link createCertificateAuthority}. */
export interface CreateCertificateAuthorityOptions {
  /** MSP the CA serves; only used for the default common name. */
  readonly mspId: string;
  readonly organization: string;
  /** Default `ca.<mspId>`. */
  readonly commonName?: string;
  /** Default 3650. */
  readonly validDays?: number;
  /** Issue time; default the current time. Lets tests build CAs that are already expired. */
  readonly now?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Fabric CA backdates the same way: a peer whose clock lags a little behind ours must not see a
// freshly issued certificate as "not yet valid".
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * Creates a new self-signed ECDSA P-256 CA (basicConstraints CA, keyUsage keyCertSign + cRLSign,
 * subject key identifier) whose certificates work as a Fabric MSP root with NodeOUs.
 */
export async function createCertificateAuthority(
  opts: CreateCertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  requireText('mspId', opts.mspId);
  requireText('organization', opts.organization);
  const commonName = opts.commonName ?? `ca.${opts.mspId}`;
  requireText('commonName', commonName);
  const validDays = opts.validDays ?? 3650;
  requirePositive('validDays', validDays);

  const keys = await generateKeyPair();
  const notBefore = secondPrecision(new Date((opts.now ?? new Date()).getTime() - BACKDATE_MS));
  const notAfter = secondPrecision(new Date(notBefore.getTime() + validDays * DAY_MS));
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ O: [opts.organization] }, { CN: [commonName] }],
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: P256_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
      ],
    },
    crypto,
  );
  return newCertificateAuthority(
    opts.organization,
    toPem(lowSCertificate(new Uint8Array(cert.rawData))),
    exportPrivateKeyPem(keys.privateKey),
    keys.privateKey,
    ski.keyId,
  );
}

/**
 * Rebuilds a CA from its certificate and private key (PKCS#8 or SEC1 PEM), e.g. one created by
 * `gnc init` earlier or by Fabric's cryptogen. Throws IdentityInvalidError if the certificate is
 * not a P-256 CA or the key does not belong to it.
 */
export async function loadCertificateAuthority(caCertPem: string, caKeyPem: string): Promise<CertificateAuthority> {
  let cert: x509.X509Certificate;
  let nodeCert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new x509.X509Certificate(caCertPem);
    nodeCert = new X509Certificate(caCertPem);
    key = createPrivateKey(caKeyPem);
  } catch (err) {
    throw new IdentityInvalidError(`cannot parse the CA certificate or key: ${asError(err).message}`, { cause: err });
  }
  if (!nodeCert.ca)
    throw new IdentityInvalidError(`certificate ${cert.subject} is not a CA (basicConstraints CA is not set)`);
  assertP256KeyPair(nodeCert, key, 'CA');
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    P256_ALGORITHM,
    false,
    ['sign'],
  );
  // Reuse the CA's own SKI for issued AKIs: cryptogen computes SKIs differently (SHA-256) from
  // RFC 5280's SHA-1, and chain builders match AKI against the issuer's SKI byte for byte.
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const organization = cert.subjectName.getField('O')[0] ?? cert.subjectName.getField('CN')[0] ?? cert.subject;
  return newCertificateAuthority(
    organization,
    toPem(new Uint8Array(cert.rawData)),
    key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signingKey,
    ski,
  );
}

function newCertificateAuthority(
  organization: string,
  caCertificatePem: string,
  privateKeyPem: string,
  signingKey: CryptoKey,
  keyId: string | undefined,
): CertificateAuthority {
  const caName = new x509.X509Certificate(caCertificatePem).subjectName;
  return Object.freeze({
    organization,
    caCertificatePem,
    privateKeyPem,
    async issue(opts: IssueOptions): Promise<IssuedCertificate> {
      requireText('commonName', opts.commonName);
      if (!(NODE_OUS as readonly string[]).includes(opts.nodeOU)) {
        throw new InvalidInputError(`nodeOU must be one of ${NODE_OUS.join(', ')}, got ${String(opts.nodeOU)}`);
      }
      const validDays = opts.validDays ?? 365;
      requirePositive('validDays', validDays);
      const notBefore = secondPrecision(
        opts.notBefore ??
          (opts.notAfter && opts.notAfter.getTime() <= Date.now()
            ? new Date(opts.notAfter.getTime() - validDays * DAY_MS)
            : new Date(Date.now() - BACKDATE_MS)),
      );
      const notAfter = secondPrecision(opts.notAfter ?? new Date(notBefore.getTime() + validDays * DAY_MS));
      if (notAfter.getTime() <= notBefore.getTime()) {
        throw new InvalidInputError(
          `notAfter (${notAfter.toISOString()}) must be after notBefore (${notBefore.toISOString()})`,
        );
      }

      const keys = await generateKeyPair();
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ];
      if (keyId !== undefined) extensions.push(new x509.AuthorityKeyIdentifierExtension(keyId));
      const attrs: Record<string, string> = { ...opts.attrs };
      if (opts.role !== undefined) attrs.role = opts.role;
      if (Object.keys(attrs).length > 0) {
        // Fabric CA's format: the extnValue OCTET STRING holds raw UTF-8 JSON (not a DER string),
        // which is what ClientIdentity reads with extension.value.toString().
        extensions.push(new x509.Extension(FABRIC_ATTRS_OID, false, Buffer.from(JSON.stringify({ attrs }), 'utf8')));
      }
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: randomSerial(),
          subject: [{ O: [organization] }, { OU: [opts.nodeOU] }, { CN: [opts.commonName] }],
          issuer: caName,
          notBefore,
          notAfter,
          publicKey: keys.publicKey,
          signingKey,
          signingAlgorithm: P256_ALGORITHM,
          extensions,
        },
        crypto,
      );
      return {
        certificatePem: toPem(lowSCertificate(new Uint8Array(cert.rawData))),
        privateKeyPem: exportPrivateKeyPem(keys.privateKey),
      };
    },
  });
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be handed back as PEM for the MSP keystore.
  return crypto.subtle.generateKey(P256_ALGORITHM, true, ['sign', 'verify']);
}

function exportPrivateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** 16 random bytes with the top bit clear: positive, unique, and within RFC 5280's 20-byte limit. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

/** X.509 times hold whole seconds; truncating up front keeps the returned dates equal to the encoded ones. */
function secondPrecision(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw new InvalidInputError('invalid date');
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidInputError(`${name} must be a non-empty string`);
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidInputError(`${name} must be a positive number, got ${value}`);
}

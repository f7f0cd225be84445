/**
 * Certificates shared by every scheme: reading this node's keys, and deciding whether a partner's
 * signing certificate is acceptable (chains to one of the partner's trust anchors by signature,
 * every certificate of the path valid at the time asked, none revoked).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError, asError } from '../../node/src/errors';
import {
  CertificateExpiredError,
  CertificateNotYetValidError,
  CertificateRevokedError,
  MalformedMessageError,
  UnsupportedAlgorithmError,
  UntrustedCertificateError,
} from './errors';
import type { LocalKeys, OpenedMessage, PartnerKeys } from './security-scheme';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text, as DER, in order. */
export function pemCertificatesToDer(pem: string): Buffer[] {
  return [...pem.matchAll(PEM_CERTIFICATE)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

/** DER certificate as PEM text. */
export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/** This node's signing identity, parsed once when a scheme is created. */
export interface LocalIdentity {
  /** Leaf first, as given. */
  readonly chain: readonly X509Certificate[];
  readonly chainDer: readonly Buffer[];
  readonly privateKey: KeyObject;
  /** 'rsa', 'ec' (P-256 only is accepted for signing), 'ed25519'. */
  readonly keyType: string;
}

/**
 * Parses `keys` and checks that the private key belongs to the first certificate. A mistake here is
 * a configuration error, found when the node starts rather than on the first message.
 */
export function loadLocalIdentity(
  keys: { certificatePem: string; privateKeyPem: string },
  what: string,
): LocalIdentity {
  const chainDer = pemCertificatesToDer(keys.certificatePem);
  if (chainDer.length === 0) throw new ConfigError(`${what}: certificatePem holds no PEM certificate`);
  let chain: X509Certificate[];
  let privateKey: KeyObject;
  try {
    chain = chainDer.map((der) => new X509Certificate(der));
    privateKey = createPrivateKey(keys.privateKeyPem);
  } catch (err) {
    throw new ConfigError(`${what}: cannot read the certificate or private key: ${asError(err).message}`, [], {
      cause: err,
    });
  }
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${what}: the private key does not belong to the certificate ${leaf.subject}`);
  }
  const keyType = privateKey.asymmetricKeyType ?? 'unknown';
  if (keyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(
      `${what}: only the P-256 curve is supported, got ${privateKey.asymmetricKeyDetails?.namedCurve}`,
    );
  }
  return { chain, chainDer, privateKey, keyType };
}

/** The encryption identity of LocalKeys, falling back to the signing one. */
export function localEncryptionKeys(keys: LocalKeys): { certificatePem: string; privateKeyPem: string } {
  return keys.encryption ?? keys;
}

/** Serial numbers compare as lower-case hex without leading zeros (X509Certificate prints upper case). */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

interface Anchors {
  readonly certificates: readonly X509Certificate[];
  /**
   * Paths already proven by signature, by leaf object. Whether a path's signatures hold never
   * changes; validity times and revocation are still checked on every call.
   */
  readonly paths: Map<X509Certificate, X509Certificate[]>;
}

const PATH_CACHE_SIZE = 256;

// Agreements are loaded once and their PartnerKeys objects reused for every message, so the
// parsed anchors are cached per object instead of re-parsing PEM on every open().
const anchorCache = new WeakMap<PartnerKeys, Anchors>();

function anchorsOf(partner: PartnerKeys): Anchors {
  let anchors = anchorCache.get(partner);
  if (!anchors) {
    const certificates = partner.trustAnchorsPem.flatMap((pem) =>
      pemCertificatesToDer(pem).map((der) => new X509Certificate(der)),
    );
    anchors = { certificates, paths: new Map() };
    anchorCache.set(partner, anchors);
  }
  return anchors;
}

/** At most this many certificates between the signer and an anchor. */
const MAX_PATH = 8;

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    // A key node:crypto cannot use (e.g. DSA parameters inherited from the issuer) cannot vouch.
    return false;
  }
}

/**
 * Checks that `leaf` chains, through CA certificates among `extra`, to a trust anchor of `partner`;
 * that every certificate of that path (anchor included) is valid at `at`; and that none is revoked.
 * Returns the path, leaf first, anchor last. Throws UntrustedCertificateError,
 * CertificateExpiredError, CertificateNotYetValidError or CertificateRevokedError.
 */
export function verifyCertificatePath(
  leaf: X509Certificate,
  extra: readonly X509Certificate[],
  partner: PartnerKeys,
  at: Date,
): X509Certificate[] {
  const anchors = anchorsOf(partner);
  let path = anchors.paths.get(leaf);
  if (!path) {
    path = buildPath(leaf, extra, anchors, partner);
    if (anchors.paths.size >= PATH_CACHE_SIZE) anchors.paths.delete(anchors.paths.keys().next().value!);
    anchors.paths.set(leaf, path);
  }
  // Whether the signatures of the path hold is cached above; the time and the revocation set are
  // checked on every call, against the validity each certificate states (read once, see factsOf).
  const t = at.getTime();
  for (const cert of path) {
    const facts = factsOf(cert);
    if (t > facts.notAfter) {
      throw new CertificateExpiredError(
        `certificate '${facts.name}' expired at ${new Date(facts.notAfter).toISOString()}`,
      );
    }
    if (t < facts.notBefore) {
      throw new CertificateNotYetValidError(
        `certificate '${facts.name}' is not valid before ${new Date(facts.notBefore).toISOString()}`,
      );
    }
  }
  // Read live, not copied: a CRL refresh may add serials to the same set.
  const revoked = partner.revokedSerials;
  for (const cert of revoked && revoked.size > 0 ? path : []) {
    const { serial, name } = factsOf(cert);
    if (revokedHas(revoked!, serial)) {
      throw new CertificateRevokedError(
        `certificate '${name}' (serial ${serial}) is revoked by partner ${partner.partnerId}`,
      );
    }
  }
  return path;
}

/**
 * What a certificate states that never changes, read once per certificate object: X509Certificate
 * builds a new string, Date or KeyObject on every read of subject, serialNumber, validity or
 * publicKey, and a partner's certificate is read on every message it signs.
 */
export interface CertificateFacts {
  readonly notBefore: number;
  readonly notAfter: number;
  /** Lower-case hex without leading zeros (normalizeSerial). */
  readonly serial: string;
  /** The subject on one line, for error messages. */
  readonly name: string;
  /** Read on first use: a key node:crypto cannot use throws, and a trust anchor's is never needed. */
  publicKey?: KeyObject;
  /** The signer as OpenedMessage names it, made on first use. */
  signer?: OpenedMessage['signer'];
}

const facts = new WeakMap<X509Certificate, CertificateFacts>();

/** The cached facts of `cert` (see CertificateFacts). */
export function factsOf(cert: X509Certificate): CertificateFacts {
  let known = facts.get(cert);
  if (!known) {
    const { notBefore, notAfter } = validity(cert);
    known = {
      notBefore: notBefore.getTime(),
      notAfter: notAfter.getTime(),
      serial: normalizeSerial(cert.serialNumber),
      name: cert.subject.replace(/\n/g, ', '),
    };
    facts.set(cert, known);
  }
  return known;
}

/** validFromDate/validToDate exist from Node 22.10 on; older runtimes parse the text form. */
function validity(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  const c = cert as X509Certificate & { validFromDate?: Date; validToDate?: Date };
  return { notBefore: c.validFromDate ?? new Date(cert.validFrom), notAfter: c.validToDate ?? new Date(cert.validTo) };
}

/** The public key of `cert`, one KeyObject per certificate. Throws what node:crypto throws for an unusable key. */
export function publicKeyOf(cert: X509Certificate): KeyObject {
  const known = factsOf(cert);
  known.publicKey ??= cert.publicKey;
  return known.publicKey;
}

/** The signer of a message signed with `cert`, as OpenedMessage names it (one object per certificate). */
export function signerOf(cert: X509Certificate): OpenedMessage['signer'] {
  const known = factsOf(cert);
  known.signer ??= Object.freeze({
    certificatePem: derToPem(cert.raw),
    subject: cert.subject,
    serialNumber: known.serial,
  });
  return known.signer;
}

/**
 * Looks the serial up as lower-case hex without leading zeros, and in the two padded forms tools
 * commonly print (whole bytes; a 00 sign byte), so a CRL dump need not be normalised first.
 */
function revokedHas(revoked: ReadonlySet<string>, serial: string): boolean {
  const whole = serial.length % 2 ? `0${serial}` : serial;
  return revoked.has(serial) || revoked.has(whole) || revoked.has(`00${whole}`);
}

function buildPath(
  leaf: X509Certificate,
  extra: readonly X509Certificate[],
  anchors: Anchors,
  partner: PartnerKeys,
): X509Certificate[] {
  if (anchors.certificates.length === 0) {
    throw new UntrustedCertificateError(`partner ${partner.partnerId} has no trust anchors configured`);
  }
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (;;) {
    // A pinned self-signed certificate is its own anchor.
    const anchor = anchors.certificates.find((a) => a.raw.equals(current.raw) || issuedBy(current, a));
    if (anchor) {
      if (!anchor.raw.equals(current.raw)) path.push(anchor);
      return path;
    }
    const next = extra.find((c) => c.ca && !path.includes(c) && issuedBy(current, c));
    if (!next || path.length > MAX_PATH) {
      throw new UntrustedCertificateError(
        `certificate '${leaf.subject.replace(/\n/g, ', ')}' (serial ${normalizeSerial(leaf.serialNumber)}) does not chain to a trust anchor of partner ${partner.partnerId}`,
      );
    }
    path.push(next);
    current = next;
  }
}

// A partner sends the same few certificates with every message; parsing one costs about as much as
// an ECDSA verification, so parsed certificates are kept (bounded, oldest evicted first). Keeping
// the same object per DER also lets verifyCertificatePath cache the path it found and factsOf
// what the certificate states.
const CERT_CACHE_SIZE = 1024;
const certCache = new Map<string, X509Certificate>();

/**
 * The cache key of a certificate's DER: its length and its last 32 bytes, which lie in the
 * issuer's signature over it (random for ECDSA, a function of the whole certificate for RSA).
 * Cheap to make from a 1 KB certificate, unlike a hash or a base64 text of all of it. It only
 * finds the candidate: a hit counts only when all the bytes are equal.
 */
function certificateKey(der: Uint8Array): string {
  const tail = Buffer.from(der.buffer, der.byteOffset + Math.max(0, der.byteLength - 32), Math.min(32, der.byteLength));
  return `${der.byteLength}:${tail.toString('latin1')}`;
}

/** Parses a certificate carried in a message; garbage is a malformed message, not a crash. */
export function parseCarriedCertificate(der: Uint8Array, what: string): X509Certificate {
  const key = certificateKey(der);
  const cached = certCache.get(key);
  if (cached?.raw.equals(der)) return cached;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    throw new MalformedMessageError(`${what}: not a certificate: ${asError(err).message}`, { cause: err });
  }
  try {
    // node:crypto decodes the key lazily; decode it now so an unusable key is a typed error here
    // rather than an untyped one at verification.
    publicKeyOf(cert);
  } catch (err) {
    throw new UnsupportedAlgorithmError(
      'subjectPublicKeyInfo',
      `${what} (${cert.subject.replace(/\n/g, ', ')}): its public key cannot be used (${asError(err).message}); e.g. a DSA key whose parameters are inherited from the issuer`,
      { cause: err },
    );
  }
  // A key collision (same length and tail, other bytes) replaces the entry: both stay correct.
  certCache.delete(key);
  if (certCache.size >= CERT_CACHE_SIZE) certCache.delete(certCache.keys().next().value!);
  certCache.set(key, cert);
  return cert;
}

import { KeyObject, X509Certificate } from 'node:crypto';
import { InvalidInputError, asError } from '../errors';
import type { NodeOU } from './certificate-authority';
import { IdentityValidationError } from './identity-errors';
import { isP256PublicKey } from './keys';
import { verifySignature } from './signer';
import { FABRIC_ATTRS_OID, NODE_OUS, x509 } from './x509-lib';

/** One organisation the verifier trusts: its MSP id and the root CA certificates of that MSP. */
export interface TrustedMsp {
  readonly mspId: string;
  readonly rootCertificatesPem: readonly string[];
}

/** An identity that passed {@link MspVerifier.validateIdentity}, with what was read from its certificate. */
export interface ValidatedIdentity {
  readonly mspId: string;
  readonly certificatePem: string;
  /** Subject DN in certificate order, e.g. `O=Customs NL, OU=client, CN=officer1`. */
  readonly subject: string;
  /** Issuer DN, same format. */
  readonly issuer: string;
  readonly commonName: string | undefined;
  readonly nodeOU: NodeOU;
  /** The `role` Fabric CA attribute, if the certificate has one. */
  readonly role: string | undefined;
  /** All Fabric CA attributes (OID 1.2.3.4.5.6.7.8.1); empty if none. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The certificate's public key, for verifying many signatures without reparsing. */
  readonly publicKey: KeyObject;
}

/** Checks other organisations' identities against the MSPs the node trusts. */
export interface MspVerifier {
  /**
   * Returns the identity if `certificatePem` was issued (signature checked) by a root CA of
   * `mspId`, is valid at `at`, is not a CA, and has exactly one Fabric NodeOU; otherwise throws
   * IdentityValidationError with the reason. Repeated calls for the same certificate cost a
   * Map lookup and a date comparison.
   */
  validateIdentity(mspId: string, certificatePem: string, at: Date): ValidatedIdentity;
  /** validateIdentity plus a low-S ECDSA signature check; false instead of throwing. */
  verify(mspId: string, certificatePem: string, message: Uint8Array, signature: Uint8Array, at: Date): boolean;
}

interface Root {
  readonly cert: X509Certificate;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Cached outcome of the time-independent checks; time is checked on every call. */
type CacheEntry =
  | {
      readonly ok: true;
      readonly identity: ValidatedIdentity;
      readonly notBefore: number;
      readonly notAfter: number;
      /** Text added to time reasons when the root's validity, not the certificate's, is the limit. */
      readonly notBeforeNote: string;
      readonly notAfterNote: string;
    }
  | { readonly ok: false; readonly reason: string };

// Bounded so a stream of distinct (possibly hostile) certificates cannot grow memory without limit;
// the working set of a node is a few hundred creators at most.
const CACHE_LIMIT = 10_000;

/**
 * Builds a verifier for the given organisations. Root certificates are parsed here, once; a root
 * that is not a parseable CA certificate makes this throw InvalidInputError.
 */
export function createMspVerifier(orgs: ReadonlyArray<TrustedMsp>): MspVerifier {
  const roots = new Map<string, Root[]>();
  for (const org of orgs) {
    const list = roots.get(org.mspId) ?? [];
    for (const pem of org.rootCertificatesPem) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch (err) {
        throw new InvalidInputError(`root certificate of ${org.mspId} cannot be parsed: ${asError(err).message}`, {
          cause: err,
        });
      }
      if (!cert.ca)
        throw new InvalidInputError(`root certificate ${oneLine(cert.subject)} of ${org.mspId} is not a CA`);
      list.push({ cert, notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) });
    }
    roots.set(org.mspId, list);
  }

  const cache = new Map<string, CacheEntry>();

  function check(mspId: string, certificatePem: string): CacheEntry {
    const trusted = roots.get(mspId);
    if (!trusted) return { ok: false, reason: `unknown MSP ${mspId}` };
    let cert: X509Certificate;
    let parsed: x509.X509Certificate;
    try {
      cert = new X509Certificate(certificatePem);
      parsed = new x509.X509Certificate(certificatePem);
    } catch {
      return { ok: false, reason: 'certificate cannot be parsed' };
    }
    // checkIssued compares the issuer name (and key identifiers); verify checks the signature itself.
    const root = trusted.find((r) => cert.checkIssued(r.cert) && cert.verify(r.cert.publicKey));
    if (!root) return { ok: false, reason: `not issued by a root CA of ${mspId}` };
    if (cert.ca) return { ok: false, reason: 'is a CA certificate, not an identity' };
    if (!isP256PublicKey(cert.publicKey)) return { ok: false, reason: 'public key is not ECDSA P-256' };
    // Fabric MSPs with NodeOUs enabled refuse identities with zero or several node OUs.
    const ous = parsed.subjectName
      .getField('OU')
      .filter((ou): ou is NodeOU => (NODE_OUS as readonly string[]).includes(ou));
    const nodeOU = ous[0];
    if (nodeOU === undefined || ous.length > 1) {
      return { ok: false, reason: `must have exactly one node OU (${NODE_OUS.join(', ')}), has ${ous.length}` };
    }
    const attributes = readFabricAttributes(parsed);
    if (!attributes) return { ok: false, reason: 'Fabric attribute extension is not valid JSON {"attrs":{...}}' };
    const notBefore = Math.max(parsed.notBefore.getTime(), root.notBefore);
    const notAfter = Math.min(parsed.notAfter.getTime(), root.notAfter);
    const identity: ValidatedIdentity = Object.freeze({
      mspId,
      certificatePem,
      subject: parsed.subject,
      issuer: parsed.issuer,
      commonName: parsed.subjectName.getField('CN')[0],
      nodeOU,
      role: attributes.role,
      attributes,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
      publicKey: cert.publicKey,
    });
    return {
      ok: true,
      identity,
      notBefore,
      notAfter,
      notBeforeNote: notBefore === root.notBefore && notBefore !== parsed.notBefore.getTime() ? ', its root CA' : '',
      notAfterNote: notAfter === root.notAfter && notAfter !== parsed.notAfter.getTime() ? ' (its root CA)' : '',
    };
  }

  function validateIdentity(mspId: string, certificatePem: string, at: Date): ValidatedIdentity {
    // NUL cannot occur in an MSP id or a PEM, so the joined key is unambiguous.
    const key = `${mspId}\0${certificatePem}`;
    let entry = cache.get(key);
    if (!entry) {
      entry = check(mspId, certificatePem);
      if (cache.size >= CACHE_LIMIT) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, entry);
    }
    if (!entry.ok) throw new IdentityValidationError(mspId, entry.reason);
    // The window is the intersection of the certificate's and its root's validity, so an
    // identity also stops validating when its CA expires. Dates are compared, not cached.
    const t = at.getTime();
    if (t > entry.notAfter)
      throw new IdentityValidationError(
        mspId,
        `expired on ${new Date(entry.notAfter).toISOString()}${entry.notAfterNote}`,
      );
    if (t < entry.notBefore) {
      throw new IdentityValidationError(
        mspId,
        `not yet valid (valid from ${new Date(entry.notBefore).toISOString()}${entry.notBeforeNote})`,
      );
    }
    return entry.identity;
  }

  return Object.freeze({
    validateIdentity,
    verify(mspId: string, certificatePem: string, message: Uint8Array, signature: Uint8Array, at: Date): boolean {
      let identity: ValidatedIdentity;
      try {
        identity = validateIdentity(mspId, certificatePem, at);
      } catch (err) {
        if (err instanceof IdentityValidationError) return false;
        throw err;
      }
      return verifySignature(identity.publicKey, message, signature);
    },
  });
}

/** Reads the Fabric CA attribute extension; undefined if present but malformed. */
function readFabricAttributes(cert: x509.X509Certificate): Readonly<Record<string, string>> | undefined {
  const ext = cert.getExtension(FABRIC_ATTRS_OID);
  if (!ext) return Object.freeze({});
  try {
    const parsed: unknown = JSON.parse(Buffer.from(ext.value).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('attrs' in parsed)) return undefined;
    const attrs: unknown = parsed.attrs;
    if (typeof attrs !== 'object' || attrs === null) return undefined;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value === 'string') out[name] = value;
    }
    return Object.freeze(out);
  } catch {
    return undefined;
  }
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ', ');
}

import { KeyObject, X509Certificate, createPrivateKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { asError } from '../errors';
import { P256_HALF_N, derToLowSDer, parseEcdsaSignature } from './der';
import { IdentityInvalidError } from './identity-errors';
import { assertP256KeyPair, isP256PublicKey } from './keys';
import type { EndorsementParts } from './crypto-batch';
import { cryptoPool } from './crypto-pool';
import type { SigningIdentity } from './signing-identity';

/** What {@link createSigningIdentity} needs: the MSP, the certificate and its private key (PEM). */
export interface SigningIdentityOptions {
  readonly mspId: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * Builds a SigningIdentity that signs ECDSA P-256 over SHA-256 with low-S DER output, as Fabric
 * requires. The key is parsed once here, so signing costs only the ECDSA operation. Throws
 * IdentityInvalidError if the key is not P-256 or does not belong to the certificate.
 */
export function createSigningIdentity(opts: SigningIdentityOptions): SigningIdentity {
  if (typeof opts.mspId !== 'string' || opts.mspId === '')
    throw new IdentityInvalidError('mspId must be a non-empty string');
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(opts.certificatePem);
    key = createPrivateKey(opts.privateKeyPem);
  } catch (err) {
    throw new IdentityInvalidError(
      `cannot parse the certificate or private key of ${opts.mspId}: ${asError(err).message}`,
      {
        cause: err,
      },
    );
  }
  assertP256KeyPair(cert, key, opts.mspId);
  const { mspId, certificatePem } = opts;
  const identity: SigningIdentity = Object.freeze({
    mspId,
    certificatePem,
    sign(message: Uint8Array): Uint8Array {
      // The key goes bare (derToLowSDer says why), and its DER is normalised to low S.
      return derToLowSDer(cryptoSign('sha256', message, key));
    },
    async signAsync(message: Uint8Array): Promise<Uint8Array> {
      const pool = cryptoPool();
      if (pool) {
        try {
          const result = await pool.run({ kind: 'sign', keyId: pool.key(opts.privateKeyPem, 'private'), message });
          if (result.signature) return result.signature;
        } catch {
          // The worker is gone: sign here rather than fail the caller.
        }
      }
      return derToLowSDer(cryptoSign('sha256', message, key));
    },
  });
  privateKeyPems.set(identity, opts.privateKeyPem);
  return identity;
}

/** The private keys of the identities made here, for jobs that sign with two of them at once. */
const privateKeyPems = new WeakMap<SigningIdentity, string>();

/**
 * Whether `identity` was made by {@link createSigningIdentity} in this process: its private key
 * was checked against its certificate then, so what it signs verifies with that certificate by
 * construction (a signature of any other SigningIdentity still has to be verified).
 */
export function signsWithCheckedKey(identity: SigningIdentity): boolean {
  return privateKeyPems.has(identity);
}

/**
 * An endorsement and the transaction signature that follows it, in one trip to the crypto worker:
 * `endorser` signs proposal response payload || endorser identity, then `creator` signs the
 * envelope payload carrying that endorsement (endorserTransactionPayload). Resolves undefined when
 * the worker cannot do it (no worker, an identity not made by createSigningIdentity, the worker
 * gone): the caller then signs the two one after the other.
 */
export async function signEndorsedTransactionAsync(
  endorser: SigningIdentity,
  creator: SigningIdentity,
  parts: EndorsementParts,
): Promise<{ endorsementSignature: Uint8Array; transactionSignature: Uint8Array } | undefined> {
  const pool = cryptoPool();
  const endorserPem = privateKeyPems.get(endorser);
  const creatorPem = privateKeyPems.get(creator);
  if (!pool || endorserPem === undefined || creatorPem === undefined) return undefined;
  try {
    const result = await pool.run({
      kind: 'endorse',
      keyId: pool.key(endorserPem, 'private'),
      creatorKeyId: pool.key(creatorPem, 'private'),
      parts,
    });
    if (!result.signature || !result.transactionSignature) return undefined;
    return { endorsementSignature: result.signature, transactionSignature: result.transactionSignature };
  } catch {
    return undefined;
  }
}

// Verification sees the same few creators over and over; parsing a PEM costs more than the
// ECDSA verify itself, so public keys are kept by PEM. Bounded so that a flood of distinct
// certificates cannot grow memory without limit.
const KEY_CACHE_LIMIT = 1024;
const keyCache = new Map<string, KeyObject>();

function publicKeyOf(certificatePem: string): KeyObject | undefined {
  const cached = keyCache.get(certificatePem);
  if (cached) {
    // Re-insert so the Map's insertion order approximates recency of use.
    keyCache.delete(certificatePem);
    keyCache.set(certificatePem, cached);
    return cached;
  }
  let key: KeyObject;
  try {
    key = new X509Certificate(certificatePem).publicKey;
  } catch {
    return undefined;
  }
  if (!isP256PublicKey(key)) return undefined;
  if (keyCache.size >= KEY_CACHE_LIMIT) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(certificatePem, key);
  return key;
}

/**
 * Verifies a DER ECDSA P-256 / SHA-256 signature over `message` with the key of a PEM certificate
 * (or a public KeyObject). Returns false, never throws, for anything that is not a strictly
 * encoded low-S signature by that key: Fabric rejects high-S signatures, so accepting one here
 * would let through messages the ledger will refuse. Does not check the certificate's issuer or
 * validity: that is the MSP verifier's job.
 */
export function verifySignature(
  certificatePemOrKeyObject: string | KeyObject,
  message: Uint8Array,
  derSignature: Uint8Array,
): boolean {
  try {
    const sig = parseEcdsaSignature(derSignature);
    if (!sig || sig.s > P256_HALF_N) return false;
    const key =
      typeof certificatePemOrKeyObject === 'string'
        ? publicKeyOf(certificatePemOrKeyObject)
        : isP256PublicKey(certificatePemOrKeyObject)
          ? certificatePemOrKeyObject
          : undefined;
    if (!key) return false;
    // DER is node:crypto's default encoding: the key goes bare (see derToLowSDer in der.ts).
    return cryptoVerify('sha256', message, key, derSignature);
  } catch {
    // Inputs of the wrong type from untyped callers end up here; "not verified" is the safe answer.
    return false;
  }
}

/**
 * {@link verifySignature} computed on libuv's thread pool; resolves false (never rejects) for
 * anything that does not verify.
 */
export function verifySignatureAsync(
  certificatePemOrKeyObject: string | KeyObject,
  message: Uint8Array,
  derSignature: Uint8Array,
): Promise<boolean> {
  let key: KeyObject | undefined;
  try {
    const sig = parseEcdsaSignature(derSignature);
    if (!sig || sig.s > P256_HALF_N) return Promise.resolve(false);
    key =
      typeof certificatePemOrKeyObject === 'string'
        ? publicKeyOf(certificatePemOrKeyObject)
        : isP256PublicKey(certificatePemOrKeyObject)
          ? certificatePemOrKeyObject
          : undefined;
  } catch {
    return Promise.resolve(false);
  }
  if (!key) return Promise.resolve(false);
  const publicKey = key;
  const onMainThread = () => {
    try {
      return cryptoVerify('sha256', message, publicKey, derSignature);
    } catch {
      return false;
    }
  };
  const pool = cryptoPool();
  if (typeof certificatePemOrKeyObject !== 'string' || !pool) return Promise.resolve(onMainThread());
  return pool
    .run({ kind: 'verify', keyId: pool.key(certificatePemOrKeyObject, 'public'), message, signature: derSignature })
    .then((result) => (result.error ? onMainThread() : result.ok === true))
    .catch(onMainThread);
}

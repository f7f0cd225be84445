import { decodeProtectedHeader } from 'jose';
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import { ConfigError, asError } from '../../../node/src/errors';
import {
  derToPem,
  loadLocalIdentity,
  normalizeSerial,
  parseCarriedCertificate,
  verifyCertificatePath,
} from '../certificates';
import { BadSignatureError, MalformedMessageError, UnsupportedAlgorithmError } from '../errors';
import { readOptions } from '../options';
import type { OpenedMessage, PartnerKeys, SecurityScheme, SecuritySchemeFactory } from '../security-scheme';

/**
 * The JOSE algorithms the scheme signs and accepts: the key each needs, and how node:crypto
 * computes it. ES256 signatures are the fixed-size r || s of RFC 7518 3.4 (IEEE P1363), 64 bytes.
 */
interface Algorithm {
  readonly keyType: string;
  readonly namedCurve?: string;
  /** node:crypto's digest argument: Ed25519 hashes internally and takes none. */
  readonly digest: string | null;
  readonly signatureBytes: number;
}
const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  ES256: { keyType: 'ec', namedCurve: 'prime256v1', digest: 'sha256', signatureBytes: 64 },
  EdDSA: { keyType: 'ed25519', digest: null, signatureBytes: 64 },
};
const ALG_BY_KEY: Readonly<Record<string, string>> = { ec: 'ES256', ed25519: 'EdDSA' };
/** A compact JWS larger than this is refused before any parsing (the node's message limit is far below). */
const MAX_TOKEN_LENGTH = 64 * 1024 * 1024;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/**
 * `jws`: a compact JWS (RFC 7515) over the message bytes: ES256 for an ECDSA P-256 key, EdDSA for
 * an Ed25519 key; the protected header carries `x5c`, the signer's certificate chain (leaf first),
 * which must chain to the partner's trust anchors. The payload travels as base64url, so the wire
 * bytes are ASCII. No options besides `production`.
 *
 * The protected header is read with `jose` (its JOSE header rules); the signature arithmetic is
 * node:crypto's, called directly: `jose` goes through WebCrypto, which costs about four times the
 * signature itself (format-notes.md), on the hot path of every message. That tokens stay exactly
 * what `jose` writes and accepts is checked in test/unit/adapters/security/jws.test.ts.
 */
export const jwsScheme: SecuritySchemeFactory = (init) => {
  readOptions('jws', init, {});
  return ({ keys }) => {
    const identity = loadLocalIdentity(keys, 'jws signing identity');
    const alg = ALG_BY_KEY[identity.keyType];
    if (!alg) {
      throw new ConfigError(
        `jws signing identity: ${identity.keyType} keys are not supported (ECDSA P-256 or Ed25519)`,
      );
    }
    const x5c = identity.chainDer.map((der) => der.toString('base64'));
    return newJwsScheme(identity.privateKey, alg, x5c);
  };
};

function newJwsScheme(privateKey: KeyObject, alg: string, x5c: readonly string[]): SecurityScheme {
  const algorithm = ALGORITHMS[alg]!;
  // The protected header is the same for every message: encoded once.
  const encodedHeader = Buffer.from(JSON.stringify({ alg, x5c }), 'utf8').toString('base64url');
  return {
    name: 'jws',
    authenticates: true,
    seal(payload: Uint8Array): Promise<Uint8Array> {
      const signingInput = `${encodedHeader}.${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64url')}`;
      const signature = cryptoSign(algorithm.digest, Buffer.from(signingInput, 'latin1'), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return Promise.resolve(Buffer.from(`${signingInput}.${signature.toString('base64url')}`, 'latin1'));
    },
    open(bytes: Uint8Array, from: PartnerKeys, at: Date = new Date()): Promise<OpenedMessage> {
      try {
        return Promise.resolve(openToken(bytes, from, at));
      } catch (err) {
        return Promise.reject(asError(err));
      }
    },
  };
}

function openToken(bytes: Uint8Array, from: PartnerKeys, at: Date): OpenedMessage {
  if (bytes.length > MAX_TOKEN_LENGTH) throw new MalformedMessageError(`JWS of ${bytes.length} bytes is too large`);
  const token = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!COMPACT.test(token)) throw new MalformedMessageError('not a JWS compact serialization (three base64url parts)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw new MalformedMessageError(`JWS protected header: ${asError(err).message}`, { cause: err });
  }
  const algorithm =
    typeof header.alg === 'string' && Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : undefined;
  if (!algorithm) {
    throw new UnsupportedAlgorithmError(
      String(header.alg),
      `JWS alg ${String(header.alg)} is not accepted (${Object.keys(ALGORITHMS).join(', ')})`,
    );
  }
  if (header.crit !== undefined) throw new MalformedMessageError('JWS crit header parameters are not supported');
  const chain = header.x5c;
  if (
    !Array.isArray(chain) ||
    chain.length === 0 ||
    !chain.every((c) => typeof c === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(c))
  ) {
    throw new MalformedMessageError('JWS x5c header is missing or not an array of base64 certificates');
  }
  const certs = chain.map((c, i) => parseCarriedCertificate(Buffer.from(c, 'base64'), `x5c[${i}]`));
  const leaf = certs[0]!;
  const signer = signerOf(leaf);
  // A key that does not fit the alg (an Ed25519 certificate under ES256, say) proves nothing.
  if (
    signer.publicKey.asymmetricKeyType !== algorithm.keyType ||
    (algorithm.namedCurve !== undefined && signer.publicKey.asymmetricKeyDetails?.namedCurve !== algorithm.namedCurve)
  ) {
    throw new BadSignatureError(
      `JWS signature cannot be checked: the x5c certificate's key does not fit ${String(header.alg)}`,
    );
  }
  const lastDot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const valid =
    signature.length === algorithm.signatureBytes &&
    cryptoVerify(
      algorithm.digest,
      Buffer.from(token.slice(0, lastDot), 'latin1'),
      { key: signer.publicKey, dsaEncoding: 'ieee-p1363' },
      signature,
    );
  if (!valid) throw new BadSignatureError('the JWS signature does not verify with the x5c certificate');
  verifyCertificatePath(leaf, certs.slice(1), from, at);
  const payload = Buffer.from(token.slice(token.indexOf('.') + 1, lastDot), 'base64url');
  return { payload, signer: { ...signer.identity } };
}

/**
 * What a signing certificate gives every message it signs, computed once per certificate: the
 * public key (X509Certificate.publicKey builds a new KeyObject on every read) and the signer as
 * OpenedMessage names it. parseCarriedCertificate returns one object per DER, so this stays small.
 */
const signers = new WeakMap<X509Certificate, { publicKey: KeyObject; identity: OpenedMessage['signer'] }>();

function signerOf(cert: X509Certificate): { publicKey: KeyObject; identity: OpenedMessage['signer'] } {
  let signer = signers.get(cert);
  if (!signer) {
    signer = {
      publicKey: cert.publicKey,
      identity: {
        certificatePem: derToPem(cert.raw),
        subject: cert.subject,
        serialNumber: normalizeSerial(cert.serialNumber),
      },
    };
    signers.set(cert, signer);
  }
  return signer;
}

import { decodeProtectedHeader } from 'jose';
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import { ConfigError, asError } from '../../../node/src/errors';
import {
  loadLocalIdentity,
  parseCarriedCertificate,
  publicKeyOf,
  signerOf,
  verifyCertificatePath,
} from '../certificates';
import { signP1363, verifyP1363 } from '../ecdsa-signature';
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
  // The protected header is the same for every message: encoded once, with its separator.
  const headerDot = Buffer.from(
    `${Buffer.from(JSON.stringify({ alg, x5c }), 'utf8').toString('base64url')}.`,
    'latin1',
  );
  const signatureChars = base64urlLength(algorithm.signatureBytes);
  return {
    name: 'jws',
    authenticates: true,
    seal(payload: Uint8Array): Promise<Uint8Array> {
      // One buffer for the whole token: header, payload and signature are written in place, and
      // the signature covers the first part of it as it stands (no signing-input copy).
      const encodedPayload = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64url');
      const inputLength = headerDot.length + encodedPayload.length;
      const token = Buffer.allocUnsafe(inputLength + 1 + signatureChars);
      headerDot.copy(token, 0);
      token.write(encodedPayload, headerDot.length, 'latin1');
      const signature = signWith(algorithm, token.subarray(0, inputLength), privateKey);
      token[inputLength] = 0x2e; // '.'
      token.write(signature.toString('base64url'), inputLength + 1, 'latin1');
      return Promise.resolve(token);
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

/**
 * The JWS signature of `input`. The key goes to node:crypto bare (see ecdsa-signature.ts): ES256
 * converts node:crypto's DER form to r || s; an Ed25519 signature has one form only.
 */
function signWith(algorithm: Algorithm, input: Uint8Array, key: KeyObject): Buffer {
  return algorithm.digest === null
    ? cryptoSign(null, input, key)
    : signP1363(algorithm.digest, input, key, algorithm.signatureBytes / 2);
}

function verifyWith(algorithm: Algorithm, input: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  return algorithm.digest === null
    ? cryptoVerify(null, input, key, signature)
    : verifyP1363(algorithm.digest, input, key, signature);
}

/** Characters of the unpadded base64url form of `bytes` bytes. */
function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** What a protected header gives every token that carries it: checked once per header text. */
interface ReadHeader {
  readonly algorithm: Algorithm;
  readonly leaf: X509Certificate;
  readonly extra: readonly X509Certificate[];
  readonly publicKey: KeyObject;
}

// A partner signs every message with the same protected header (alg and its certificate chain),
// so what it says is read once: JSON, base64 of the chain, the certificates and the fit of the key
// to alg do not change with time. The chain's validity and revocation are checked on every token.
const HEADER_CACHE_SIZE = 256;
const headers = new Map<string, ReadHeader>();

const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

function openToken(bytes: Uint8Array, from: PartnerKeys, at: Date): OpenedMessage {
  if (bytes.length > MAX_TOKEN_LENGTH) throw new MalformedMessageError(`JWS of ${bytes.length} bytes is too large`);
  const token = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  // The compact form: header and signature not empty, the three parts base64url (Buffer's
  // base64url decoder would skip any other character silently).
  if (
    firstDot <= 0 ||
    lastDot === firstDot ||
    lastDot === token.length - 1 ||
    !BASE64URL_TEXT.test(token.slice(firstDot + 1, lastDot)) ||
    !BASE64URL_TEXT.test(token.slice(lastDot + 1))
  ) {
    throw new MalformedMessageError('not a JWS compact serialization (three base64url parts)');
  }
  const encodedHeader = token.slice(0, firstDot);
  let header = headers.get(encodedHeader);
  if (!header) {
    if (!BASE64URL_TEXT.test(encodedHeader)) {
      throw new MalformedMessageError('not a JWS compact serialization (three base64url parts)');
    }
    header = readHeader(token);
    if (headers.size >= HEADER_CACHE_SIZE) headers.delete(headers.keys().next().value!);
    headers.set(encodedHeader, header);
  }
  const { algorithm, publicKey } = header;
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const valid =
    signature.length === algorithm.signatureBytes &&
    verifyWith(algorithm, bytes.subarray(0, lastDot), publicKey, signature);
  if (!valid) throw new BadSignatureError('the JWS signature does not verify with the x5c certificate');
  verifyCertificatePath(header.leaf, header.extra, from, at);
  const payload = Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url');
  return { payload, signer: { ...signerOf(header.leaf) } };
}

/** Reads and checks the protected header of `token` (with jose's JOSE header rules). */
function readHeader(token: string): ReadHeader {
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
  const publicKey = publicKeyOf(leaf);
  // A key that does not fit the alg (an Ed25519 certificate under ES256, say) proves nothing.
  if (
    publicKey.asymmetricKeyType !== algorithm.keyType ||
    (algorithm.namedCurve !== undefined && publicKey.asymmetricKeyDetails?.namedCurve !== algorithm.namedCurve)
  ) {
    throw new BadSignatureError(
      `JWS signature cannot be checked: the x5c certificate's key does not fit ${String(header.alg)}`,
    );
  }
  return { algorithm, leaf, extra: certs.slice(1), publicKey };
}

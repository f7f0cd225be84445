import { CompactSign, compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { KeyObject } from 'node:crypto';
import { ConfigError, asError } from '../../../node/src/errors';
import {
  derToPem,
  loadLocalIdentity,
  normalizeSerial,
  parseCarriedCertificate,
  verifyCertificatePath,
} from '../certificates';
import { BadSignatureError, MalformedMessageError, SecurityError, UnsupportedAlgorithmError } from '../errors';
import { readOptions } from '../options';
import type { OpenedMessage, PartnerKeys, SecurityScheme, SecuritySchemeFactory } from '../security-scheme';

/** The JOSE algorithms the scheme signs and accepts, by key type. */
const ALG_BY_KEY: Readonly<Record<string, string>> = { ec: 'ES256', ed25519: 'EdDSA' };
const ACCEPTED_ALGS = ['ES256', 'EdDSA'];
/** A compact JWS larger than this is refused before any parsing (the node's message limit is far below). */
const MAX_TOKEN_LENGTH = 64 * 1024 * 1024;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/**
 * `jws`: a compact JWS (RFC 7515) over the message bytes with `jose`: ES256 for an ECDSA P-256
 * key, EdDSA for an Ed25519 key; the protected header carries `x5c`, the signer's certificate
 * chain (leaf first), which must chain to the partner's trust anchors. The payload travels as
 * base64url, so the wire bytes are ASCII. No options besides `production`.
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
  return {
    name: 'jws',
    authenticates: true,
    async seal(payload: Uint8Array): Promise<Uint8Array> {
      const token = await new CompactSign(payload).setProtectedHeader({ alg, x5c: [...x5c] }).sign(privateKey);
      return Buffer.from(token, 'latin1');
    },
    async open(bytes: Uint8Array, from: PartnerKeys, at: Date = new Date()): Promise<OpenedMessage> {
      if (bytes.length > MAX_TOKEN_LENGTH) throw new MalformedMessageError(`JWS of ${bytes.length} bytes is too large`);
      const token = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      if (!COMPACT.test(token))
        throw new MalformedMessageError('not a JWS compact serialization (three base64url parts)');
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch (err) {
        throw new MalformedMessageError(`JWS protected header: ${asError(err).message}`, { cause: err });
      }
      if (typeof header.alg !== 'string' || !ACCEPTED_ALGS.includes(header.alg)) {
        throw new UnsupportedAlgorithmError(
          String(header.alg),
          `JWS alg ${String(header.alg)} is not accepted (${ACCEPTED_ALGS.join(', ')})`,
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
      let payload: Uint8Array;
      try {
        ({ payload } = await compactVerify(token, leaf.publicKey, { algorithms: ACCEPTED_ALGS }));
      } catch (err) {
        throw joseToSecurityError(err);
      }
      verifyCertificatePath(leaf, certs.slice(1), from, at);
      return {
        payload,
        signer: {
          certificatePem: derToPem(leaf.raw),
          subject: leaf.subject,
          serialNumber: normalizeSerial(leaf.serialNumber),
        },
      };
    },
  };
}

function joseToSecurityError(err: unknown): SecurityError {
  if (err instanceof SecurityError) return err;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new BadSignatureError('the JWS signature does not verify with the x5c certificate', { cause: err });
  }
  if (err instanceof joseErrors.JWSInvalid) return new MalformedMessageError(`JWS: ${err.message}`, { cause: err });
  // A key that does not fit the alg (an Ed25519 certificate under ES256, say) proves nothing.
  return new BadSignatureError(`JWS signature cannot be checked: ${asError(err).message}`, { cause: err });
}

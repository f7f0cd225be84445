/** Key-type checks shared by the CA, the signer and the verifier. Internal: not exported from index.ts. */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { IdentityInvalidError } from './identity-errors';

/** Throws IdentityInvalidError unless `key` is a P-256 private key whose public half is in `cert`. */
export function assertP256KeyPair(cert: X509Certificate, key: KeyObject, what: string): void {
  if (
    key.type !== 'private' ||
    key.asymmetricKeyType !== 'ec' ||
    key.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new IdentityInvalidError(`the ${what} private key is not an ECDSA P-256 private key`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new IdentityInvalidError(
      `the ${what} private key does not belong to certificate ${cert.subject.replace(/\n/g, ', ')}`,
    );
  }
}

/** True for an EC public key on P-256, the only curve whose order the low-S check knows. */
export function isP256PublicKey(key: KeyObject): boolean {
  return (
    key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  );
}

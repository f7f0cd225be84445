/**
 * Identity: certificate authorities, signing identities, Fabric MSP folders and the verifier that
 * checks other organisations' identities. Everything is ECDSA P-256 / SHA-256, as in Fabric.
 */
export type { SigningIdentity } from './signing-identity';
export {
  createCertificateAuthority,
  loadCertificateAuthority,
  type CertificateAuthority,
  type CreateCertificateAuthorityOptions,
  type IssueOptions,
  type IssuedCertificate,
  type NodeOU,
} from './certificate-authority';
export {
  createSigningIdentity,
  signEndorsedTransactionAsync,
  verifySignature,
  verifySignatureAsync,
  type SigningIdentityOptions,
} from './signer';
export { writeMspFolder, writeVerifyingMspFolder, loadSigningIdentity, type MspFolderContents } from './msp-folder';
export { createMspVerifier, type MspVerifier, type TrustedMsp, type ValidatedIdentity } from './msp-verifier';
export { IdentityInvalidError, IdentityNotFoundError, IdentityValidationError } from './identity-errors';

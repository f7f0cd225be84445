import { GncError } from '../../node/src/errors';

/**
 * Why a protected message was refused. Each reason has its own stable code so that the pipeline,
 * the metrics ("failures by reason") and the sender's rejection receipt can branch on it.
 */
export const SECURITY_ERROR_CODES = {
  /** The signature does not verify over the content (tampered bytes, wrong key). */
  badSignature: 'GNC_SECURITY_BAD_SIGNATURE',
  /** The message carries no signature at all (e.g. a CMS SignedData without SignerInfo). */
  missingSignature: 'GNC_SECURITY_MISSING_SIGNATURE',
  /** The signer's certificate does not chain to any trust anchor of the partner. */
  untrustedCertificate: 'GNC_SECURITY_UNTRUSTED_CERTIFICATE',
  /** A certificate of the chain had expired at the time of checking. */
  certificateExpired: 'GNC_SECURITY_CERTIFICATE_EXPIRED',
  /** A certificate of the chain was not yet valid at the time of checking. */
  certificateNotYetValid: 'GNC_SECURITY_CERTIFICATE_NOT_YET_VALID',
  /** A certificate of the chain is on the partner's revocation list. */
  certificateRevoked: 'GNC_SECURITY_CERTIFICATE_REVOKED',
  /** The bytes are not a well-formed structure of the scheme (truncated, garbage, wrong type). */
  malformed: 'GNC_SECURITY_MALFORMED',
  /** An encrypted message could not be decrypted with this node's key. */
  decryptFailed: 'GNC_SECURITY_DECRYPT_FAILED',
  /** The agreement requires encryption and the message arrived in clear. */
  notEncrypted: 'GNC_SECURITY_NOT_ENCRYPTED',
  /** Well formed, but uses an algorithm this node does not implement or refuses (RC2, MD5, ...). */
  unsupportedAlgorithm: 'GNC_SECURITY_UNSUPPORTED_ALGORITHM',
} as const;

export type SecurityErrorCode = (typeof SECURITY_ERROR_CODES)[keyof typeof SECURITY_ERROR_CODES];

/**
 * Base class of every refusal raised by SecurityScheme.open() (and by seal() when the partner's
 * keys cannot be used). 400 for bytes that cannot be read, 401 when who sent it cannot be
 * established, 403 when the sender is known but barred (revoked).
 */
export class SecurityError extends GncError {
  declare readonly code: SecurityErrorCode;
  constructor(code: SecurityErrorCode, message: string, httpStatus: number, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, httpStatus });
  }
}

/** GNC_SECURITY_BAD_SIGNATURE (401). */
export class BadSignatureError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.badSignature, message, 401, options);
  }
}

/** GNC_SECURITY_MISSING_SIGNATURE (401). */
export class MissingSignatureError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.missingSignature, message, 401, options);
  }
}

/** GNC_SECURITY_UNTRUSTED_CERTIFICATE (401). */
export class UntrustedCertificateError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.untrustedCertificate, message, 401, options);
  }
}

/** GNC_SECURITY_CERTIFICATE_EXPIRED (401). */
export class CertificateExpiredError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.certificateExpired, message, 401, options);
  }
}

/** GNC_SECURITY_CERTIFICATE_NOT_YET_VALID (401). */
export class CertificateNotYetValidError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.certificateNotYetValid, message, 401, options);
  }
}

/** GNC_SECURITY_CERTIFICATE_REVOKED (403): the signer is identified, and barred. */
export class CertificateRevokedError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.certificateRevoked, message, 403, options);
  }
}

/** GNC_SECURITY_MALFORMED (400). */
export class MalformedMessageError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.malformed, message, 400, options);
  }
}

/** GNC_SECURITY_DECRYPT_FAILED (400). */
export class DecryptFailedError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.decryptFailed, message, 400, options);
  }
}

/** GNC_SECURITY_NOT_ENCRYPTED (400). */
export class NotEncryptedError extends SecurityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.notEncrypted, message, 400, options);
  }
}

/** GNC_SECURITY_UNSUPPORTED_ALGORITHM (400); `algorithm` names it (OID or JOSE name). */
export class UnsupportedAlgorithmError extends SecurityError {
  readonly algorithm: string;
  constructor(algorithm: string, message: string, options: { cause?: unknown } = {}) {
    super(SECURITY_ERROR_CODES.unsupportedAlgorithm, message, 400, options);
    this.algorithm = algorithm;
  }
}

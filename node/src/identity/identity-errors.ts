import { GncError } from '../errors';

/**
 * A file the node's own identity needs (MSP folder, certificate, private key) is missing.
 * `path` names what was looked for; the message says how to create it.
 */
export class IdentityNotFoundError extends GncError {
  readonly path: string;
  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super('GNC_IDENTITY_NOT_FOUND', message, { ...options, httpStatus: 500 });
    this.path = path;
  }
}

/**
 * Identity material exists but cannot be used: unparseable PEM, a key that is not P-256, a private
 * key that does not belong to the certificate, a CA certificate that is not a CA.
 */
export class IdentityInvalidError extends GncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_IDENTITY_INVALID', message, { ...options, httpStatus: 500 });
  }
}

/**
 * Someone else's identity (a message creator, a transaction submitter) was checked against the
 * known MSPs and refused. `reason` is the short machine-stable-ish explanation
 * ('unknown MSP X', 'not issued by a root CA of X', 'expired on ...', 'not yet valid ...').
 */
export class IdentityValidationError extends GncError {
  readonly mspId: string;
  readonly reason: string;
  constructor(mspId: string, reason: string, options: { cause?: unknown } = {}) {
    super('GNC_IDENTITY_REJECTED', `identity rejected for MSP ${mspId}: ${reason}`, { ...options, httpStatus: 403 });
    this.mspId = mspId;
    this.reason = reason;
  }
}

/**
 * Security schemes, chosen per partner by its agreement: the registry and the public types.
 * The core imports only this file.
 */
import { cmsScheme } from './cms';
import { jwsScheme } from './jws';
import { noneScheme } from './none';
import type { SecuritySchemeFactory } from './security-scheme';
import { loadOnFirstUse } from '../load-on-first-use';

/** Every scheme the node offers, by the name an agreement uses. */
export const securitySchemes: Readonly<Record<string, SecuritySchemeFactory>> = Object.freeze({
  cms: cmsScheme,
  jws: jwsScheme,
  none: noneScheme,
  // Loaded when an agreement first names it: it brings xml-crypto and an XML DOM.
  xmldsig: loadOnFirstUse(
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see loadOnFirstUse
    () => (require('./xmldsig/xmldsig-scheme') as typeof import('./xmldsig/xmldsig-scheme')).xmldsigScheme,
  ),
});

export type { LocalKeys, OpenedMessage, PartnerKeys, SecurityScheme, SecuritySchemeFactory } from './security-scheme';
export {
  BadSignatureError,
  CertificateExpiredError,
  CertificateNotYetValidError,
  CertificateRevokedError,
  DecryptFailedError,
  MalformedMessageError,
  MissingSignatureError,
  NotEncryptedError,
  SECURITY_ERROR_CODES,
  SecurityError,
  UnsupportedAlgorithmError,
  UntrustedCertificateError,
  type SecurityErrorCode,
} from './errors';
export { cmsScheme, jwsScheme, noneScheme };

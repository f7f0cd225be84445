import type { Context } from 'fabric-contract-api';
import { forbidden } from './contract-error';

export const ROLES = ['single-window', 'officer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Every role may read public records and history. */
export const READ_ROLES: readonly Role[] = ROLES;

/** Who is calling, as the chaincode decides it: the MSP of the certificate and its 'role' attribute. */
export interface Caller {
  mspId: string;
  role: Role;
  /** x509::<subject>::<issuer>, as ClientIdentity.getID() gives it. */
  id: string;
}

/**
 * Identifies the caller and checks the role. A certificate without a 'role' attribute, or
 * with a role outside ROLES, is refused on every transaction, reads included.
 */
export function authorize(ctx: Context, allowed: readonly Role[], action: string): Caller {
  const identity = ctx.clientIdentity;
  const mspId = identity.getMSPID();
  const role = identity.getAttributeValue('role');
  if (role === null || role === '') {
    throw forbidden(`caller of ${mspId} has no 'role' attribute; ${action} is refused`);
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    throw forbidden(`role '${role}' of ${mspId} is not a known role; ${action} is refused`);
  }
  if (!allowed.includes(role as Role)) {
    throw forbidden(`role '${role}' may not ${action}; it needs ${allowed.map((r) => `'${r}'`).join(' or ')}`);
  }
  return { mspId, role: role as Role, id: identity.getID() };
}

/** Only callers of the owning administration (MSP) may change a record. */
export function requireOwner(caller: Caller, ownerMsp: string, what: string, action: string): void {
  if (caller.mspId !== ownerMsp) {
    throw forbidden(`${what} belongs to ${ownerMsp}; a caller of ${caller.mspId} may not ${action} it`);
  }
}

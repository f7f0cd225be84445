import { invalidTransition } from './contract-error';

/**
 * Refuses a transition outside the lifecycle, naming the current state and where the action is
 * allowed, e.g. 'declaration DEC-1 is RELEASED; Amend is allowed only in LODGED, LANE_ASSIGNED'.
 */
export function requireState<S extends string>(what: string, current: S, allowed: readonly S[], action: string): void {
  if (!allowed.includes(current)) {
    throw invalidTransition(`${what} is ${current}; ${action} is allowed only in ${allowed.join(', ')}`);
  }
}

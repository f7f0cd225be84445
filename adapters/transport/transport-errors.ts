import { GncError } from '../../node/src/errors';

/**
 * Codes of {@link TransportError}; stable, catalogued in docs/errors.md. The outbox retries
 * only errors with `transient: true`; the others go to the dead-letter queue at once.
 */
export const TransportErrorCode = {
  /** Connection refused, lost or reset: the partner may be down; retry later. */
  UNREACHABLE: 'GNC_TRANSPORT_UNREACHABLE',
  /** The call's deadline passed before the answer came (the message may have arrived: receivers dedupe). */
  TIMEOUT: 'GNC_TRANSPORT_TIMEOUT',
  /** The caller's AbortSignal fired. */
  ABORTED: 'GNC_TRANSPORT_ABORTED',
  /** The transport was stopped (or not started) while the call was pending. */
  STOPPED: 'GNC_TRANSPORT_STOPPED',
  /** The remote did not prove the identity the agreement names (certificate, peer id, subject). */
  PEER_UNTRUSTED: 'GNC_TRANSPORT_PEER_UNTRUSTED',
  /** An inbound peer is not in any agreement (unknown certificate issuer or peer id). */
  PEER_UNKNOWN: 'GNC_TRANSPORT_PEER_UNKNOWN',
  /** The remote refused us at the transport level (it does not know or trust our identity). */
  PEER_REFUSED: 'GNC_TRANSPORT_PEER_REFUSED',
  /** The message (or the answer) is larger than the configured maximum. */
  MESSAGE_TOO_LARGE: 'GNC_TRANSPORT_MESSAGE_TOO_LARGE',
  /** The receiver's handler refused the message; `remoteCode` holds its code. */
  REMOTE_ERROR: 'GNC_TRANSPORT_REMOTE_ERROR',
  /** The remote broke the protocol (bad frame, bad status, unexpected answer). */
  PROTOCOL: 'GNC_TRANSPORT_PROTOCOL',
  /** The agreement's endpoint or peer id cannot be used, or the local identity is unusable. */
  BAD_CONFIGURATION: 'GNC_TRANSPORT_BAD_CONFIGURATION',
} as const;

export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Options of {@link TransportError}. */
export interface TransportErrorOptions {
  transient: boolean;
  cause?: unknown;
  partnerId?: string;
  /** For REMOTE_ERROR and PEER_REFUSED: the code the receiver answered with. */
  remoteCode?: string;
  /** The HTTP status the receiver answered with (http transport). */
  remoteStatus?: number;
}

/**
 * A send or receive that failed in the transport or was refused by the receiver. `transient`
 * says whether the same message may succeed later unchanged (retry with backoff) or never will
 * (dead letter).
 */
export class TransportError extends GncError {
  readonly transient: boolean;
  readonly partnerId: string | undefined;
  readonly remoteCode: string | undefined;
  readonly remoteStatus: number | undefined;

  constructor(code: TransportErrorCode, message: string, options: TransportErrorOptions) {
    super(code, message, {
      cause: options.cause,
      // Seen from our API (e.g. a synchronous send), a transient transport failure is a 503 and a
      // permanent one a 502: both are the partner's side, not the caller's.
      httpStatus: options.transient ? 503 : 502,
    });
    this.transient = options.transient;
    this.partnerId = options.partnerId;
    this.remoteCode = options.remoteCode;
    this.remoteStatus = options.remoteStatus;
  }
}

/** Narrows to TransportError with a given code (tests and the outbox branch on codes). */
export function isTransportError(value: unknown, code?: TransportErrorCode): value is TransportError {
  return value instanceof TransportError && (code === undefined || value.code === code);
}

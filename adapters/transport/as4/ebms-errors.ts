/**
 * ebMS 3 errors (core spec 6.7) this transport raises or reads, and how an Error signal a
 * partner answered becomes the TransportError the outbox branches on.
 */
import { GncError } from '../../../node/src/errors';
import { TransportError, TransportErrorCode } from '../transport-errors';

export interface EbmsErrorKind {
  code: string;
  shortDescription: string;
  category: 'Content' | 'Communication' | 'Unpackaging' | 'Processing';
}

export const EBMS = {
  VALUE_NOT_RECOGNIZED: { code: 'EBMS:0001', shortDescription: 'ValueNotRecognized', category: 'Content' },
  FEATURE_NOT_SUPPORTED: { code: 'EBMS:0002', shortDescription: 'FeatureNotSupported', category: 'Content' },
  VALUE_INCONSISTENT: { code: 'EBMS:0003', shortDescription: 'ValueInconsistent', category: 'Content' },
  OTHER: { code: 'EBMS:0004', shortDescription: 'Other', category: 'Content' },
  CONNECTION_FAILURE: { code: 'EBMS:0005', shortDescription: 'ConnectionFailure', category: 'Communication' },
  EMPTY_MPC: { code: 'EBMS:0006', shortDescription: 'EmptyMessagePartitionChannel', category: 'Communication' },
  MIME_INCONSISTENCY: { code: 'EBMS:0007', shortDescription: 'MimeInconsistency', category: 'Unpackaging' },
  INVALID_HEADER: { code: 'EBMS:0009', shortDescription: 'InvalidHeader', category: 'Unpackaging' },
  PMODE_MISMATCH: { code: 'EBMS:0010', shortDescription: 'ProcessingModeMismatch', category: 'Processing' },
  EXTERNAL_PAYLOAD: { code: 'EBMS:0011', shortDescription: 'ExternalPayloadError', category: 'Content' },
  FAILED_AUTHENTICATION: { code: 'EBMS:0101', shortDescription: 'FailedAuthentication', category: 'Processing' },
  POLICY_NONCOMPLIANCE: { code: 'EBMS:0103', shortDescription: 'PolicyNoncompliance', category: 'Processing' },
  MISSING_RECEIPT: { code: 'EBMS:0301', shortDescription: 'MissingReceipt', category: 'Communication' },
  INVALID_RECEIPT: { code: 'EBMS:0302', shortDescription: 'InvalidReceipt', category: 'Communication' },
} as const satisfies Record<string, EbmsErrorKind>;

/**
 * Raised while processing an inbound message; answered as an eb:Error signal with `httpStatus`.
 * `detail` goes into eb:ErrorDetail; for a refusal by the node (its GncError), it is
 * `<GNC code> (<status>): <message>` so a gnc sender recovers the code and whether to retry.
 */
export class EbmsFault extends GncError {
  constructor(
    readonly kind: EbmsErrorKind,
    message: string,
    options: { httpStatus?: number; cause?: unknown; detail?: string; severity?: 'failure' | 'warning' } = {},
  ) {
    super(`GNC_AS4_${kind.shortDescription.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`, message, {
      httpStatus: options.httpStatus ?? 400,
      cause: options.cause,
    });
    this.detail = options.detail ?? message;
    this.severity = options.severity ?? 'failure';
  }
  readonly detail: string;
  readonly severity: 'failure' | 'warning';
}

/** eb:ErrorDetail of a refusal by the node's handler or the transport: `CODE (status): message`. */
export function gncDetail(code: string, status: number, message: string): string {
  return `${code} (${status}): ${message}`;
}

const GNC_DETAIL = /^([A-Z][A-Z0-9_]*) \((\d{3})\): ([\s\S]*)$/;

/** An eb:Error as read from a signal. */
export interface EbmsErrorInfo {
  errorCode: string;
  severity: string;
  category?: string | undefined;
  shortDescription?: string | undefined;
  origin?: string | undefined;
  refToMessageInError?: string | undefined;
  description?: string | undefined;
  detail?: string | undefined;
}

/**
 * The TransportError for an Error signal answered with HTTP `status`.
 * - detail `GNC_... (nnn): ...` (a gnc node): PEER_UNKNOWN/UNTRUSTED -> PEER_REFUSED; MESSAGE_TOO_LARGE
 *   -> MESSAGE_TOO_LARGE; anything else REMOTE_ERROR with that code, transient when nnn >= 500;
 * - otherwise (any AS4 MSH) REMOTE_ERROR with the ebMS code as remoteCode, transient when the HTTP
 *   status is 5xx or the error is of category Communication (EBMS:0005, 0006, 0301 ... : the
 *   message may go through later); Content / Processing / Unpackaging errors are permanent.
 */
export function transportErrorOf(error: EbmsErrorInfo, status: number, partnerId: string): TransportError {
  const gnc = GNC_DETAIL.exec(error.detail?.trim() ?? '');
  const description = error.description ?? error.shortDescription ?? error.errorCode;
  if (gnc) {
    const [, code = '', statusText = '500', message = ''] = gnc;
    const remoteStatus = Number(statusText);
    const common = { partnerId, remoteCode: code, remoteStatus };
    if (code === TransportErrorCode.PEER_UNKNOWN || code === TransportErrorCode.PEER_UNTRUSTED) {
      return new TransportError(TransportErrorCode.PEER_REFUSED, `${partnerId} refused us: ${message}`, {
        ...common,
        transient: false,
      });
    }
    if (code === TransportErrorCode.MESSAGE_TOO_LARGE) {
      return new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `${partnerId}: ${message}`, {
        ...common,
        transient: false,
      });
    }
    return new TransportError(
      TransportErrorCode.REMOTE_ERROR,
      `${partnerId} answered ${code} (${error.errorCode}): ${message}`,
      { ...common, transient: remoteStatus >= 500 || remoteStatus === 408 || remoteStatus === 429 },
    );
  }
  const transient = status >= 500 || error.category === 'Communication';
  return new TransportError(
    TransportErrorCode.REMOTE_ERROR,
    `${partnerId} answered ebMS error ${error.errorCode} ${error.shortDescription ?? ''}: ${error.detail ?? description}`,
    { partnerId, remoteCode: error.errorCode, remoteStatus: status, transient },
  );
}

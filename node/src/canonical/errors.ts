import { GncError } from '../errors.js';

/**
 * Bytes or an object that are not a valid gnc.v1 message of the expected type: truncated or
 * garbage protobuf, a field of the wrong type, an int64 instant outside the safe range.
 * Raised by every helper in node/src/canonical/; the protobufjs error, if any, is the `cause`.
 */
export class FormatInvalidError extends GncError {
  /** Fully qualified protobuf type that was expected, e.g. `gnc.v1.Envelope`. */
  readonly messageType: string;

  constructor(messageType: string, message: string, options: { cause?: unknown } = {}) {
    super('GNC_FORMAT_INVALID', `${messageType}: ${message}`, { ...options, httpStatus: 400 });
    this.messageType = messageType;
  }
}

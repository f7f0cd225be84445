/**
 * The wire format of '/gnc/exchange/1.0.0'. Every stream carries exactly one request frame from
 * the dialer and one answer frame back, each an unsigned-varint length prefix (it-length-prefixed)
 * followed by one type byte and the body:
 *
 * | type | frame          | body                                                  |
 * |------|----------------|-------------------------------------------------------|
 * | 0x01 | HELLO          | UTF-8 JSON `{ "version": 1, "certificates": [pem…] }`  |
 * | 0x02 | MESSAGE        | the opaque message bytes                              |
 * | 0x03 | BATCH          | a batch frame: an encoded gnc.v1.MessageBatch          |
 * | 0x11 | HELLO_ACCEPTED | UTF-8 JSON `{ "version": 1, "certificates": [pem…] }`  |
 * | 0x12 | ANSWER         | the handler's answer bytes (a receipt)                |
 * | 0x1f | ERROR          | UTF-8 JSON `{ "code", "message", "transient" }`        |
 *
 * The first stream of a connection in each direction is a HELLO: the dialer presents its
 * certificate chain and the listener answers with its own; MESSAGE and BATCH streams are only
 * served on a connection whose dialer has completed one. Both are answered by ANSWER (a receipt,
 * or for BATCH a gnc.v1.ReceiptBatch) or ERROR.
 */
export const EXCHANGE_PROTOCOL = '/gnc/exchange/1.0.0';

export const FrameType = {
  HELLO: 0x01,
  MESSAGE: 0x02,
  BATCH: 0x03,
  HELLO_ACCEPTED: 0x11,
  ANSWER: 0x12,
  ERROR: 0x1f,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Room for the type byte and a certificate chain on top of the largest message. */
export const FRAME_OVERHEAD_BYTES = 64 * 1024;

export interface Frame {
  type: number;
  body: Uint8Array;
}

/** Body of HELLO and HELLO_ACCEPTED. */
export interface HelloBody {
  version: 1;
  /** PEM certificates, leaf first. */
  certificates: string[];
}

/** Body of ERROR. */
export interface ErrorFrameBody {
  code: string;
  message: string;
  transient: boolean;
}

export function encodeFrame(type: FrameType, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.byteLength + 1);
  frame[0] = type;
  frame.set(body, 1);
  return frame;
}

export function encodeJsonFrame(type: FrameType, body: HelloBody | ErrorFrameBody): Uint8Array {
  return encodeFrame(type, Buffer.from(JSON.stringify(body), 'utf8'));
}

/** Splits a frame (without its length prefix); the body is a copy, safe to keep. */
export function decodeFrame(data: Uint8Array): Frame {
  if (data.byteLength < 1) throw new Error('empty frame');
  return { type: data[0] ?? 0, body: data.slice(1) };
}

/** Parses a HELLO / HELLO_ACCEPTED body; throws on anything else. */
export function parseHello(body: Uint8Array): HelloBody {
  const value = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<HelloBody>;
  if (
    value.version !== 1 ||
    !Array.isArray(value.certificates) ||
    value.certificates.length === 0 ||
    value.certificates.length > 8 ||
    !value.certificates.every((pem) => typeof pem === 'string')
  ) {
    throw new Error('malformed hello: expected { version: 1, certificates: [1..8 PEM strings] }');
  }
  return { version: 1, certificates: value.certificates };
}

/** Parses an ERROR body; unknown shapes become a generic protocol error rather than a throw. */
export function parseErrorBody(body: Uint8Array): ErrorFrameBody {
  try {
    const value = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<ErrorFrameBody>;
    return {
      code: typeof value.code === 'string' ? value.code : 'GNC_TRANSPORT_PROTOCOL',
      message: typeof value.message === 'string' ? value.message : 'error frame without a message',
      transient: value.transient === true,
    };
  } catch {
    return { code: 'GNC_TRANSPORT_PROTOCOL', message: 'unreadable error frame', transient: false };
  }
}

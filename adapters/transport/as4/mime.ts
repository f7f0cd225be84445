/**
 * MIME multipart/related (RFC 2387) as AS4 uses it: the SOAP envelope is the root part, payloads
 * and (in our receipts) the handler's answer are further parts named by Content-ID. Parts are
 * sent with `Content-Transfer-Encoding: binary`; base64 and quoted-printable are not decoded on
 * receipt (refused), 7bit/8bit/binary are taken as they are.
 */
import { randomBytes } from 'node:crypto';
import { GncError } from '../../../node/src/errors';

export interface MimePart {
  /** Without the angle brackets. */
  contentId: string;
  contentType: string;
  body: Uint8Array;
}

/** GNC_AS4_MIME_INVALID (400): the HTTP body is not the multipart/related message it claims to be. */
export class MimeError extends GncError {
  constructor(message: string) {
    super('GNC_AS4_MIME_INVALID', message, { httpStatus: 400 });
  }
}

export const SOAP12_CONTENT_TYPE = 'application/soap+xml';

/** Builds a multipart/related body whose first part (the root) is the SOAP envelope. */
export function buildMultipart(parts: readonly MimePart[]): { contentType: string; body: Buffer } {
  const root = parts[0];
  if (!root) throw new Error('a multipart message needs a root part');
  let boundary = '';
  // A boundary must not occur in any part; with 24 random bytes a clash is all but impossible, but
  // payloads are arbitrary binary, so it is checked.
  do boundary = `MIMEBoundary_${randomBytes(24).toString('hex')}`;
  while (parts.some((part) => Buffer.from(part.body).includes(`--${boundary}`)));
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: binary\r\n` +
          `Content-ID: <${part.contentId}>\r\n\r\n`,
        'latin1',
      ),
      Buffer.from(part.body),
      Buffer.from('\r\n', 'latin1'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  const contentType =
    `multipart/related; boundary="${boundary}"; type="${SOAP12_CONTENT_TYPE}"; ` +
    `start="<${root.contentId}>"; start-info="${SOAP12_CONTENT_TYPE}"`;
  return { contentType, body: Buffer.concat(chunks) };
}

/** A parsed Content-Type: lower-cased media type and its parameters (names lower-cased, values unquoted). */
export function parseContentType(value: string): { mediaType: string; params: Record<string, string> } {
  const [type = '', ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const name = item.slice(0, eq).trim().toLowerCase();
    let val = item.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[name] = val;
  }
  return { mediaType: type.trim().toLowerCase(), params };
}

function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? '';
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/**
 * Splits a multipart/related body into parts, root first (the `start` part, or the first one).
 * Refuses a body without the closing delimiter (truncated), parts without a Content-ID (other
 * than the root), duplicate Content-IDs and encoded parts.
 */
export function parseMultipart(contentType: string, body: Buffer): MimePart[] {
  const { mediaType, params } = parseContentType(contentType);
  if (mediaType !== 'multipart/related') throw new MimeError(`expected multipart/related, got ${mediaType}`);
  const boundary = params.boundary;
  if (!boundary || boundary.length > 200) throw new MimeError('multipart/related without a usable boundary');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: MimePart[] = [];
  let index = body.indexOf(delimiter);
  if (index < 0) throw new MimeError('no MIME boundary in the body');
  let closed = false;
  while (index >= 0) {
    let start = index + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) {
      closed = true;
      break;
    }
    // Skip transport padding and the line break after the delimiter.
    while (body[start] === 0x20 || body[start] === 0x09) start++;
    if (body[start] === 0x0d) start++;
    if (body[start] === 0x0a) start++;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), start);
    if (next < 0) throw new MimeError('the multipart body is truncated (no closing boundary)');
    parts.push(parsePart(body.subarray(start, next), parts.length));
    index = next + 2;
  }
  if (!closed) throw new MimeError('the multipart body is truncated (no closing boundary)');
  if (parts.length === 0) throw new MimeError('the multipart body has no part');
  const seen = new Set<string>();
  for (const part of parts) {
    if (part.contentId === '') continue;
    if (seen.has(part.contentId)) throw new MimeError(`Content-ID <${part.contentId}> appears twice`);
    seen.add(part.contentId);
  }
  const start = params.start?.replace(/^<|>$/g, '');
  const rootIndex = start ? parts.findIndex((part) => part.contentId === start) : 0;
  if (rootIndex < 0) throw new MimeError(`the start part <${start ?? ''}> is missing`);
  const [root] = parts.splice(rootIndex, 1);
  return [root as MimePart, ...parts];
}

function parsePart(raw: Buffer, position: number): MimePart {
  const end = raw.indexOf('\r\n\r\n');
  const headerText = end < 0 ? raw.toString('latin1') : raw.subarray(0, end).toString('latin1');
  const body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const headers: Record<string, string> = {};
  // Unfold continuation lines, then split "Name: value".
  for (const line of headerText.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] ?? 'binary').toLowerCase();
  if (!['binary', '8bit', '7bit'].includes(encoding)) {
    throw new MimeError(`part ${position + 1}: Content-Transfer-Encoding ${encoding} is not supported`);
  }
  const contentId = (headers['content-id'] ?? '').replace(/^<|>$/g, '');
  return { contentId, contentType: headers['content-type'] ?? 'application/octet-stream', body: new Uint8Array(body) };
}

/**
 * The file format of the filedrop transport: every message and every receipt is a signed frame,
 * so the receiver knows which partner wrote a file (a shared folder authenticates no one) and the
 * sender knows the receipt is its partner's and answers that very file.
 *
 *     GNCFD/1 LF
 *     <header: one line of JSON> LF
 *     <signature: base64 over "GNCFD/1\n" + header line + "\n"> LF
 *     <payload bytes (payloadLength of them)>
 *
 * The header names the payload's length and SHA-256 (a truncated or altered file is refused), the
 * signer's certificate chain (leaf first, DER base64) and, for a receipt, the name and SHA-256 of
 * the message file it answers. Signature: ECDSA P-256 with SHA-256 (DER) or Ed25519, by the key.
 */
import { X509Certificate, createHash, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { GncError } from '../../../node/src/errors';
import { parsePemChain } from '../peer-certificates';

export const MAGIC = 'GNCFD/1';

/** GNC_FILEDROP_FILE_INVALID (400): not a complete, well-signed filedrop frame. */
export class DropFileError extends GncError {
  constructor(message: string) {
    super('GNC_FILEDROP_FILE_INVALID', message, { httpStatus: 400 });
  }
}

export interface DropHeader {
  kind: 'message' | 'receipt';
  /** The file name the frame was written under (a message) or answers (a receipt). */
  name: string;
  createdAt: string;
  payloadLength: number;
  payloadSha256: string;
  /** Signer chain, leaf first, DER base64. */
  chain: string[];
  /** Receipts: SHA-256 (base64) of the whole message file answered. */
  inReplyToSha256?: string;
}

export interface DropFrame {
  header: DropHeader;
  chain: X509Certificate[];
  payload: Buffer;
}

export interface Signer {
  certificatePem: string;
  privateKeyPem: string;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64');
}

function algorithmOf(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
}

/** Signs the bytes given with the signer's key (ECDSA/RSA with SHA-256, or EdDSA). */
export function signBytes(data: Uint8Array, signer: Signer): string {
  const key = createPrivateKey(signer.privateKeyPem);
  return sign(algorithmOf(key), data, key).toString('base64');
}

export function verifyBytes(data: Uint8Array, signature: string, certificate: X509Certificate): boolean {
  try {
    return verify(algorithmOf(certificate.publicKey), data, certificate.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function encodeFrame(
  fields: Omit<DropHeader, 'payloadLength' | 'payloadSha256' | 'chain'>,
  payload: Uint8Array,
  signer: Signer,
): Buffer {
  const header: DropHeader = {
    ...fields,
    payloadLength: payload.byteLength,
    payloadSha256: sha256(payload),
    chain: parsePemChain(signer.certificatePem).map((cert) => cert.raw.toString('base64')),
  };
  const signed = Buffer.from(`${MAGIC}\n${JSON.stringify(header)}\n`, 'utf8');
  return Buffer.concat([signed, Buffer.from(`${signBytes(signed, signer)}\n`, 'latin1'), payload]);
}

/** Parses and checks a frame: structure, length, payload digest, signature by the leaf of its chain. */
export function decodeFrame(file: Buffer, kind: DropHeader['kind']): DropFrame {
  const first = file.indexOf(0x0a);
  const second = first < 0 ? -1 : file.indexOf(0x0a, first + 1);
  const third = second < 0 ? -1 : file.indexOf(0x0a, second + 1);
  if (third < 0 || file.subarray(0, first).toString('latin1') !== MAGIC) {
    throw new DropFileError(`not a ${MAGIC} file (or truncated in its header)`);
  }
  let header: DropHeader;
  try {
    header = JSON.parse(file.subarray(first + 1, second).toString('utf8')) as DropHeader;
  } catch {
    throw new DropFileError('the header is not JSON');
  }
  if (
    header.kind !== kind ||
    typeof header.name !== 'string' ||
    !Number.isSafeInteger(header.payloadLength) ||
    typeof header.payloadSha256 !== 'string' ||
    !Array.isArray(header.chain) ||
    header.chain.length === 0
  ) {
    throw new DropFileError(`the header is not that of a ${kind}`);
  }
  const payload = file.subarray(third + 1);
  if (payload.length !== header.payloadLength) {
    throw new DropFileError(`the payload has ${payload.length} bytes, the header says ${header.payloadLength}`);
  }
  if (sha256(payload) !== header.payloadSha256) throw new DropFileError('the payload does not match its digest');
  let chain: X509Certificate[];
  try {
    chain = header.chain.map((der) => new X509Certificate(Buffer.from(der, 'base64')));
  } catch {
    throw new DropFileError('the signer chain is not X.509');
  }
  const signature = file.subarray(second + 1, third).toString('latin1');
  if (!verifyBytes(file.subarray(0, second + 1), signature, chain[0] as X509Certificate)) {
    throw new DropFileError('the signature does not verify with the signer certificate');
  }
  return { header, chain, payload };
}

/** The `.error.json` written next to a refused file: the typed error, signed by the receiver. */
export interface DropError {
  code: string;
  message: string;
  httpStatus: number;
  transient: boolean;
  /** The refused file's name and SHA-256 (of what was read). */
  file: string;
  fileSha256: string;
  at: string;
  /** Receiver's leaf certificate, DER base64. */
  signer: string;
  signature: string;
}

function errorSigningInput(e: Omit<DropError, 'signer' | 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify([e.code, e.message, e.httpStatus, e.transient, e.file, e.fileSha256, e.at]),
    'utf8',
  );
}

export function encodeError(e: Omit<DropError, 'signer' | 'signature'>, signer: Signer): Buffer {
  const [leaf] = parsePemChain(signer.certificatePem);
  const full: DropError = {
    code: e.code,
    message: e.message,
    httpStatus: e.httpStatus,
    transient: e.transient,
    file: e.file,
    fileSha256: e.fileSha256,
    at: e.at,
    signer: leaf?.raw.toString('base64') ?? '',
    signature: signBytes(errorSigningInput(e), signer),
  };
  return Buffer.from(`${JSON.stringify(full, null, 2)}\n`, 'utf8');
}

/** Parses an `.error.json` and checks its signature; returns it with the signer's certificate. */
export function decodeError(file: Buffer): { error: DropError; signer: X509Certificate } {
  let parsed: DropError;
  try {
    parsed = JSON.parse(file.toString('utf8')) as DropError;
  } catch {
    throw new DropFileError('the error file is not JSON');
  }
  if (typeof parsed.code !== 'string' || typeof parsed.signer !== 'string' || typeof parsed.signature !== 'string') {
    throw new DropFileError('the error file lacks its code or signature');
  }
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(Buffer.from(parsed.signer, 'base64'));
  } catch {
    throw new DropFileError('the error file signer is not X.509');
  }
  if (!verifyBytes(errorSigningInput(parsed), parsed.signature, signer)) {
    throw new DropFileError('the error file signature does not verify');
  }
  return { error: parsed, signer };
}

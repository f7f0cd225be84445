import { execFileSync } from 'node:child_process';
import { P256_N } from '../../../node/src/identity/der';

/** Encodes (r, s) as DER exactly as given: unlike the production encoder it does not lower S. */
export function encodeRawSignature(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): Buffer => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let bytes = Buffer.from(hex, 'hex');
    if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
    return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

/** The high-S twin (r, n - s) of a signature; equally valid for plain ECDSA. */
export function highSVariant(r: bigint, s: bigint): Uint8Array {
  return encodeRawSignature(r, s > P256_N / 2n ? s : P256_N - s);
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

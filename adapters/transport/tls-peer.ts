import { X509Certificate } from 'node:crypto';
import { isIP, type AddressInfo, type Server } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { asError } from '../../node/src/errors';
import { TransportError, TransportErrorCode } from './transport-errors';

/**
 * What the TLS-based transports (http, as4) share about the peer at the other end of a mutual
 * TLS connection: the chain it presented, and how a failed connection is classified.
 */

// TLS verification failures that mean "the server is not who the agreement says".
const UNTRUSTED_SERVER_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_GNC_SUBJECT_MISMATCH',
]);

// TLS alerts by which the server says it does not accept our certificate.
const REFUSED_BY_SERVER =
  /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|ACCESS_DENIED|CERTIFICATE_EXPIRED|UNSUPPORTED_CERTIFICATE)/;

/**
 * A TLS-level failure as a TransportError: the server's identity refused (permanent), our
 * certificate refused by the server (permanent), or anything else (transient: try again).
 * Returns undefined for an error that is not one of the first two, so callers can add their own
 * kinds before falling back to `unreachable`.
 */
export function classifyTlsFailure(error: unknown, partnerId: string): TransportError | undefined {
  if (error instanceof TransportError) return error;
  const err = asError(error);
  const code = (err as { code?: unknown }).code;
  const codeText = typeof code === 'string' ? code : '';
  if (UNTRUSTED_SERVER_CODES.has(codeText)) {
    return new TransportError(
      TransportErrorCode.PEER_UNTRUSTED,
      `the server of ${partnerId} did not prove the identity of its agreement: ${err.message}`,
      { transient: false, partnerId, cause: err },
    );
  }
  if (REFUSED_BY_SERVER.test(codeText)) {
    return new TransportError(TransportErrorCode.PEER_REFUSED, `${partnerId} refused our certificate: ${err.message}`, {
      transient: false,
      partnerId,
      cause: err,
      remoteCode: codeText,
    });
  }
  return undefined;
}

/** A connection that failed for no identity reason: transient. */
export function unreachable(error: unknown, partnerId: string): TransportError {
  const err = asError(error);
  return new TransportError(TransportErrorCode.UNREACHABLE, `cannot reach ${partnerId}: ${err.message}`, {
    transient: true,
    partnerId,
    cause: err,
  });
}

/** The chain the peer presented, leaf first, as OpenSSL linked it. */
export function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current?.raw && chain.length < 10) {
    chain.push(new X509Certificate(current.raw));
    const next: DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (!next || next === current || next.fingerprint256 === current.fingerprint256) break;
    current = next;
  }
  return chain;
}

/**
 * Starts a server listening on host:port (0: any free port) and resolves with the bound port; a
 * failure to listen is a BAD_CONFIGURATION TransportError (transient: the port may free up).
 */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new TransportError(
      TransportErrorCode.BAD_CONFIGURATION,
      `cannot listen on ${host}:${port}: ${asError(error).message}`,
      {
        transient: true,
        cause: error,
      },
    );
  });
  return (server.address() as AddressInfo).port;
}

/** A host as it goes into a URL (IPv6 addresses in brackets). */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

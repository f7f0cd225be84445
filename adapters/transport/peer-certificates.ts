import { X509Certificate } from 'node:crypto';
import type { TransportPeer } from './transport';

/** OIDs of the extended key usages a transport certificate must allow when it lists any. */
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Prefix of the subjectAltName URI that binds a certificate to a libp2p peer id (see tls-certificates.ts). */
export const PEER_ID_URI_PREFIX = 'libp2p:peer-id:';

const MAX_CHAIN_DEPTH = 8;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into certificates, in file order. Throws if one does not parse. */
export function parsePemChain(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
}

// Agreements hand the same anchor PEMs on every connection; parsing them once keeps a reconnect
// storm cheap. Bounded so a changing peers() list cannot grow it forever.
const anchorCache = new Map<string, X509Certificate[]>();
function anchorsOf(pems: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    let parsed = anchorCache.get(pem);
    if (!parsed) {
      try {
        parsed = parsePemChain(pem).filter((cert) => cert.ca);
      } catch {
        parsed = []; // An unreadable anchor anchors nothing; the agreement validator reports it.
      }
      if (anchorCache.size >= 256) anchorCache.clear();
      anchorCache.set(pem, parsed);
    }
    out.push(...parsed);
  }
  return out;
}

/** Why a certificate chain was not accepted, in words fit for a log line and a refusal message. */
export type ChainCheck = { ok: true } | { ok: false; reason: string };

function validAt(cert: X509Certificate, at: Date): boolean {
  return cert.validFromDate.getTime() <= at.getTime() && at.getTime() <= cert.validToDate.getTime();
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  // checkIssued compares names (and key identifiers); verify() checks the signature itself.
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

/**
 * Checks that `leaf` chains, through the presented `intermediates`, to one of `trustAnchorsPem`,
 * every certificate being valid at `at`; that the leaf is not a CA; and that its extended key
 * usage, if it has one, allows `purpose`. Revocation is the security scheme's job (it has the
 * CRLs); a transport identity is short-lived and replaced, not revoked, in this design.
 */
export function verifyCertificateChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  trustAnchorsPem: readonly string[],
  at: Date,
  purpose: typeof EKU_SERVER_AUTH | typeof EKU_CLIENT_AUTH,
): ChainCheck {
  if (leaf.ca) return { ok: false, reason: 'the certificate is a CA certificate, not an end-entity one' };
  const usages = leaf.keyUsage;
  if (usages !== undefined && usages.length > 0 && !usages.includes(purpose)) {
    return { ok: false, reason: `the certificate's extended key usage does not allow ${purpose}` };
  }
  const anchors = anchorsOf(trustAnchorsPem);
  if (anchors.length === 0) return { ok: false, reason: 'the agreement has no usable trust anchor' };
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    if (!validAt(current, at)) {
      return { ok: false, reason: `certificate ${oneLine(current.subject)} is not valid at ${at.toISOString()}` };
    }
    const anchor = anchors.find((candidate) => issuedBy(current, candidate));
    if (anchor) {
      return validAt(anchor, at)
        ? { ok: true }
        : { ok: false, reason: `trust anchor ${oneLine(anchor.subject)} is not valid at ${at.toISOString()}` };
    }
    const next = intermediates.find(
      (candidate) => candidate.ca && candidate !== current && issuedBy(current, candidate),
    );
    if (!next) break;
    current = next;
  }
  return { ok: false, reason: `certificate ${oneLine(leaf.subject)} does not chain to the partner's trust anchors` };
}

/** The subject CN, or undefined. */
export function commonNameOf(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

/** libp2p peer ids named by the certificate's subjectAltName URIs `libp2p:peer-id:<id>`. */
export function peerIdsNamedBy(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  // Node escapes unusual characters in quotes; peer ids are base58btc/base32 and never need it.
  const pattern = new RegExp(`(?:^|, )URI:${PEER_ID_URI_PREFIX}([A-Za-z0-9]+)(?=, |$)`, 'g');
  return [...san.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** Outcome of matching an inbound certificate to a partner of the agreements. */
export type PartnerMatch = { ok: true; partner: TransportPeer } | { ok: false; unknown: boolean; reason: string };

/**
 * Finds the one partner whose trust anchors the presented chain leads to and, when the agreement
 * names one, whose subject CN it carries. `unknown` is true when no agreement matches at all
 * (an unknown peer) and false when one names it but something did not hold. Two matching
 * partners are refused too: a message must never be attributed to a guess.
 */
export function matchPartner(
  chain: readonly X509Certificate[],
  peers: readonly TransportPeer[],
  at: Date,
  purpose: typeof EKU_SERVER_AUTH | typeof EKU_CLIENT_AUTH,
): PartnerMatch {
  const [leaf, ...intermediates] = chain;
  if (!leaf) return { ok: false, unknown: true, reason: 'the peer presented no certificate' };
  const cn = commonNameOf(leaf);
  const chained = peers.filter(
    (peer) => verifyCertificateChain(leaf, intermediates, peer.trustAnchorsPem, at, purpose).ok,
  );
  if (chained.length === 0) {
    return {
      ok: false,
      unknown: true,
      reason: `certificate ${oneLine(leaf.subject)} does not chain to the trust anchors of any partner`,
    };
  }
  const named = chained.filter((peer) => peer.subjectCommonName === undefined || peer.subjectCommonName === cn);
  if (named.length === 0) {
    return {
      ok: false,
      unknown: false,
      reason: `certificate CN '${cn ?? ''}' is not the subject the agreement names`,
    };
  }
  if (named.length > 1) {
    return {
      ok: false,
      unknown: false,
      reason: `certificate ${oneLine(leaf.subject)} matches several partners (${named.map((p) => p.partnerId).join(', ')}); name their subjects in the agreements`,
    };
  }
  return { ok: true, partner: named[0] as TransportPeer };
}

/**
 * Checks a certificate chain against one known partner (the side that chose whom to talk to):
 * chain to its anchors, its subject CN if the agreement names one. Returns the reason on failure.
 */
export function checkPartnerChain(
  chain: readonly X509Certificate[],
  partner: TransportPeer,
  at: Date,
  purpose: typeof EKU_SERVER_AUTH | typeof EKU_CLIENT_AUTH,
): ChainCheck {
  const [leaf, ...intermediates] = chain;
  if (!leaf) return { ok: false, reason: 'the peer presented no certificate' };
  const check = verifyCertificateChain(leaf, intermediates, partner.trustAnchorsPem, at, purpose);
  if (!check.ok) return check;
  if (partner.subjectCommonName !== undefined && commonNameOf(leaf) !== partner.subjectCommonName) {
    return {
      ok: false,
      reason: `certificate CN '${commonNameOf(leaf) ?? ''}' is not '${partner.subjectCommonName}' as the agreement names`,
    };
  }
  return { ok: true };
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ', ');
}

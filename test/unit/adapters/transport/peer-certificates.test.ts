import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, type CertificateAuthority } from '../../../../node/src/identity';
import {
  EKU_CLIENT_AUTH,
  checkPartnerChain,
  matchPartner,
  parsePemChain,
  verifyCertificateChain,
} from '../../../../adapters/transport/peer-certificates';
import { issueTransportCertificate } from '../../../../adapters/transport/tls-certificates';
import type { TransportPeer } from '../../../../adapters/transport/transport';

describe('peer-certificates', () => {
  let caA: CertificateAuthority;
  let caB: CertificateAuthority;
  let leafA: X509Certificate;
  const now = new Date();

  before(async () => {
    caA = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
    caB = await createCertificateAuthority({ mspId: 'CustomsBMSP', organization: 'Customs B' });
    leafA = new X509Certificate((await issueTransportCertificate(caA, { commonName: 'node.a' })).certificatePem);
  });

  const peer = (partnerId: string, ca: CertificateAuthority, extra: Partial<TransportPeer> = {}): TransportPeer => ({
    partnerId,
    endpoint: 'https://127.0.0.1:1',
    trustAnchorsPem: [ca.caCertificatePem],
    ...extra,
  });

  describe('parsePemChain', () => {
    it('reads every certificate of a bundle in order, and nothing from other text', () => {
      const chain = parsePemChain(`junk\n${leafA.toString()}\n${caA.caCertificatePem}`);
      assert.equal(chain.length, 2);
      assert.equal(chain[0]?.fingerprint256, leafA.fingerprint256);
      assert.deepEqual(parsePemChain('no certificate here'), []);
    });
  });

  describe('verifyCertificateChain', () => {
    it('accepts a certificate issued by the anchor', () => {
      assert.deepEqual(verifyCertificateChain(leafA, [], [caA.caCertificatePem], now, EKU_CLIENT_AUTH), { ok: true });
    });

    it('refuses a certificate from another CA', () => {
      const check = verifyCertificateChain(leafA, [], [caB.caCertificatePem], now, EKU_CLIENT_AUTH);
      assert.equal(check.ok, false);
      assert.match(check.ok ? '' : check.reason, /does not chain/);
    });

    it('refuses another CA presented as an intermediate that is not signed by the anchor', () => {
      const check = verifyCertificateChain(
        leafA,
        [new X509Certificate(caA.caCertificatePem)],
        [caB.caCertificatePem],
        now,
        EKU_CLIENT_AUTH,
      );
      assert.equal(check.ok, false);
    });

    it('refuses an expired certificate and one not yet valid', async () => {
      const expired = await issueTransportCertificate(caA, {
        commonName: 'old',
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      });
      const check = verifyCertificateChain(
        new X509Certificate(expired.certificatePem),
        [],
        [caA.caCertificatePem],
        now,
        EKU_CLIENT_AUTH,
      );
      assert.match(check.ok ? '' : check.reason, /not valid at/);
      const later = verifyCertificateChain(
        leafA,
        [],
        [caA.caCertificatePem],
        new Date(Date.now() + 400 * 86_400_000),
        EKU_CLIENT_AUTH,
      );
      assert.equal(later.ok, false);
    });

    it('refuses a CA certificate as the leaf, and anchors that are not CAs', () => {
      const caCert = new X509Certificate(caA.caCertificatePem);
      assert.match(
        (verifyCertificateChain(caCert, [], [caA.caCertificatePem], now, EKU_CLIENT_AUTH) as { reason: string }).reason,
        /CA certificate/,
      );
      assert.match(
        (verifyCertificateChain(leafA, [], [leafA.toString()], now, EKU_CLIENT_AUTH) as { reason: string }).reason,
        /no usable trust anchor/,
      );
    });
  });

  describe('matchPartner', () => {
    it('finds the partner whose anchors the certificate chains to', () => {
      const match = matchPartner([leafA], [peer('B', caB), peer('A', caA)], now, EKU_CLIENT_AUTH);
      assert.equal(match.ok && match.partner.partnerId, 'A');
    });

    it('calls a certificate of no partner unknown', () => {
      const match = matchPartner([leafA], [peer('B', caB)], now, EKU_CLIENT_AUTH);
      assert.equal(match.ok, false);
      assert.equal(!match.ok && match.unknown, true);
      assert.equal(matchPartner([], [peer('A', caA)], now, EKU_CLIENT_AUTH).ok, false);
    });

    it('refuses a certificate whose CN is not the one the agreement names', () => {
      const match = matchPartner([leafA], [peer('A', caA, { subjectCommonName: 'node.x' })], now, EKU_CLIENT_AUTH);
      assert.equal(match.ok, false);
      assert.equal(!match.ok && match.unknown, false);
    });

    it('refuses to guess between two partners of one CA, and picks by CN when named', () => {
      const twins = [peer('A1', caA), peer('A2', caA)];
      const ambiguous = matchPartner([leafA], twins, now, EKU_CLIENT_AUTH);
      assert.match(ambiguous.ok ? '' : ambiguous.reason, /several partners/);
      const named = matchPartner(
        [leafA],
        [peer('A1', caA, { subjectCommonName: 'node.other' }), peer('A2', caA, { subjectCommonName: 'node.a' })],
        now,
        EKU_CLIENT_AUTH,
      );
      assert.equal(named.ok && named.partner.partnerId, 'A2');
    });
  });

  describe('checkPartnerChain', () => {
    it('checks anchors and subject of one known partner', () => {
      assert.equal(checkPartnerChain([leafA], peer('A', caA), now, EKU_CLIENT_AUTH).ok, true);
      assert.equal(checkPartnerChain([leafA], peer('A', caB), now, EKU_CLIENT_AUTH).ok, false);
      assert.equal(
        checkPartnerChain([leafA], peer('A', caA, { subjectCommonName: 'node.a' }), now, EKU_CLIENT_AUTH).ok,
        true,
      );
      assert.equal(
        checkPartnerChain([leafA], peer('A', caA, { subjectCommonName: 'node.b' }), now, EKU_CLIENT_AUTH).ok,
        false,
      );
    });
  });
});

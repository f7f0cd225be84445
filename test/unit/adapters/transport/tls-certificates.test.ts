import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCertificateAuthority, type CertificateAuthority } from '../../../../node/src/identity';
import { EKU_CLIENT_AUTH, EKU_SERVER_AUTH, peerIdsNamedBy } from '../../../../adapters/transport/peer-certificates';
import { issueTransportCertificate, peerIdOfEd25519Key } from '../../../../adapters/transport/tls-certificates';

describe('tls-certificates', () => {
  let ca: CertificateAuthority;
  before(async () => {
    ca = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
  });

  describe('issueTransportCertificate', () => {
    it('issues a P-256 certificate for 127.0.0.1 and localhost, for both ends of mutual TLS', async () => {
      const issued = await issueTransportCertificate(ca, { commonName: 'node.a' });
      const cert = new X509Certificate(issued.certificatePem);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.ok(cert.checkIP('127.0.0.1'));
      assert.ok(cert.checkHost('localhost'));
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [EKU_SERVER_AUTH, EKU_CLIENT_AUTH].sort());
      assert.ok(cert.verify(new X509Certificate(ca.caCertificatePem).publicKey));
      assert.ok(cert.checkIssued(new X509Certificate(ca.caCertificatePem)));
      assert.equal(cert.ca, false);
      assert.match(cert.subject, /CN=node\.a/);
      assert.match(cert.subject, /O=Customs A/);
      assert.ok(cert.checkPrivateKey(createPrivateKey(issued.privateKeyPem)));
      assert.equal(issued.peerId, undefined);
      assert.deepEqual(peerIdsNamedBy(cert), []);
    });

    it('names the libp2p peer id of an Ed25519 key in a subjectAltName URI', async () => {
      const issued = await issueTransportCertificate(ca, { commonName: 'node.a', keyType: 'Ed25519' });
      const cert = new X509Certificate(issued.certificatePem);
      assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
      assert.match(issued.peerId ?? '', /^12D3KooW/);
      assert.deepEqual(peerIdsNamedBy(cert), [issued.peerId]);
      assert.match(cert.subjectAltName ?? '', new RegExp(`URI:libp2p:peer-id:${issued.peerId}`));
      assert.equal(peerIdOfEd25519Key(cert), issued.peerId);
      assert.ok(cert.verify(new X509Certificate(ca.caCertificatePem).publicKey));
    });

    it('takes other addresses and validity dates', async () => {
      const notAfter = new Date(Date.now() + 3_600_000);
      const issued = await issueTransportCertificate(ca, {
        commonName: 'node.a',
        ipAddresses: ['10.1.2.3', '::1'],
        dnsNames: ['gnc.customs-a.example'],
        notAfter,
      });
      const cert = new X509Certificate(issued.certificatePem);
      assert.ok(cert.checkIP('10.1.2.3'));
      assert.ok(cert.checkIP('::1'));
      assert.ok(cert.checkHost('gnc.customs-a.example'));
      assert.equal(cert.checkIP('127.0.0.1'), undefined);
      assert.equal(cert.validToDate.getTime(), Math.floor(notAfter.getTime() / 1000) * 1000);
    });

    it('refuses a bad IP address, an empty name and a CA key that is not P-256', async () => {
      await assert.rejects(issueTransportCertificate(ca, { commonName: 'x', ipAddresses: ['localhost'] }), /not an IP/);
      await assert.rejects(issueTransportCertificate(ca, { commonName: ' ' }), /commonName/);
      const ed = await issueTransportCertificate(ca, { commonName: 'x', keyType: 'Ed25519' });
      await assert.rejects(
        issueTransportCertificate(
          { caCertificatePem: ca.caCertificatePem, privateKeyPem: ed.privateKeyPem },
          { commonName: 'y' },
        ),
        /P-256/,
      );
    });
  });

  describe('peerIdOfEd25519Key', () => {
    it('refuses a key that is not Ed25519', async () => {
      const issued = await issueTransportCertificate(ca, { commonName: 'node.a' });
      assert.throws(() => peerIdOfEd25519Key(new X509Certificate(issued.certificatePem)), /Ed25519/);
    });
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientIdentity, type ChaincodeStub } from 'fabric-shim';
import {
  IdentityInvalidError,
  createCertificateAuthority,
  loadCertificateAuthority,
  type CertificateAuthority,
} from '../../../node/src/identity';
import { lowSCertificate, parseEcdsaSignature, P256_HALF_N } from '../../../node/src/identity/der';
import { hasOpenssl, highSVariant } from './helpers';

function der(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}

describe('CertificateAuthority', () => {
  let ca: CertificateAuthority;
  let dir: string;

  before(async () => {
    ca = await createCertificateAuthority({ mspId: 'CustomsNLMSP', organization: 'Customs NL' });
    dir = await mkdtemp(join(tmpdir(), 'gnc-identity-ca-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('createCertificateAuthority', () => {
    it('creates a self-signed P-256 CA certificate', () => {
      const cert = new X509Certificate(ca.caCertificatePem);
      assert.equal(cert.ca, true);
      assert.equal(cert.checkIssued(cert), true);
      assert.equal(cert.verify(cert.publicKey), true);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.match(cert.subject, /O=Customs NL/);
      assert.match(cert.subject, /CN=ca\.CustomsNLMSP/);
      assert.equal(cert.checkPrivateKey(createPrivateKey(ca.privateKeyPem)), true);
      assert.equal(ca.organization, 'Customs NL');
    });

    it('honours now and validDays', async () => {
      const now = new Date('2020-01-01T00:00:00Z');
      const old = await createCertificateAuthority({ mspId: 'X', organization: 'X', validDays: 10, now });
      const cert = new X509Certificate(old.caCertificatePem);
      assert.ok(cert.validToDate.getTime() < new Date('2020-01-12T00:00:00Z').getTime());
      assert.ok(cert.validFromDate.getTime() <= now.getTime());
    });

    it('produces certificates whose signatures are always low S', async () => {
      for (let i = 0; i < 20; i++) {
        const c = await createCertificateAuthority({ mspId: 'X', organization: 'X' });
        const raw = der(c.caCertificatePem);
        // lowSCertificate returns its input unchanged when the signature is already low S.
        assert.equal(lowSCertificate(raw), raw);
        const leaf = der((await c.issue({ commonName: 'u', nodeOU: 'client' })).certificatePem);
        assert.equal(lowSCertificate(leaf), leaf);
      }
    });
  });

  describe('issue', () => {
    it('issues a certificate chained to the CA with O, OU, CN and a matching key', async () => {
      const issued = await ca.issue({ commonName: 'officer1', nodeOU: 'client', role: 'officer' });
      const cert = new X509Certificate(issued.certificatePem);
      const root = new X509Certificate(ca.caCertificatePem);
      assert.equal(cert.checkIssued(root), true);
      assert.equal(cert.verify(root.publicKey), true);
      assert.equal(cert.ca, false);
      assert.equal(cert.subject, 'O=Customs NL\nOU=client\nCN=officer1');
      assert.equal(cert.checkPrivateKey(createPrivateKey(issued.privateKeyPem)), true);
      assert.match(issued.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    });

    it('writes the Fabric CA attribute extension that fabric-shim ClientIdentity reads', async () => {
      const issued = await ca.issue({
        commonName: 'officer1',
        nodeOU: 'client',
        role: 'officer',
        attrs: { country: 'NL' },
      });
      const stub = {
        getChannelID: () => 'gnc',
        getTxID: () => 'tx1',
        getCreator: () => ({ mspid: 'CustomsNLMSP', idBytes: Buffer.from(issued.certificatePem) }),
      };
      const identity = new ClientIdentity(stub as unknown as ChaincodeStub);
      assert.equal(identity.getMSPID(), 'CustomsNLMSP');
      assert.equal(identity.getAttributeValue('role'), 'officer');
      assert.equal(identity.getAttributeValue('country'), 'NL');
      assert.equal(identity.assertAttributeValue('role', 'officer'), true);
      assert.equal(identity.getAttributeValue('missing'), null);
      assert.equal(identity.getID(), 'x509::/O=Customs NL/OU=client/CN=officer1::/O=Customs NL/CN=ca.CustomsNLMSP');
    });

    it('omits the attribute extension when there are no attributes', async () => {
      const issued = await ca.issue({ commonName: 'peer0', nodeOU: 'peer' });
      const stub = {
        getChannelID: () => 'gnc',
        getTxID: () => 'tx1',
        getCreator: () => ({ mspid: 'CustomsNLMSP', idBytes: Buffer.from(issued.certificatePem) }),
      };
      assert.equal(new ClientIdentity(stub as unknown as ChaincodeStub).getAttributeValue('role'), null);
    });

    it('issues expired and not-yet-valid certificates on request', async () => {
      const expired = await ca.issue({
        commonName: 'old',
        nodeOU: 'client',
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2021-01-01T00:00:00Z'),
      });
      assert.equal(new X509Certificate(expired.certificatePem).validToDate.toISOString(), '2021-01-01T00:00:00.000Z');
      const future = await ca.issue({
        commonName: 'new',
        nodeOU: 'client',
        notBefore: new Date('2099-01-01T00:00:00Z'),
      });
      assert.equal(new X509Certificate(future.certificatePem).validFromDate.toISOString(), '2099-01-01T00:00:00.000Z');
      const onlyNotAfter = await ca.issue({
        commonName: 'x',
        nodeOU: 'client',
        notAfter: new Date('2021-01-01T00:00:00Z'),
      });
      assert.ok(new X509Certificate(onlyNotAfter.certificatePem).validFromDate < new Date('2021-01-01T00:00:00Z'));
    });

    it('rejects notAfter before notBefore and unknown node OUs', async () => {
      await assert.rejects(
        ca.issue({
          commonName: 'x',
          nodeOU: 'client',
          notBefore: new Date('2022-01-01'),
          notAfter: new Date('2021-01-01'),
        }),
        { code: 'GNC_INVALID_INPUT' },
      );
      await assert.rejects(ca.issue({ commonName: 'x', nodeOU: 'boss' as 'client' }), { code: 'GNC_INVALID_INPUT' });
      await assert.rejects(ca.issue({ commonName: '', nodeOU: 'client' }), { code: 'GNC_INVALID_INPUT' });
    });

    it('produces standard certificates according to openssl', async function () {
      if (!hasOpenssl()) this.skip();
      const issued = await ca.issue({ commonName: 'officer1', nodeOU: 'admin', role: 'officer' });
      await writeFile(join(dir, 'ca.pem'), ca.caCertificatePem);
      await writeFile(join(dir, 'leaf.pem'), issued.certificatePem);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')], {
        encoding: 'utf8',
      });
      assert.match(verified, /leaf\.pem: OK/);

      const caText = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-text'], {
        encoding: 'utf8',
      });
      assert.match(caText, /Signature Algorithm: ecdsa-with-SHA256/);
      assert.match(caText, /NIST CURVE: P-256/);
      assert.match(caText, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
      assert.match(caText, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
      assert.match(caText, /X509v3 Subject Key Identifier/);

      const leafText = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text'], {
        encoding: 'utf8',
      });
      assert.match(leafText, /Subject: O\s?=\s?Customs NL, OU\s?=\s?admin, CN\s?=\s?officer1/);
      assert.match(leafText, /CA:FALSE/);
      assert.match(leafText, /X509v3 Key Usage: critical\s+Digital Signature/);
      assert.match(leafText, /X509v3 Authority Key Identifier/);
      assert.match(leafText, /1\.2\.3\.4\.5\.6\.7\.8\.1:\s+\{"attrs":\{"role":"officer"\}\}/);
    });
  });

  describe('loadCertificateAuthority', () => {
    it('loads a CA that issues certificates chaining to the original root', async () => {
      const loaded = await loadCertificateAuthority(ca.caCertificatePem, ca.privateKeyPem);
      assert.equal(loaded.organization, 'Customs NL');
      assert.equal(loaded.caCertificatePem, ca.caCertificatePem);
      const issued = await loaded.issue({ commonName: 'peer1', nodeOU: 'peer' });
      const root = new X509Certificate(ca.caCertificatePem);
      const cert = new X509Certificate(issued.certificatePem);
      assert.equal(cert.checkIssued(root), true);
      assert.equal(cert.verify(root.publicKey), true);
    });

    it('rejects a key that does not belong to the CA certificate', async () => {
      const other = await createCertificateAuthority({ mspId: 'Y', organization: 'Y' });
      await assert.rejects(loadCertificateAuthority(ca.caCertificatePem, other.privateKeyPem), IdentityInvalidError);
    });

    it('rejects a certificate that is not a CA', async () => {
      const leaf = await ca.issue({ commonName: 'x', nodeOU: 'client' });
      await assert.rejects(loadCertificateAuthority(leaf.certificatePem, leaf.privateKeyPem), {
        code: 'GNC_IDENTITY_INVALID',
      });
    });

    it('rejects garbage', async () => {
      await assert.rejects(loadCertificateAuthority('nope', 'nope'), { code: 'GNC_IDENTITY_INVALID' });
    });
  });

  describe('lowSCertificate', () => {
    it('turns a high-S certificate signature into its low-S twin that still verifies', async () => {
      const issued = await ca.issue({ commonName: 'x', nodeOU: 'client' });
      const low = der(issued.certificatePem);
      // Rebuild the same certificate with the high-S signature by swapping the trailing BIT STRING.
      const sigStart = findSignature(low);
      const sig = parseEcdsaSignature(low.subarray(sigStart));
      assert.ok(sig && sig.s <= P256_HALF_N);
      const high = replaceSignature(low, sigStart, highSVariant(sig.r, sig.s));
      const root = new X509Certificate(ca.caCertificatePem);
      assert.equal(new X509Certificate(Buffer.from(high)).verify(root.publicKey), true);
      assert.deepEqual(Buffer.from(lowSCertificate(high)), Buffer.from(low));
    });
  });
});

/** Offset of the DER ECDSA signature inside the final BIT STRING of a certificate (test-only, short form sizes). */
function findSignature(cert: Uint8Array): number {
  // The signature is the last element; P-256 signatures are 70-72 bytes, so BIT STRING length < 128.
  for (let i = cert.length - 74; i < cert.length - 60; i++) {
    if (cert[i] === 0x03 && cert[i + 1] === cert.length - i - 2 && cert[i + 2] === 0) return i + 3;
  }
  throw new Error('signature not found');
}

function replaceSignature(cert: Uint8Array, sigStart: number, sig: Uint8Array): Uint8Array {
  const body = Buffer.concat([
    cert.subarray(4, sigStart - 3), // tbs + algorithm (outer SEQUENCE uses a 2-byte long-form length)
    Buffer.of(0x03, sig.length + 1, 0),
    sig,
  ]);
  assert.equal(cert[0], 0x30);
  assert.equal(cert[1], 0x82);
  return Buffer.concat([Buffer.of(0x30, 0x82, body.length >> 8, body.length & 0xff), body]);
}

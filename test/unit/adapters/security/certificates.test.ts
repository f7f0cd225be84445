import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import {
  factsOf,
  parseCarriedCertificate,
  pemCertificatesToDer,
  publicKeyOf,
  signerOf,
} from '../../../../adapters/security/certificates';
import { MalformedMessageError } from '../../../../adapters/security/errors';
import { createTestCa } from './pki';

describe('certificates', function () {
  this.timeout(30_000);
  let der: Buffer;
  let serial: string;

  before(async () => {
    const ca = await createTestCa('Certificates');
    const leaf = await ca.issue({ commonName: 'cache-leaf', kind: 'ec' });
    der = pemCertificatesToDer(leaf.certificatePem)[0]!;
    serial = leaf.serial;
  });

  describe('parseCarriedCertificate', () => {
    it('gives the same certificate object for the same DER, from any buffer', () => {
      const first = parseCarriedCertificate(der, 'test');
      const copy = Buffer.concat([Buffer.from('prefix'), der]).subarray(6);
      assert.equal(parseCarriedCertificate(copy, 'test'), first);
      assert.ok(first.raw.equals(der));
    });

    it('does not confuse a certificate that differs only inside (same length, same last bytes) with a cached one', () => {
      const original = parseCarriedCertificate(der, 'test');
      const at = der.indexOf('cache-leaf');
      assert.ok(at > 0);
      const altered = Buffer.from(der);
      altered.write('cache-lEaf', at, 'latin1');
      const other = parseCarriedCertificate(altered, 'test');
      assert.notEqual(other, original);
      assert.ok(other.raw.equals(altered));
      assert.match(other.subject, /cache-lEaf/);
      // And the original is still recognised for what it is.
      const again = parseCarriedCertificate(der, 'test');
      assert.ok(again.raw.equals(der));
      assert.match(again.subject, /CN=cache-leaf/);
    });

    it('answers bytes that are no certificate with MalformedMessageError', () => {
      assert.throws(() => parseCarriedCertificate(Buffer.from('not a certificate'), 'x5c[0]'), MalformedMessageError);
      const truncated = der.subarray(0, der.length - 1);
      assert.throws(() => parseCarriedCertificate(truncated, 'x5c[0]'), MalformedMessageError);
    });
  });

  describe('factsOf, publicKeyOf and signerOf', () => {
    it('read what the certificate states: validity, serial without leading zeros, name, key, PEM', () => {
      const cert = new X509Certificate(der);
      const facts = factsOf(cert);
      assert.equal(facts.notBefore, new Date(cert.validFrom).getTime());
      assert.equal(facts.notAfter, new Date(cert.validTo).getTime());
      assert.equal(facts.serial, serial);
      assert.equal(facts.name, cert.subject.replace(/\n/g, ', '));
      assert.equal(publicKeyOf(cert).asymmetricKeyType, 'ec');
      assert.equal(publicKeyOf(cert), publicKeyOf(cert), 'one KeyObject per certificate');
      assert.equal(factsOf(cert), facts, 'read once per certificate object');
      const signer = signerOf(cert);
      assert.deepEqual(pemCertificatesToDer(signer.certificatePem), [der]);
      assert.equal(signer.subject, cert.subject);
      assert.equal(signer.serialNumber, serial);
    });
  });
});

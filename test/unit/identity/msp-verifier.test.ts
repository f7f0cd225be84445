import assert from 'node:assert/strict';
import {
  IdentityValidationError,
  createCertificateAuthority,
  createMspVerifier,
  createSigningIdentity,
  type CertificateAuthority,
  type IssuedCertificate,
  type MspVerifier,
} from '../../../node/src/identity';
import { parseEcdsaSignature } from '../../../node/src/identity/der';
import { highSVariant, utf8 } from './helpers';

function rejection(fn: () => unknown): IdentityValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof IdentityValidationError, `expected IdentityValidationError, got ${String(err)}`);
    assert.equal(err.code, 'GNC_IDENTITY_REJECTED');
    return err;
  }
  assert.fail('expected a rejection');
}

describe('MspVerifier', () => {
  let nl: CertificateAuthority;
  let be: CertificateAuthority;
  let impostor: CertificateAuthority;
  let officer: IssuedCertificate;
  let verifier: MspVerifier;
  const now = new Date();

  before(async () => {
    nl = await createCertificateAuthority({ mspId: 'CustomsNLMSP', organization: 'Customs NL' });
    be = await createCertificateAuthority({ mspId: 'CustomsBEMSP', organization: 'Customs BE' });
    // Same subject as the NL CA, different key: catches checks that compare names only.
    impostor = await createCertificateAuthority({ mspId: 'CustomsNLMSP', organization: 'Customs NL' });
    officer = await nl.issue({ commonName: 'officer1', nodeOU: 'client', role: 'officer', attrs: { port: 'RTM' } });
    verifier = createMspVerifier([
      { mspId: 'CustomsNLMSP', rootCertificatesPem: [nl.caCertificatePem] },
      { mspId: 'CustomsBEMSP', rootCertificatesPem: [be.caCertificatePem] },
    ]);
  });

  describe('validateIdentity', () => {
    it('returns the parsed identity of a valid certificate', () => {
      const id = verifier.validateIdentity('CustomsNLMSP', officer.certificatePem, now);
      assert.equal(id.mspId, 'CustomsNLMSP');
      assert.equal(id.subject, 'O=Customs NL, OU=client, CN=officer1');
      assert.equal(id.issuer, 'O=Customs NL, CN=ca.CustomsNLMSP');
      assert.equal(id.commonName, 'officer1');
      assert.equal(id.nodeOU, 'client');
      assert.equal(id.role, 'officer');
      assert.deepEqual(id.attributes, { port: 'RTM', role: 'officer' });
      assert.ok(id.notAfter > now && id.notBefore <= now);
      assert.ok(Object.isFrozen(id));
    });

    it('returns undefined role when the certificate has no attributes', async () => {
      const peer = await nl.issue({ commonName: 'peer0', nodeOU: 'peer' });
      const id = verifier.validateIdentity('CustomsNLMSP', peer.certificatePem, now);
      assert.equal(id.role, undefined);
      assert.deepEqual(id.attributes, {});
      assert.equal(id.nodeOU, 'peer');
    });

    it('rejects an unknown MSP', () => {
      const err = rejection(() => verifier.validateIdentity('CustomsDEMSP', officer.certificatePem, now));
      assert.equal(err.reason, 'unknown MSP CustomsDEMSP');
      assert.equal(err.httpStatus, 403);
    });

    it('rejects a certificate of a CA with the same name but another key', async () => {
      const forged = await impostor.issue({ commonName: 'officer1', nodeOU: 'client', role: 'officer' });
      const err = rejection(() => verifier.validateIdentity('CustomsNLMSP', forged.certificatePem, now));
      assert.equal(err.reason, 'not issued by a root CA of CustomsNLMSP');
    });

    it('rejects a certificate presented under another MSP', () => {
      const err = rejection(() => verifier.validateIdentity('CustomsBEMSP', officer.certificatePem, now));
      assert.equal(err.reason, 'not issued by a root CA of CustomsBEMSP');
    });

    it('rejects expired and not-yet-valid certificates with those reasons', async () => {
      const expired = await nl.issue({
        commonName: 'old',
        nodeOU: 'client',
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2021-01-01T00:00:00Z'),
      });
      assert.equal(
        rejection(() => verifier.validateIdentity('CustomsNLMSP', expired.certificatePem, now)).reason,
        'expired on 2021-01-01T00:00:00.000Z',
      );
      const future = await nl.issue({
        commonName: 'new',
        nodeOU: 'client',
        notBefore: new Date('2099-01-01T00:00:00Z'),
      });
      assert.match(
        rejection(() => verifier.validateIdentity('CustomsNLMSP', future.certificatePem, now)).reason,
        /^not yet valid/,
      );
    });

    it('checks time on every call rather than caching the outcome', async () => {
      // The root must itself be valid at the instant checked, hence a CA dated back to 2019.
      const oldCa = await createCertificateAuthority({
        mspId: 'M',
        organization: 'M',
        now: new Date('2019-01-01T00:00:00Z'),
      });
      const v = createMspVerifier([{ mspId: 'M', rootCertificatesPem: [oldCa.caCertificatePem] }]);
      const expired = await oldCa.issue({
        commonName: 'old',
        nodeOU: 'client',
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2021-01-01T00:00:00Z'),
      });
      assert.match(
        rejection(() => v.validateIdentity('M', expired.certificatePem, now)).reason,
        /^expired on 2021-01-01/,
      );
      assert.equal(v.validateIdentity('M', expired.certificatePem, new Date('2020-06-01T00:00:00Z')).commonName, 'old');
      assert.match(
        rejection(() => v.validateIdentity('M', expired.certificatePem, new Date('2019-06-01T00:00:00Z'))).reason,
        /^not yet valid/,
      );
    });

    it('rejects identities once their root CA has expired', async () => {
      const oldRoot = await createCertificateAuthority({
        mspId: 'OldMSP',
        organization: 'Old',
        validDays: 10,
        now: new Date('2020-01-01T00:00:00Z'),
      });
      const leaf = await oldRoot.issue({ commonName: 'x', nodeOU: 'client', validDays: 3650 });
      const v = createMspVerifier([{ mspId: 'OldMSP', rootCertificatesPem: [oldRoot.caCertificatePem] }]);
      assert.match(
        rejection(() => v.validateIdentity('OldMSP', leaf.certificatePem, now)).reason,
        /^expired on 2020-01-1.* \(its root CA\)$/,
      );
    });

    it('rejects CA certificates and garbage', () => {
      assert.match(
        rejection(() => verifier.validateIdentity('CustomsNLMSP', nl.caCertificatePem, now)).reason,
        /is a CA certificate/,
      );
      assert.equal(
        rejection(() => verifier.validateIdentity('CustomsNLMSP', 'garbage', now)).reason,
        'certificate cannot be parsed',
      );
    });

    it('accepts any of several roots of one MSP', async () => {
      const v = createMspVerifier([
        { mspId: 'CustomsNLMSP', rootCertificatesPem: [impostor.caCertificatePem, nl.caCertificatePem] },
      ]);
      assert.equal(v.validateIdentity('CustomsNLMSP', officer.certificatePem, now).commonName, 'officer1');
      const other = await impostor.issue({ commonName: 'x', nodeOU: 'admin' });
      assert.equal(v.validateIdentity('CustomsNLMSP', other.certificatePem, now).nodeOU, 'admin');
    });

    it('serves repeated validations from the cache', () => {
      const first = verifier.validateIdentity('CustomsNLMSP', officer.certificatePem, now);
      const n = 100_000;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        assert.equal(verifier.validateIdentity('CustomsNLMSP', officer.certificatePem, now), first);
      }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // Generous bound (about 10 µs per call) so slow CI machines pass; parsing would cost far more.
      assert.ok(ms < n / 100, `100k cached validations took ${ms.toFixed(0)} ms`);
    });

    it('rejects a root that is not a CA', () => {
      assert.throws(() => createMspVerifier([{ mspId: 'X', rootCertificatesPem: [officer.certificatePem] }]), {
        code: 'GNC_INVALID_INPUT',
      });
    });
  });

  describe('verify', () => {
    const message = utf8('declaration 7');

    it('accepts a signature by a valid identity', () => {
      const signer = createSigningIdentity({ mspId: 'CustomsNLMSP', ...officer });
      assert.equal(verifier.verify('CustomsNLMSP', officer.certificatePem, message, signer.sign(message), now), true);
    });

    it('rejects a signature by a certificate from another CA', async () => {
      const forged = await impostor.issue({ commonName: 'officer1', nodeOU: 'client' });
      const signer = createSigningIdentity({ mspId: 'CustomsNLMSP', ...forged });
      assert.equal(verifier.verify('CustomsNLMSP', forged.certificatePem, message, signer.sign(message), now), false);
    });

    it('rejects high-S, wrong-message and expired-identity signatures', async () => {
      const signer = createSigningIdentity({ mspId: 'CustomsNLMSP', ...officer });
      const sig = signer.sign(message);
      const parsed = parseEcdsaSignature(sig);
      assert.ok(parsed);
      const pem = officer.certificatePem;
      assert.equal(verifier.verify('CustomsNLMSP', pem, message, highSVariant(parsed.r, parsed.s), now), false);
      assert.equal(verifier.verify('CustomsNLMSP', pem, utf8('other'), sig, now), false);
      assert.equal(verifier.verify('CustomsNLMSP', pem, message, sig, new Date('2200-01-01T00:00:00Z')), false);
      const expired = await nl.issue({
        commonName: 'old',
        nodeOU: 'client',
        notAfter: new Date('2021-01-01T00:00:00Z'),
      });
      const expiredSigner = createSigningIdentity({ mspId: 'CustomsNLMSP', ...expired });
      assert.equal(
        verifier.verify('CustomsNLMSP', expired.certificatePem, message, expiredSigner.sign(message), now),
        false,
      );
    });
  });
});

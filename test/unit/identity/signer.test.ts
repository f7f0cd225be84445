import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import {
  createCertificateAuthority,
  createSigningIdentity,
  signEndorsedTransactionAsync,
  verifySignature,
  verifySignatureAsync,
  type CertificateAuthority,
  type IssuedCertificate,
  type SigningIdentity,
} from '../../../node/src/identity';
import { endorserTransactionPayload } from '../../../node/src/fabric/endorser-transaction';
import { P256_HALF_N, parseEcdsaSignature } from '../../../node/src/identity/der';
import { encodeRawSignature, highSVariant, utf8 } from './helpers';

describe('Signer', () => {
  let ca: CertificateAuthority;
  let issued: IssuedCertificate;
  let signer: SigningIdentity;

  before(async () => {
    ca = await createCertificateAuthority({ mspId: 'CustomsNLMSP', organization: 'Customs NL' });
    issued = await ca.issue({ commonName: 'node1', nodeOU: 'peer' });
    signer = createSigningIdentity({ mspId: 'CustomsNLMSP', ...issued });
  });

  describe('createSigningIdentity', () => {
    it('exposes the MSP id and certificate as given', () => {
      assert.equal(signer.mspId, 'CustomsNLMSP');
      assert.equal(signer.certificatePem, issued.certificatePem);
    });

    it('rejects a private key that does not belong to the certificate', async () => {
      const other = await ca.issue({ commonName: 'node2', nodeOU: 'peer' });
      assert.throws(
        () =>
          createSigningIdentity({
            mspId: 'M',
            certificatePem: issued.certificatePem,
            privateKeyPem: other.privateKeyPem,
          }),
        { code: 'GNC_IDENTITY_INVALID' },
      );
    });

    it('rejects a key that is not P-256', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.throws(
        () => createSigningIdentity({ mspId: 'M', certificatePem: issued.certificatePem, privateKeyPem: pem }),
        {
          code: 'GNC_IDENTITY_INVALID',
          message: /not an ECDSA P-256 private key/,
        },
      );
    });

    it('rejects unparseable PEM', () => {
      assert.throws(() => createSigningIdentity({ mspId: 'M', certificatePem: 'x', privateKeyPem: 'y' }), {
        code: 'GNC_IDENTITY_INVALID',
      });
    });
  });

  describe('sign', () => {
    it('produces DER signatures that node:crypto verifies with the certificate key', () => {
      const message = utf8('declaration 42');
      const sig = signer.sign(message);
      const key = new X509Certificate(issued.certificatePem).publicKey;
      assert.equal(cryptoVerify('sha256', message, { key, dsaEncoding: 'der' }, sig), true);
      assert.equal(verifySignature(issued.certificatePem, message, sig), true);
    });

    it('always produces low-S signatures', () => {
      const message = utf8('same message every time');
      for (let i = 0; i < 200; i++) {
        const sig = parseEcdsaSignature(signer.sign(message));
        assert.ok(sig, 'signature must be strict DER');
        assert.ok(sig.s <= P256_HALF_N, `signature ${i} has high S`);
      }
    });
  });

  describe('signAsync and verifySignatureAsync (crypto worker)', () => {
    it('signs a batch of messages on the worker with low-S signatures each message verifies with', async () => {
      // Views into one buffer, as pooled Buffers are: each must be signed as just its own bytes.
      const pool = Buffer.from(Array.from({ length: 50 }, (_, i) => `message ${String(i).padStart(3, '0')}`).join(''));
      const messages = Array.from({ length: 50 }, (_, i) => pool.subarray(i * 11, i * 11 + 11));
      const signatures = await Promise.all(messages.map((m) => signer.signAsync(m)));
      const key = new X509Certificate(issued.certificatePem).publicKey;
      const checks = await Promise.all(
        messages.map((m, i) => verifySignatureAsync(issued.certificatePem, m, signatures[i] ?? new Uint8Array())),
      );
      assert.deepEqual(
        checks,
        messages.map(() => true),
      );
      messages.forEach((m, i) => {
        const sig = signatures[i] ?? new Uint8Array();
        assert.equal(cryptoVerify('sha256', m, { key, dsaEncoding: 'der' }, sig), true);
        assert.ok((parseEcdsaSignature(sig)?.s ?? P256_HALF_N + 1n) <= P256_HALF_N);
      });
      const swapped = await verifySignatureAsync(issued.certificatePem, messages[0] ?? pool, signatures[1] ?? pool);
      assert.equal(swapped, false);
    });
  });

  describe('signEndorsedTransactionAsync (crypto worker)', () => {
    const parts = {
      proposalResponsePayload: utf8('proposal response payload'),
      endorser: utf8('endorser identity'),
      channelHeader: utf8('channel header'),
      signatureHeader: utf8('signature header'),
      proposalPayloadForBlock: utf8('proposal payload'),
    };

    it('signs the endorsement with the endorser key and the payload carrying it with the creator key', async () => {
      const creatorCert = await ca.issue({ commonName: 'creator', nodeOU: 'client' });
      const creator = createSigningIdentity({ mspId: 'CustomsNLMSP', ...creatorCert });
      const signed = await signEndorsedTransactionAsync(signer, creator, parts);
      assert.ok(signed, 'the worker made both signatures');
      const endorsed = Buffer.concat([parts.proposalResponsePayload, parts.endorser]);
      assert.equal(verifySignature(issued.certificatePem, endorsed, signed.endorsementSignature), true);
      const payload = endorserTransactionPayload({ ...parts, endorsementSignature: signed.endorsementSignature });
      assert.equal(verifySignature(creatorCert.certificatePem, payload, signed.transactionSignature), true);
      assert.equal(verifySignature(issued.certificatePem, payload, signed.transactionSignature), false);
    });

    it('resolves undefined for an identity it holds no key of, so the caller signs itself', async () => {
      const foreign: SigningIdentity = Object.freeze({
        mspId: 'OtherMSP',
        certificatePem: issued.certificatePem,
        sign: (message: Uint8Array) => signer.sign(message),
        signAsync: (message: Uint8Array) => signer.signAsync(message),
      });
      assert.equal(await signEndorsedTransactionAsync(signer, foreign, parts), undefined);
      assert.equal(await signEndorsedTransactionAsync(foreign, signer, parts), undefined);
    });
  });

  describe('verifySignature', () => {
    const message = utf8('manifest');

    it('accepts a public KeyObject as well as a certificate PEM', () => {
      const sig = signer.sign(message);
      assert.equal(verifySignature(new X509Certificate(issued.certificatePem).publicKey, message, sig), true);
      assert.equal(verifySignature(createPublicKey(issued.privateKeyPem), message, sig), true);
    });

    it('rejects the high-S variant of a valid signature', () => {
      const sig = signer.sign(message);
      const parsed = parseEcdsaSignature(sig);
      assert.ok(parsed);
      const high = highSVariant(parsed.r, parsed.s);
      const key = new X509Certificate(issued.certificatePem).publicKey;
      // The twin is mathematically valid ECDSA, which is exactly why it must be refused explicitly.
      assert.equal(cryptoVerify('sha256', message, { key, dsaEncoding: 'der' }, high), true);
      assert.equal(verifySignature(issued.certificatePem, message, high), false);
    });

    it('rejects a signature over another message or by another key', async () => {
      const other = await ca.issue({ commonName: 'other', nodeOU: 'client' });
      const sig = signer.sign(message);
      assert.equal(verifySignature(issued.certificatePem, utf8('manifest!'), sig), false);
      assert.equal(verifySignature(other.certificatePem, message, sig), false);
    });

    it('returns false on malformed DER and garbage instead of throwing', () => {
      const sig = signer.sign(message);
      const parsed = parseEcdsaSignature(sig);
      assert.ok(parsed);
      const cases: Uint8Array[] = [
        new Uint8Array(0),
        Uint8Array.of(0x30),
        Uint8Array.of(0x30, 0x00),
        sig.subarray(0, sig.length - 1),
        Uint8Array.from([...sig, 0x00]),
        Uint8Array.from([0x30, 0x80, ...sig.subarray(2), 0x00, 0x00]), // BER indefinite length
        encodeRawSignature(parsed.r, 0n),
        encodeRawSignature(0n, parsed.s),
        Uint8Array.from({ length: 72 }, (_, i) => (i * 37) & 0xff),
        Uint8Array.from(sig.subarray(0, 4)), // truncated inside r
      ];
      for (const bad of cases) assert.equal(verifySignature(issued.certificatePem, message, bad), false);
      // A padded INTEGER (extra leading zero) is valid BER but not DER.
      const rHex = parsed.r.toString(16).padStart(64, '0');
      const padded = encodeRawSignature(parsed.r, parsed.s);
      const r = Buffer.from(rHex, 'hex');
      const rInt = (r[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0, 0), r]) : Buffer.concat([Buffer.of(0), r]);
      const rest = Buffer.from(padded.subarray(2 + 2 + (padded[3] ?? 0)));
      const body = Buffer.concat([Buffer.of(0x02, rInt.length), rInt, rest]);
      assert.equal(
        verifySignature(issued.certificatePem, message, Buffer.concat([Buffer.of(0x30, body.length), body])),
        false,
      );

      assert.equal(verifySignature('not a certificate', message, sig), false);
      assert.equal(verifySignature(issued.privateKeyPem, message, sig), false);
      assert.equal(verifySignature(null as unknown as string, message, sig), false);
      assert.equal(verifySignature(issued.certificatePem, null as unknown as Uint8Array, sig), false);
      assert.equal(verifySignature(issued.certificatePem, message, 'abc' as unknown as Uint8Array), false);
    });

    it('rejects keys that are not P-256', () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      void privateKey;
      assert.equal(verifySignature(publicKey, message, signer.sign(message)), false);
    });
  });
});

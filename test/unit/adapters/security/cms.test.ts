import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SecurityError } from '../../../../adapters/security/errors';
import { cmsScheme } from '../../../../adapters/security/cms';
import { securitySchemes } from '../../../../adapters/security';
import { GncError } from '../../../../node/src/errors';
import { runSecuritySuite } from '../../../compliance/security-suite';
import { schemeWorld, type SchemeWorld } from './fixtures';

runSecuritySuite('cms', {
  label: 'RSA-2048 signer',
  authenticates: true,
  create: () => schemeWorld(cmsScheme, {}, 'rsa'),
});
runSecuritySuite('cms', {
  label: 'ECDSA P-256 signer',
  authenticates: true,
  create: () => schemeWorld(cmsScheme, {}, 'ec'),
});
runSecuritySuite('cms', {
  label: 'RSA signer, AES-256-GCM + RSA-OAEP',
  authenticates: true,
  extraTamperCodes: ['GNC_SECURITY_DECRYPT_FAILED'],
  create: () => schemeWorld(cmsScheme, { encrypt: true }, 'rsa'),
});
runSecuritySuite('cms', {
  label: 'ECDSA signer, AES-256-CBC + RSA PKCS#1 v1.5',
  authenticates: true,
  extraTamperCodes: ['GNC_SECURITY_DECRYPT_FAILED'],
  create: () =>
    schemeWorld(cmsScheme, { encrypt: true, contentEncryption: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' }, 'ec', 'rsa'),
});

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GncError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const PAYLOAD = Buffer.from('{"messageId":"m-1","declaration":{"lrn":"SZX-EXP-2026-000417"}}\n'.repeat(20));

describe('cms security scheme', function () {
  this.timeout(120_000);
  let dir: string;
  const file = (name: string, content?: string | Uint8Array): string => {
    const p = path.join(dir, name);
    if (content !== undefined) writeFileSync(p, content);
    return p;
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gnc-cms-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['rsa', 'ec'] as const) {
    describe(`interop with openssl, ${kind === 'rsa' ? 'RSA-2048' : 'ECDSA P-256'} signer`, () => {
      let w: SchemeWorld;
      let wEnc: SchemeWorld;
      before(async () => {
        w = await schemeWorld(cmsScheme, {}, kind);
        wEnc = await schemeWorld(cmsScheme, { encrypt: true }, kind, 'rsa');
        file(`caA-${kind}.pem`, w.caA.certificatePem);
        file(`a-${kind}.pem`, w.senderId.certificatePem);
        file(`a-${kind}.key`, w.senderId.privateKeyPem);
        file(`payload.bin`, PAYLOAD);
      });

      it('openssl cms -verify and openssl smime -verify accept what we sign', async () => {
        const sealed = await w.sender.seal(PAYLOAD, w.receiverAsPartner);
        const signed = file(`ours-${kind}.der`, sealed);
        const ca = file(`caA-${kind}.pem`);
        assert.ok(
          openssl(['cms', '-verify', '-inform', 'DER', '-in', signed, '-CAfile', ca, '-binary']).equals(PAYLOAD),
        );
        assert.ok(
          openssl(['smime', '-verify', '-inform', 'DER', '-in', signed, '-CAfile', ca, '-binary']).equals(PAYLOAD),
        );
        // openssl reads our signed attributes: contentType, signingTime, messageDigest, SHA-256.
        const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', signed]).toString();
        for (const attr of ['contentType', 'signingTime', 'messageDigest', 'sha256'])
          assert.match(printed, new RegExp(attr));
      });

      for (const stream of [false, true]) {
        it(`we verify what openssl cms -sign produces${stream ? ' (streamed, BER indefinite lengths)' : ''}`, async () => {
          const out = openssl([
            'cms',
            '-sign',
            '-binary',
            '-nodetach',
            '-md',
            'sha256',
            '-in',
            file('payload.bin'),
            '-signer',
            file(`a-${kind}.pem`),
            '-inkey',
            file(`a-${kind}.key`),
            '-outform',
            'DER',
            ...(stream ? ['-stream'] : []),
          ]);
          if (stream) assert.equal(out[1], 0x80, 'openssl streamed with an indefinite length');
          const opened = await w.receiver.open(out, w.senderAsPartner);
          assert.ok(Buffer.from(opened.payload).equals(PAYLOAD));
          assert.equal(opened.signer.serialNumber, w.senderId.serial);
          assert.ok(opened.signedAt instanceof Date);
        });
      }

      it('refuses an openssl signature by an untrusted signer and a detached one', async () => {
        const signed = openssl([
          'cms',
          '-sign',
          '-binary',
          '-md',
          'sha256',
          '-in',
          file('payload.bin'),
          '-signer',
          file(`a-${kind}.pem`),
          '-inkey',
          file(`a-${kind}.key`),
          '-outform',
          'DER',
        ]);
        await rejects(w.receiver.open(signed, w.senderAsPartner), 'GNC_SECURITY_MALFORMED');
        const attached = openssl([
          'cms',
          '-sign',
          '-binary',
          '-nodetach',
          '-in',
          file('payload.bin'),
          '-signer',
          file(`a-${kind}.pem`),
          '-inkey',
          file(`a-${kind}.key`),
          '-outform',
          'DER',
        ]);
        await rejects(w.receiver.open(attached, w.receiverAsPartner), 'GNC_SECURITY_UNTRUSTED_CERTIFICATE');
      });

      it('openssl decrypts and verifies what we sign and encrypt (AES-256-GCM, RSA-OAEP)', async () => {
        const sealed = await wEnc.sender.seal(PAYLOAD, wEnc.receiverAsPartner);
        const enc = file(`ours-enc-${kind}.der`, sealed);
        const recip = file(`b-enc-${kind}.pem`, wEnc.receiverEncryption!.certificatePem);
        const key = file(`b-enc-${kind}.key`, wEnc.receiverEncryption!.privateKeyPem);
        const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', enc]).toString();
        assert.match(printed, /authEnvelopedData/);
        assert.match(printed, /aes-256-gcm/);
        const inner = openssl([
          'cms',
          '-decrypt',
          '-inform',
          'DER',
          '-in',
          enc,
          '-recip',
          recip,
          '-inkey',
          key,
          '-binary',
        ]);
        const innerFile = file(`ours-inner-${kind}.der`, inner);
        const ca = file(`caA-enc-${kind}.pem`, wEnc.caA.certificatePem);
        assert.ok(
          openssl(['cms', '-verify', '-inform', 'DER', '-in', innerFile, '-CAfile', ca, '-binary']).equals(PAYLOAD),
        );
      });

      it('openssl decrypts our AES-256-CBC EnvelopedData with PKCS#1 v1.5 key transport', async () => {
        const cbc = cmsScheme({
          encrypt: true,
          requireEncryption: false,
          contentEncryption: 'aes-256-cbc',
          keyTransport: 'rsa-pkcs1',
        })({
          keys: { certificatePem: wEnc.senderId.certificatePem, privateKeyPem: wEnc.senderId.privateKeyPem },
        });
        const enc = file(`ours-cbc-${kind}.der`, await cbc.seal(PAYLOAD, wEnc.receiverAsPartner));
        assert.match(openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', enc]).toString(), /aes-256-cbc/);
        const inner = openssl([
          'cms',
          '-decrypt',
          '-inform',
          'DER',
          '-in',
          enc,
          '-recip',
          file(`b-enc-${kind}.pem`),
          '-inkey',
          file(`b-enc-${kind}.key`),
          '-binary',
        ]);
        assert.ok(
          openssl([
            'cms',
            '-verify',
            '-inform',
            'DER',
            '-in',
            file(`inner-cbc-${kind}.der`, inner),
            '-CAfile',
            file(`caA-enc-${kind}.pem`),
            '-binary',
          ]).equals(PAYLOAD),
        );
      });

      for (const [cipher, keyopt] of [
        ['-aes-256-gcm', []],
        ['-aes-256-cbc', []],
        ['-aes-128-cbc', ['-keyopt', 'rsa_padding_mode:oaep']],
        ['-des3', []],
      ] as const) {
        it(`we decrypt what openssl cms -encrypt ${cipher} ${keyopt.join(' ')} produces`, async () => {
          const encCa = file(`caA-enc-${kind}.pem`, wEnc.caA.certificatePem);
          void encCa;
          const signed = openssl([
            'cms',
            '-sign',
            '-binary',
            '-nodetach',
            '-md',
            'sha256',
            '-in',
            file('payload.bin'),
            '-signer',
            file(`aenc-${kind}.pem`, wEnc.senderId.certificatePem),
            '-inkey',
            file(`aenc-${kind}.key`, wEnc.senderId.privateKeyPem),
            '-outform',
            'DER',
          ]);
          const enc = openssl(
            [
              'cms',
              '-encrypt',
              '-binary',
              cipher,
              '-outform',
              'DER',
              '-recip',
              file(`b-enc-${kind}.pem`, wEnc.receiverEncryption!.certificatePem),
              ...keyopt,
            ],
            signed,
          );
          const opened = await wEnc.receiver.open(enc, wEnc.senderAsPartner);
          assert.ok(Buffer.from(opened.payload).equals(PAYLOAD));
        });
      }
    });
  }

  describe('policy and errors', () => {
    let w: SchemeWorld;
    let wEnc: SchemeWorld;
    before(async () => {
      w = await schemeWorld(cmsScheme, {}, 'rsa');
      wEnc = await schemeWorld(cmsScheme, { encrypt: true }, 'rsa');
    });

    it('is registered as "cms"', () => {
      assert.equal(securitySchemes.cms, cmsScheme);
    });

    it('refuses bad options with every problem listed (GNC_CONFIG_INVALID)', () => {
      assert.throws(
        () => cmsScheme({ encrypt: 'yes', contentEncryption: 'rc4', colour: 'blue' }),
        (err: unknown) =>
          err instanceof GncError &&
          err.code === 'GNC_CONFIG_INVALID' &&
          /encrypt/.test(err.message) &&
          /contentEncryption/.test(err.message) &&
          /colour/.test(err.message),
      );
    });

    it('refuses a private key that does not belong to the certificate', () => {
      assert.throws(
        () =>
          cmsScheme({})({
            keys: { certificatePem: w.senderId.certificatePem, privateKeyPem: w.receiverId.privateKeyPem },
          }),
        /does not belong/,
      );
    });

    it('refuses a message in clear when the agreement requires encryption (NOT_ENCRYPTED)', async () => {
      const clear = await w.sender.seal(PAYLOAD, w.receiverAsPartner);
      const strict = cmsScheme({ requireEncryption: true })({
        keys: { certificatePem: w.receiverId.certificatePem, privateKeyPem: w.receiverId.privateKeyPem },
      });
      await rejects(strict.open(clear, w.senderAsPartner), 'GNC_SECURITY_NOT_ENCRYPTED');
    });

    it('cannot decrypt a message encrypted for another node (DECRYPT_FAILED)', async () => {
      const sealed = await wEnc.sender.seal(PAYLOAD, wEnc.receiverAsPartner);
      // A's own scheme holds A's key, not B's.
      await rejects(wEnc.sender.open(sealed, wEnc.senderAsPartner), 'GNC_SECURITY_DECRYPT_FAILED');
    });

    it('refuses to encrypt for a partner without an encryption certificate (GNC_CONFIG_INVALID)', async () => {
      await rejects(wEnc.sender.seal(PAYLOAD, { partnerId: 'B', trustAnchorsPem: [] }), 'GNC_CONFIG_INVALID');
    });

    it('answers a SignedData without signers (openssl crl2pkcs7) with MISSING_SIGNATURE', async () => {
      const certsOnly = openssl([
        'crl2pkcs7',
        '-nocrl',
        '-certfile',
        file('a-only.pem', w.senderId.certificatePem),
        '-outform',
        'DER',
      ]);
      await rejects(w.receiver.open(certsOnly, w.senderAsPartner), 'GNC_SECURITY_MISSING_SIGNATURE');
    });

    it('answers a plain CMS Data with MISSING_SIGNATURE', async () => {
      const data = openssl(['cms', '-data_create', '-binary', '-in', file('p.bin', PAYLOAD), '-outform', 'DER']);
      await rejects(w.receiver.open(data, w.senderAsPartner), 'GNC_SECURITY_MISSING_SIGNATURE');
    });

    it('refuses a signer key that is not RSA or P-256 at creation', async () => {
      const ed = await w.caA.issue({ commonName: 'ed', kind: 'ed25519' });
      assert.throws(() => cmsScheme({})({ keys: ed }), /not supported/);
    });

    it('every SecurityError names its code and an HTTP status', async () => {
      try {
        await w.receiver.open(Buffer.from('garbage'), w.senderAsPartner);
        assert.fail('accepted garbage');
      } catch (err) {
        assert.ok(err instanceof SecurityError);
        assert.equal(err.code, 'GNC_SECURITY_MALFORMED');
        assert.equal(err.httpStatus, 400);
      }
      assert.ok(readFileSync(file('payload.bin', PAYLOAD)).equals(PAYLOAD));
    });
  });
});

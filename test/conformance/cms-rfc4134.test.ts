/**
 * Conformance with RFC 4134 "Examples of S/MIME Messages" (files and provenance in
 * $GNC_CONFORMANCE_DIR/cms/rfc4134/, never copied here): every SignedData example (4.x) is parsed
 * and its signatures verified where the algorithm is supported (RSA and DSA: node:crypto verifies
 * both), certificate chains checked against Carl's roots; the EnvelopedData examples (5.x) are
 * decrypted with Bob's key where the cipher is supported (3DES yes, RC2 no). What is not
 * supported is asserted as a typed error, not skipped.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCarriedCertificate, verifyCertificatePath } from '../../adapters/security/certificates';
import { cmsScheme } from '../../adapters/security/cms';
import { decryptContent } from '../../adapters/security/cms/enveloped-data';
import { certificateRef, parseSignedData, sidMatches, verifySignerInfo } from '../../adapters/security/cms/signed-data';
import { SecurityError, UnsupportedAlgorithmError } from '../../adapters/security/errors';
import type { PartnerKeys } from '../../adapters/security/security-scheme';
import { conformanceDir } from '../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const DIR = path.join(CONFORMANCE_DIR, 'cms', 'rfc4134');
const read = (name: string): Buffer => readFileSync(path.join(DIR, name));
const CONTENT = Buffer.from('This is some sample content.');
/** Every example certificate is valid 1999-2039; check chains at a fixed instant inside. */
const AT = new Date('2020-01-01T00:00:00Z');

/** The base64 body of the S/MIME part holding CMS, and for multipart/signed the signed part. */
function fromEml(name: string): { cms: Buffer; signedContent?: Buffer } {
  const text = read(name).toString('latin1').replace(/\r\n/g, '\n');
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  if (!boundary) {
    const body = text.slice(text.indexOf('\n\n') + 2);
    return { cms: Buffer.from(body.replace(/\s+/g, ''), 'base64') };
  }
  const parts = text.split(`--${boundary}`).slice(1, -1);
  // RFC 5751: the signed part is canonicalised to CRLF line ends, without the CRLF before the boundary.
  const signed = parts[0]!.replace(/^\n/, '').replace(/\n$/, '').replace(/\n/g, '\r\n');
  const sigPart = parts[1]!;
  const body = sigPart.slice(sigPart.indexOf('\n\n') + 2);
  return { cms: Buffer.from(body.replace(/\s+/g, ''), 'base64'), signedContent: Buffer.from(signed, 'latin1') };
}

interface SignedExample {
  file: string;
  title: string;
  signers: number;
  /** Signers whose key node:crypto cannot use, with why. */
  unsupported?: Record<string, string>;
  detachedContent?: () => Buffer;
}

const SIGNED: SignedExample[] = [
  { file: '4.1.bin', title: 'Basic Signed Content, DSS', signers: 1 },
  { file: '4.2.bin', title: 'Basic Signed Content, RSA', signers: 1 },
  { file: '4.3.bin', title: 'Detached Content (DSS)', signers: 1, detachedContent: () => CONTENT },
  { file: '4.4.bin', title: 'Fancier Signed Content', signers: 1 },
  { file: '4.5.bin', title: 'All RSA Signed Message (BER)', signers: 1 },
  {
    file: '4.6.bin',
    title: 'Multiple Signers',
    signers: 2,
    // DianeDSSSignByCarlInherit.cer omits its DSA parameters (inherited from Carl's certificate,
    // RFC 3279 2.3.2); OpenSSL, and so node:crypto, cannot build such a key on its own.
    unsupported: { DianeDSS: 'DSA parameters inherited from the issuer' },
  },
  { file: '4.7.bin', title: 'Signing Using SKI', signers: 1 },
  {
    file: '4.8.eml',
    title: 'S/MIME multipart/signed',
    signers: 1,
    detachedContent: () => fromEml('4.8.eml').signedContent!,
  },
  { file: '4.9.eml', title: 'S/MIME application/pkcs7-mime signed', signers: 1 },
  { file: '4.10.bin', title: 'SignedData with Attributes', signers: 1 },
];

describe('CMS conformance: RFC 4134 examples', () => {
  const roots = ['CarlRSASelf.cer', 'CarlDSSSelf.cer'].map((f) => new X509Certificate(read(f)));
  const carl: PartnerKeys = { partnerId: 'Carl', trustAnchorsPem: roots.map((r) => r.toString()) };

  describe('SignedData (4.x)', () => {
    for (const ex of SIGNED) {
      it(`${ex.file} ${ex.title}: every signature verifies`, () => {
        const bytes = ex.file.endsWith('.eml') ? fromEml(ex.file).cms : read(ex.file);
        const sd = parseSignedData(bytes);
        assert.equal(sd.signerInfos.length, ex.signers);
        const content = sd.content ?? ex.detachedContent?.();
        assert.ok(content, 'content present or supplied');
        if (!ex.detachedContent)
          assert.ok(Buffer.from(content.subarray(content.length - CONTENT.length)).equals(CONTENT));
        let verified = 0;
        for (const info of sd.signerInfos) {
          const der = sd.certificates.find((c) => sidMatches(info.sid, certificateRef(c)));
          assert.ok(der, 'signer certificate carried');
          const subject = new X509Certificate(der).subject;
          const why = Object.entries(ex.unsupported ?? {}).find(([cn]) => subject.includes(cn));
          if (why) {
            assert.throws(
              () => parseCarriedCertificate(der, 'signer'),
              (err: unknown) => err instanceof UnsupportedAlgorithmError,
            );
            continue;
          }
          const cert = parseCarriedCertificate(der, 'signer');
          verifySignerInfo(info, sd.eContentType, content, cert.publicKey);
          verified++;
          // The signer chains to Carl's roots (RSA or DSA), valid in 2020, by signature.
          const path = verifyCertificatePath(
            cert,
            sd.certificates.map((c) => new X509Certificate(c)),
            carl,
            AT,
          );
          assert.ok(path.length >= 2);
        }
        assert.equal(verified, ex.signers - Object.keys(ex.unsupported ?? {}).length);
      });
    }

    it('4.x: a changed content byte fails every example (BAD_SIGNATURE)', () => {
      for (const ex of SIGNED) {
        const bytes = ex.file.endsWith('.eml') ? fromEml(ex.file).cms : read(ex.file);
        const sd = parseSignedData(bytes);
        const content = Buffer.from(sd.content ?? ex.detachedContent!());
        content[0] = content[0]! ^ 1;
        for (const info of sd.signerInfos) {
          const der = sd.certificates.find((c) => sidMatches(info.sid, certificateRef(c)))!;
          if (Object.keys(ex.unsupported ?? {}).some((cn) => new X509Certificate(der).subject.includes(cn))) continue;
          const cert = parseCarriedCertificate(der, 'signer');
          assert.throws(
            () => verifySignerInfo(info, sd.eContentType, content, cert.publicKey),
            /GNC_SECURITY_BAD_SIGNATURE|does not/,
          );
        }
      }
    });

    it('4.11 SignedData with certificates only: parsed, and refused as MISSING_SIGNATURE by the scheme', async () => {
      const sd = parseSignedData(read('4.11.bin'));
      assert.equal(sd.signerInfos.length, 0);
      assert.ok(sd.certificates.length >= 2);
      const scheme = cmsScheme({})({
        keys: {
          certificatePem: new X509Certificate(read('BobRSASignByCarl.cer')).toString(),
          privateKeyPem: pkcs8Pem('BobPrivRSAEncrypt.pri'),
        },
      });
      await assert.rejects(
        scheme.open(read('4.11.bin'), carl, AT),
        (err: unknown) => err instanceof SecurityError && err.code === 'GNC_SECURITY_MISSING_SIGNATURE',
      );
    });

    it('opens 4.2 end to end through the cms scheme at a time inside the validity', async () => {
      const scheme = cmsScheme({})({
        keys: {
          certificatePem: new X509Certificate(read('BobRSASignByCarl.cer')).toString(),
          privateKeyPem: pkcs8Pem('BobPrivRSAEncrypt.pri'),
        },
      });
      const opened = await scheme.open(read('4.2.bin'), carl, AT);
      assert.ok(Buffer.from(opened.payload).equals(CONTENT));
      assert.match(opened.signer.subject, /AliceRSA/);
    });
  });

  describe('EnvelopedData (5.x), decrypted with BobPrivRSAEncrypt.pri', () => {
    const bob = () => ({
      privateKey: createPrivateKey({ key: read('BobPrivRSAEncrypt.pri'), format: 'der', type: 'pkcs8' }),
      ref: certificateRef(read('BobRSASignByCarl.cer')),
    });

    it('5.1 TripleDES and RSA: decrypts to the sample content', () => {
      const out = decryptContent(read('5.1.bin'), bob());
      assert.ok(out.content.equals(CONTENT));
    });

    it('5.3 S/MIME application/pkcs7-mime encrypted (TripleDES): decrypts', () => {
      const out = decryptContent(fromEml('5.3.eml').cms, bob());
      assert.ok(out.content.toString('latin1').includes('This is some sample content.'));
    });

    it('5.2 RC2/128 and RSA: not supported (RC2 is a legacy cipher), typed UNSUPPORTED_ALGORITHM', () => {
      assert.throws(
        () => decryptContent(read('5.2.bin'), bob()),
        (err: unknown) => err instanceof UnsupportedAlgorithmError && err.algorithm === '1.2.840.113549.3.2',
      );
    });
  });

  describe('other content types (3.x Data, 6.0 DigestedData, 7.x EncryptedData): no signature, typed refusal', () => {
    for (const file of ['3.1.bin', '3.2.bin', '6.0.bin', '7.1.bin', '7.2.bin']) {
      it(`${file} is refused as MISSING_SIGNATURE`, async () => {
        const scheme = cmsScheme({})({
          keys: {
            certificatePem: new X509Certificate(read('BobRSASignByCarl.cer')).toString(),
            privateKeyPem: pkcs8Pem('BobPrivRSAEncrypt.pri'),
          },
        });
        await assert.rejects(
          scheme.open(read(file), carl, AT),
          (err: unknown) => err instanceof SecurityError && err.code === 'GNC_SECURITY_MISSING_SIGNATURE',
        );
      });
    }
  });
});

function pkcs8Pem(file: string): string {
  return createPrivateKey({ key: read(file), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/**
 * Test certificates for the security schemes: a CA (ECDSA P-256 or RSA) that issues RSA-2048,
 * ECDSA P-256 or Ed25519 end-entity certificates with chosen validity, through @peculiar/x509 and
 * Node's WebCrypto (the project's CA in node/src/identity issues P-256 only).
 */
import { randomBytes } from 'node:crypto';
import { crypto, x509, type CryptoKey } from '../../../../node/src/identity/x509-lib';

export type KeyKind = 'rsa' | 'ec' | 'ed25519';

export interface TestIdentity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Lower-case hex, no leading zeros. */
  readonly serial: string;
}

export interface TestCa {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  issue(opts: {
    commonName: string;
    kind: KeyKind;
    notBefore?: Date;
    notAfter?: Date;
    ca?: boolean;
  }): Promise<TestIdentity>;
}

const DAY = 24 * 60 * 60 * 1000;

function algorithm(kind: KeyKind) {
  switch (kind) {
    case 'rsa':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
    case 'ec':
      return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

async function generate(kind: KeyKind): Promise<{ publicKey: CryptoKey; privateKey: CryptoKey }> {
  return (await crypto.subtle.generateKey(algorithm(kind), true, ['sign', 'verify'])) as {
    publicKey: CryptoKey;
    privateKey: CryptoKey;
  };
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  const bytes = randomBytes(12);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, no leading zero
  return bytes.toString('hex');
}

/** A self-signed CA valid from a day ago for ten years (or as given). */
export async function createTestCa(
  name: string,
  kind: 'ec' | 'rsa' = 'ec',
  validity?: { notBefore: Date; notAfter: Date },
): Promise<TestCa> {
  const keys = await generate(kind);
  const caName = `CN=${name} Root CA, O=${name}`;
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: caName,
      notBefore: validity?.notBefore ?? new Date(Date.now() - DAY),
      notAfter: validity?.notAfter ?? new Date(Date.now() + 3650 * DAY),
      keys,
      signingAlgorithm: algorithm(kind),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
      ],
    },
    crypto,
  );
  return {
    certificatePem: caCert.toString('pem') + '\n',
    privateKeyPem: await pkcs8Pem(keys.privateKey),
    async issue(opts) {
      const leafKeys = await generate(opts.kind);
      const sn = serial();
      const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
      const usage =
        opts.ca === true
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature |
            x509.KeyUsageFlags.nonRepudiation |
            (opts.kind === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0);
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: sn,
          subject: `CN=${opts.commonName}, O=${name}`,
          issuer: caCert.subject,
          notBefore,
          notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 365 * DAY),
          publicKey: leafKeys.publicKey,
          signingKey: keys.privateKey,
          signingAlgorithm: algorithm(kind),
          extensions: [
            new x509.BasicConstraintsExtension(opts.ca === true, undefined, true),
            new x509.KeyUsagesExtension(usage, true),
            await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey, false, crypto),
            new x509.AuthorityKeyIdentifierExtension(ski.keyId),
          ],
        },
        crypto,
      );
      return {
        certificatePem: cert.toString('pem') + '\n',
        privateKeyPem: await pkcs8Pem(leafKeys.privateKey),
        serial: sn,
      };
    },
  };
}

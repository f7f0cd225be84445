import { strict as assert } from 'node:assert';
import { createHash, randomBytes, sign } from 'node:crypto';
import { loadLocalIdentity } from '../../../../adapters/security/certificates';
import {
  explicit,
  integer,
  octets,
  oidDer,
  seq,
  setOf,
  timeDer,
  tlv,
  TAG,
  NULL_DER,
} from '../../../../adapters/security/cms/der';
import { OID } from '../../../../adapters/security/cms/oids';
import {
  certificateRef,
  encodeSignedData,
  issuerAndSerialNumber,
  parseSignedData,
  signedAttributes,
  type CmsSigner,
} from '../../../../adapters/security/cms/signed-data';
import { createTestCa, type KeyKind } from './pki';

/** The SignedData built element by element with the DER writer, as RFC 5652 lays it out. */
function referenceSignedData(
  signer: CmsSigner,
  payload: Uint8Array,
  signingTime: Date,
  signature: Uint8Array,
): { signedAttrs: Buffer; contentInfo: Buffer } {
  const sha256 = seq(oidDer(OID.sha256));
  const signedAttrs = setOf(
    seq(oidDer(OID.contentType), setOf(oidDer(OID.data))),
    seq(oidDer(OID.signingTime), setOf(timeDer(signingTime))),
    seq(oidDer(OID.messageDigest), setOf(octets(createHash('sha256').update(payload).digest()))),
  );
  const implicitAttrs = Buffer.from(signedAttrs);
  implicitAttrs[0] = 0xa0;
  const signerInfo = seq(
    integer(1),
    issuerAndSerialNumber(signer.leaf),
    sha256,
    implicitAttrs,
    signer.keyType === 'rsa' ? seq(oidDer(OID.rsaEncryption), NULL_DER) : seq(oidDer(OID.ecdsaWithSha256)),
    octets(signature),
  );
  const signedData = seq(
    integer(1),
    tlv(TAG.SET, sha256),
    seq(oidDer(OID.data), explicit(0, octets(payload))),
    tlv(0xa0, ...signer.certificates),
    tlv(TAG.SET, signerInfo),
  );
  return { signedAttrs, contentInfo: seq(oidDer(OID.signedData), explicit(0, signedData)) };
}

async function signerOf(kind: KeyKind, withIntermediate: boolean): Promise<CmsSigner> {
  const ca = await createTestCa('Encoder');
  const leaf = await ca.issue({ commonName: 'leaf', kind });
  // A second certificate carried after the leaf, as a chain with an intermediate would be.
  const extra = withIntermediate
    ? (await ca.issue({ commonName: 'intermediate', kind: 'ec', ca: true })).certificatePem
    : '';
  const identity = loadLocalIdentity(
    { certificatePem: leaf.certificatePem + extra, privateKeyPem: leaf.privateKeyPem },
    'test signer',
  );
  return {
    privateKey: identity.privateKey,
    keyType: kind === 'rsa' ? 'rsa' : 'ec',
    certificates: identity.chainDer,
    leaf: certificateRef(identity.chainDer[0]!),
  };
}

describe('CMS SignedData encoder', function () {
  this.timeout(60_000);

  for (const kind of ['ec', 'rsa'] as const) {
    for (const withIntermediate of [false, true]) {
      it(`writes the bytes of the element-by-element construction (${kind}, ${withIntermediate ? 'leaf and a CA certificate' : 'leaf only'})`, async () => {
        const signer = await signerOf(kind, withIntermediate);
        const payloads = [
          Buffer.alloc(0),
          randomBytes(1),
          randomBytes(127),
          randomBytes(128),
          randomBytes(1024),
          randomBytes(70_000),
        ];
        // Around the UTCTime/GeneralizedTime switch at 2050, and the same second twice (cached).
        const times = [
          new Date('2026-11-23T06:00:00.250Z'),
          new Date('2026-11-23T06:00:00.750Z'),
          new Date('2026-11-23T06:00:01.000Z'),
          new Date('2049-12-31T23:59:59Z'),
          new Date('2050-01-01T00:00:00Z'),
          new Date('2026-11-23T06:00:00.500Z'),
        ];
        for (const payload of payloads) {
          for (const time of times) {
            const signedAttrs = signedAttributes(payload, time);
            const signature = sign('sha256', signedAttrs, signer.privateKey);
            const expected = referenceSignedData(signer, payload, time, signature);
            assert.deepEqual(
              signedAttrs,
              expected.signedAttrs,
              `signed attributes, ${payload.length} bytes, ${time.toISOString()}`,
            );
            const written = encodeSignedData(signer, payload, signedAttrs, signature);
            assert.deepEqual(
              written,
              expected.contentInfo,
              `SignedData, ${payload.length} bytes, ${time.toISOString()}`,
            );
            const parsed = parseSignedData(written);
            assert.deepEqual(Buffer.from(parsed.content!), payload);
          }
        }
      });
    }
  }
});

/** Builds SecuritySuiteFixtures for a scheme from test certificates (see pki.ts). */
import type { LocalKeys, PartnerKeys, SecuritySchemeFactory } from '../../../../adapters/security/security-scheme';
import type { SecuritySuiteFixtures } from '../../../compliance/security-suite';
import { createTestCa, type KeyKind, type TestCa, type TestIdentity } from './pki';

const DAY = 24 * 60 * 60 * 1000;

export interface SchemeWorld extends SecuritySuiteFixtures {
  readonly caA: TestCa;
  readonly caB: TestCa;
  readonly senderId: TestIdentity;
  readonly receiverId: TestIdentity;
  readonly receiverEncryption?: TestIdentity;
}

/**
 * Two administrations, A (sender) and B (receiver), each with its own CA; a third CA for the
 * "foreign" signer; an expired certificate from A's CA. `encryptionKind` gives B a separate RSA
 * encryption certificate (needed when B signs with ECDSA and A encrypts to B).
 */
export async function schemeWorld(
  factory: SecuritySchemeFactory,
  init: Record<string, unknown>,
  signKind: KeyKind,
  encryptionKind?: 'rsa',
): Promise<SchemeWorld> {
  const [caA, caB, caX, caLookalike] = await Promise.all([
    createTestCa('Admin A'),
    createTestCa('Admin B', 'rsa'),
    createTestCa('Elsewhere'),
    // Same name as A's CA, another key: what it issues looks like A's by name only.
    createTestCa('Admin A'),
  ]);
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  const [senderId, receiverId, foreignId, expiredId, receiverEncryption, senderEncryption, lookalikeId] =
    await Promise.all([
      caA.issue({ commonName: 'gnc-node A', kind: signKind, notBefore, notAfter }),
      caB.issue({ commonName: 'gnc-node B', kind: signKind }),
      caX.issue({ commonName: 'gnc-node A', kind: signKind }),
      caA.issue({
        commonName: 'gnc-node A old',
        kind: signKind,
        notBefore: new Date(Date.now() - 400 * DAY),
        notAfter: new Date(Date.now() - DAY),
      }),
      encryptionKind
        ? caB.issue({ commonName: 'gnc-node B encryption', kind: encryptionKind })
        : Promise.resolve(undefined),
      encryptionKind
        ? caA.issue({ commonName: 'gnc-node A encryption', kind: encryptionKind })
        : Promise.resolve(undefined),
      caLookalike.issue({ commonName: 'gnc-node A', kind: signKind, notBefore, notAfter }),
    ]);
  const keysOf = (id: TestIdentity, encryption?: TestIdentity): LocalKeys => ({
    certificatePem: id.certificatePem,
    privateKeyPem: id.privateKeyPem,
    ...(encryption
      ? { encryption: { certificatePem: encryption.certificatePem, privateKeyPem: encryption.privateKeyPem } }
      : {}),
  });
  const make = factory(init);
  const receiverAsPartner: PartnerKeys = {
    partnerId: 'B',
    trustAnchorsPem: [caB.certificatePem],
    encryptionCertificatePem: (receiverEncryption ?? receiverId).certificatePem,
  };
  const senderAsPartner: PartnerKeys = { partnerId: 'A', trustAnchorsPem: [caA.certificatePem] };
  return {
    caA,
    caB,
    senderId,
    receiverId,
    receiverEncryption,
    sender: make({ keys: keysOf(senderId, senderEncryption) }),
    receiver: make({ keys: keysOf(receiverId, receiverEncryption) }),
    receiverAsPartner,
    senderAsPartner,
    trust: {
      foreignSender: make({ keys: keysOf(foreignId, senderEncryption) }),
      expiredSender: make({ keys: keysOf(expiredId, senderEncryption) }),
      senderSerial: senderId.serial,
      senderValidity: { notBefore, notAfter },
      lookalikeSender: make({ keys: keysOf(lookalikeId, senderEncryption) }),
    },
  };
}

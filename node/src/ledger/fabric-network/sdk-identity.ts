import { msp } from '@hyperledger/fabric-protos';
import { User, type ICryptoSuite, type IIdentity, type ISigningIdentity } from 'fabric-common';
import type { Identity, IdentityData, IdentityProvider } from 'fabric-network';
import type { SigningIdentity } from '../../identity/signing-identity';

/** The identity type fabric-network is given: a handle on one of the node's SigningIdentity objects. */
export interface GncSdkIdentity extends Identity {
  type: typeof PROVIDER_TYPE;
  signingIdentity: SigningIdentity;
}

const PROVIDER_TYPE = 'gnc-signing-identity';

/**
 * Lets fabric-network sign with a SigningIdentity (whose private key may live anywhere) instead of
 * a private key PEM in a wallet: the SDK's user gets a signing identity that delegates to it.
 */
export function signingIdentityProvider(): IdentityProvider {
  const cryptoSuite: ICryptoSuite = User.newCryptoSuite();
  return {
    type: PROVIDER_TYPE,
    getCryptoSuite: () => cryptoSuite,
    fromJson(): Identity {
      throw new Error(`${PROVIDER_TYPE} identities are not stored in wallets`);
    },
    toJson(): IdentityData {
      throw new Error(`${PROVIDER_TYPE} identities are not stored in wallets`);
    },
    getUserContext(identity: Identity, name: string): Promise<User> {
      const { signingIdentity } = identity as GncSdkIdentity;
      const user = new DelegatingUser(name, signingIdentity.mspId);
      user.setCryptoSuite(cryptoSuite);
      user.setSigningIdentity(new DelegatingSigningIdentity(signingIdentity));
      return Promise.resolve(user);
    },
  };
}

export function sdkIdentityOf(signingIdentity: SigningIdentity): GncSdkIdentity {
  return { type: PROVIDER_TYPE, mspId: signingIdentity.mspId, signingIdentity };
}

class DelegatingUser extends User {
  constructor(
    name: string,
    private readonly mspId: string,
  ) {
    super(name);
  }

  override getMspid(): string {
    return this.mspId;
  }
}

/** fabric-common's identity and signing identity contracts, backed by a SigningIdentity. */
class DelegatingSigningIdentity implements IIdentity, ISigningIdentity {
  constructor(private readonly signingIdentity: SigningIdentity) {}

  /** fabric-common signs synchronously; the SigningIdentity hashes (SHA-256) the message itself. */
  sign(message: Buffer): Buffer {
    return Buffer.from(this.signingIdentity.sign(message));
  }

  serialize(): Buffer {
    const serialized = new msp.SerializedIdentity();
    serialized.setMspid(this.signingIdentity.mspId);
    serialized.setIdBytes(Buffer.from(this.signingIdentity.certificatePem));
    return Buffer.from(serialized.serializeBinary());
  }

  getMSPId(): string {
    return this.signingIdentity.mspId;
  }

  isValid(): boolean {
    return true;
  }

  getOrganizationUnits(): string {
    return '';
  }

  verify(): boolean {
    throw new Error('not supported: this identity only signs');
  }
}

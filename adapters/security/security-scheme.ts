/**
 * A security scheme: how a message is protected on the wire between two administrations
 * (signature, optional encryption, who sent it). One implementation per scheme in its own folder
 * (cms, jws, none), registered in adapters/security/index.ts; every one passes
 * test/compliance/security-suite.ts.
 */

/** This node's own keys, as the agreement's security section names them. */
export interface LocalKeys {
  /** PEM certificate chain, leaf first. */
  certificatePem: string;
  /** PKCS#8 PEM private key (ECDSA P-256, Ed25519 or RSA, as the scheme supports). */
  privateKeyPem: string;
  /**
   * A separate key pair for decrypting what partners encrypt to this node (CMS key transport needs
   * RSA while the signing key may be ECDSA). Defaults to the signing certificate and key above.
   */
  encryption?: { certificatePem: string; privateKeyPem: string };
}

/** What the node knows of the counterpart from its agreement. */
export interface PartnerKeys {
  partnerId: string;
  /** The CA certificates a partner's signing certificate must chain to. */
  trustAnchorsPem: readonly string[];
  /** The partner's encryption certificate, when the scheme encrypts to it. */
  encryptionCertificatePem?: string;
  /**
   * Serial numbers (hex, lower case; leading zeros optional) of revoked certificates, from the
   * partner's CRL. Read on every open(), so a refresh may update the set in place.
   */
  revokedSerials?: ReadonlySet<string>;
}

/** The result of opening a protected message: the payload and who signed it. */
export interface OpenedMessage {
  payload: Uint8Array;
  signer: {
    certificatePem: string;
    subject: string;
    /** Lower-case hex without leading zeros, as in PartnerKeys.revokedSerials. */
    serialNumber: string;
  };
  /** The signing time the signer claimed (CMS signingTime), if the scheme carries one. */
  signedAt?: Date;
}

export interface SecurityScheme {
  readonly name: string;
  /**
   * True when open() establishes who signed (every scheme but `none`). `none` returns the payload
   * with an empty signer; the node must never treat such a message as authenticated.
   */
  readonly authenticates: boolean;
  /** Signs (and, if configured, encrypts) `payload` for `to`. */
  seal(payload: Uint8Array, to: PartnerKeys): Promise<Uint8Array>;
  /**
   * Decrypts if needed and verifies; the signer's certificate must chain to one of
   * `from.trustAnchorsPem`, be valid at `at`, and not be revoked. Throws SecurityError (code
   * GNC_SECURITY_*) naming what did not hold; never returns an unverified payload (`none`,
   * whose `authenticates` is false, verifies nothing and says so).
   */
  open(bytes: Uint8Array, from: PartnerKeys, at?: Date): Promise<OpenedMessage>;
}

/**
 * Scheme options from the agreement (e.g. `{ encrypt: true }`), then the node's components. Every
 * scheme reads `init.production` (set by the node from its config): `none` refuses to be created
 * when it is true. A bad option or unusable key is a ConfigError (GNC_CONFIG_INVALID), raised when
 * the scheme is created, not on the first message.
 */
export type SecuritySchemeFactory = (
  init: Record<string, unknown>,
) => (components: { keys: LocalKeys }) => SecurityScheme;

/**
 * An identity that can sign as Fabric expects: an MSP id, an X.509 certificate (PEM) and a
 * signature function producing DER-encoded ECDSA signatures with low S over SHA-256 of the message.
 */
export interface SigningIdentity {
  readonly mspId: string;
  /** PEM certificate, exactly as it goes into SerializedIdentity.id_bytes. */
  readonly certificatePem: string;
  /** Signs `message` (hashes it with SHA-256 first), returns a DER ECDSA signature normalised to low S. */
  sign(message: Uint8Array): Uint8Array;
  /**
   * The same signature computed on libuv's thread pool, so a busy node signs on its other cores
   * while the main thread goes on (crypto.sign with a callback).
   */
  signAsync(message: Uint8Array): Promise<Uint8Array>;
}

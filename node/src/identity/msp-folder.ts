import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asError } from '../errors';
import { IdentityInvalidError, IdentityNotFoundError } from './identity-errors';
import { createSigningIdentity } from './signer';
import type { SigningIdentity } from './signing-identity';

/** Contents of a signing MSP folder. */
export interface MspFolderContents {
  readonly caCertificatePem: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Written to tlscacerts/tlsca.pem when given. */
  readonly tlsCaCertificatePem?: string;
}

// Fabric's NodeOUs config: with it, the OU of a certificate (client/peer/admin/orderer) decides
// its role, so admins need no admincerts/ folder. Paths are relative to the MSP folder.
const NODE_OUS_CONFIG_YAML = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
`;

const PRIVATE_KEY_FILE = 'priv_sk';

/**
 * Writes a Fabric MSP folder that peers, orderers and Fabric SDKs can use to sign:
 * cacerts/ca.pem, signcerts/cert.pem, keystore/priv_sk (mode 0600, folder 0700), config.yaml
 * with NodeOUs enabled, and tlscacerts/tlsca.pem if a TLS CA is given. Existing files are
 * overwritten: refusing to replace an identity is the caller's decision.
 */
export async function writeMspFolder(dir: string, contents: MspFolderContents): Promise<void> {
  await writeVerifyingMspFolder(dir, { caCertificatePem: contents.caCertificatePem });
  await writePem(join(dir, 'signcerts'), 'cert.pem', contents.certificatePem);
  await mkdir(join(dir, 'keystore'), { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'keystore', PRIVATE_KEY_FILE);
  await writeFile(keyPath, ensureTrailingNewline(contents.privateKeyPem), { mode: 0o600 });
  // writeFile's mode applies only when it creates the file; an older key file keeps its mode.
  await chmod(keyPath, 0o600);
  await chmod(join(dir, 'keystore'), 0o700);
  if (contents.tlsCaCertificatePem !== undefined) {
    await writePem(join(dir, 'tlscacerts'), 'tlsca.pem', contents.tlsCaCertificatePem);
  }
}

/**
 * Writes an MSP folder that can only verify (cacerts/ca.pem and config.yaml), the form an
 * organisation's MSP takes in channel configuration, where no private key belongs.
 */
export async function writeVerifyingMspFolder(
  dir: string,
  contents: { readonly caCertificatePem: string },
): Promise<void> {
  await writePem(join(dir, 'cacerts'), 'ca.pem', contents.caCertificatePem);
  await writeFile(join(dir, 'config.yaml'), NODE_OUS_CONFIG_YAML);
}

/**
 * Loads the signing identity in a Fabric MSP folder. Accepts folders written by
 * {@link writeMspFolder}, Fabric CA client (signcerts/cert.pem) and cryptogen
 * (signcerts/<name>-cert.pem, keystore/priv_sk): the one certificate in signcerts/ and
 * the key in keystore/ that belongs to it. Throws IdentityNotFoundError naming the missing file,
 * IdentityInvalidError if what is there cannot be used.
 */
export async function loadSigningIdentity(mspDir: string, mspId: string): Promise<SigningIdentity> {
  const hint = 'run `gnc init` to create the node identity, or point the configuration at an existing MSP folder';
  try {
    if (!(await stat(mspDir)).isDirectory()) throw new IdentityInvalidError(`${mspDir} is not a directory; ${hint}`);
  } catch (err) {
    if (isNotFound(err))
      throw new IdentityNotFoundError(mspDir, `MSP folder ${mspDir} does not exist; ${hint}`, { cause: err });
    throw err;
  }
  const signcerts = join(mspDir, 'signcerts');
  const certFiles = (await listFiles(signcerts, `MSP folder ${mspDir} has no signcerts/ directory; ${hint}`)).filter(
    (f) => f.endsWith('.pem'),
  );
  if (certFiles.length === 0)
    throw new IdentityNotFoundError(signcerts, `no certificate (*.pem) in ${signcerts}; ${hint}`);
  if (certFiles.length > 1) {
    throw new IdentityInvalidError(
      `${signcerts} holds ${certFiles.length} certificates (${certFiles.join(', ')}); keep exactly one`,
    );
  }
  const certPath = join(signcerts, certFiles[0] ?? '');
  const certificatePem = await readText(certPath, hint);

  const keystore = join(mspDir, 'keystore');
  const keyFiles = await listFiles(
    keystore,
    `MSP folder ${mspDir} has no keystore/ directory (expected keystore/${PRIVATE_KEY_FILE}); ${hint}`,
  );
  // priv_sk first, then other *_sk files (Fabric CA client names keys <ski>_sk).
  const candidates = keyFiles
    .filter((f) => f === PRIVATE_KEY_FILE || f.endsWith('_sk'))
    .sort((a, b) => Number(b === PRIVATE_KEY_FILE) - Number(a === PRIVATE_KEY_FILE));
  if (candidates.length === 0) {
    throw new IdentityNotFoundError(
      join(keystore, PRIVATE_KEY_FILE),
      `no private key in ${keystore} (expected ${PRIVATE_KEY_FILE}); ${hint}`,
    );
  }
  let lastError: unknown;
  for (const file of candidates) {
    const privateKeyPem = await readText(join(keystore, file), hint);
    try {
      return createSigningIdentity({ mspId, certificatePem, privateKeyPem });
    } catch (err) {
      lastError = err;
    }
  }
  throw new IdentityInvalidError(
    `no private key in ${keystore} belongs to ${certPath}: ${asError(lastError).message}`,
    { cause: lastError },
  );
}

async function writePem(dir: string, file: string, pem: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, file), ensureTrailingNewline(pem));
}

function ensureTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

async function listFiles(dir: string, missingMessage: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (isNotFound(err)) throw new IdentityNotFoundError(dir, missingMessage, { cause: err });
    throw new IdentityInvalidError(`cannot read ${dir}: ${asError(err).message}`, { cause: err });
  }
}

async function readText(path: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) throw new IdentityNotFoundError(path, `${path} does not exist; ${hint}`, { cause: err });
    throw new IdentityInvalidError(`cannot read ${path}: ${asError(err).message}`, { cause: err });
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

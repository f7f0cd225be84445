import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IdentityInvalidError,
  IdentityNotFoundError,
  createCertificateAuthority,
  createMspVerifier,
  loadSigningIdentity,
  verifySignature,
  writeMspFolder,
  writeVerifyingMspFolder,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../../node/src/identity';
import { utf8 } from './helpers';

describe('MspFolder', () => {
  let ca: CertificateAuthority;
  let issued: IssuedCertificate;
  let root: string;

  before(async () => {
    ca = await createCertificateAuthority({ mspId: 'CustomsBEMSP', organization: 'Customs BE' });
    issued = await ca.issue({ commonName: 'node1', nodeOU: 'peer' });
    root = await mkdtemp(join(tmpdir(), 'gnc-identity-msp-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('writeMspFolder', () => {
    it('writes the Fabric layout with a private keystore and NodeOUs config', async () => {
      const dir = join(root, 'layout');
      await writeMspFolder(dir, {
        caCertificatePem: ca.caCertificatePem,
        ...issued,
        tlsCaCertificatePem: ca.caCertificatePem,
      });
      assert.deepEqual((await readdir(dir)).sort(), ['cacerts', 'config.yaml', 'keystore', 'signcerts', 'tlscacerts']);
      assert.equal(await readFile(join(dir, 'cacerts', 'ca.pem'), 'utf8'), ca.caCertificatePem);
      assert.equal(await readFile(join(dir, 'signcerts', 'cert.pem'), 'utf8'), issued.certificatePem);
      assert.equal(await readFile(join(dir, 'keystore', 'priv_sk'), 'utf8'), issued.privateKeyPem);
      assert.equal(await readFile(join(dir, 'tlscacerts', 'tlsca.pem'), 'utf8'), ca.caCertificatePem);
      if (process.platform !== 'win32') {
        assert.equal((await stat(join(dir, 'keystore', 'priv_sk'))).mode & 0o777, 0o600);
        assert.equal((await stat(join(dir, 'keystore'))).mode & 0o777, 0o700);
      }
      const config = await readFile(join(dir, 'config.yaml'), 'utf8');
      assert.match(config, /^NodeOUs:\n {2}Enable: true\n/);
      for (const [key, ou] of [
        ['ClientOUIdentifier', 'client'],
        ['PeerOUIdentifier', 'peer'],
        ['AdminOUIdentifier', 'admin'],
        ['OrdererOUIdentifier', 'orderer'],
      ]) {
        assert.match(
          config,
          new RegExp(`\\n {2}${key}:\\n {4}Certificate: cacerts/ca\\.pem\\n {4}OrganizationalUnitIdentifier: ${ou}\\n`),
        );
      }
    });

    it('tightens the mode of a key file that already existed', async () => {
      if (process.platform === 'win32') return;
      const dir = join(root, 'rewrite');
      await mkdir(join(dir, 'keystore'), { recursive: true });
      await writeFile(join(dir, 'keystore', 'priv_sk'), 'old', { mode: 0o644 });
      await writeMspFolder(dir, { caCertificatePem: ca.caCertificatePem, ...issued });
      assert.equal((await stat(join(dir, 'keystore', 'priv_sk'))).mode & 0o777, 0o600);
    });
  });

  describe('writeVerifyingMspFolder', () => {
    it('writes only cacerts and config.yaml', async () => {
      const dir = join(root, 'verifying');
      await writeVerifyingMspFolder(dir, { caCertificatePem: ca.caCertificatePem });
      assert.deepEqual((await readdir(dir)).sort(), ['cacerts', 'config.yaml']);
    });
  });

  describe('loadSigningIdentity', () => {
    it('round-trips: the loaded identity signs verifiably', async () => {
      const dir = join(root, 'roundtrip');
      await writeMspFolder(dir, { caCertificatePem: ca.caCertificatePem, ...issued });
      const identity = await loadSigningIdentity(dir, 'CustomsBEMSP');
      assert.equal(identity.mspId, 'CustomsBEMSP');
      assert.equal(identity.certificatePem, issued.certificatePem);
      const message = utf8('hello');
      const sig = identity.sign(message);
      assert.equal(verifySignature(issued.certificatePem, message, sig), true);
      const verifier = createMspVerifier([{ mspId: 'CustomsBEMSP', rootCertificatesPem: [ca.caCertificatePem] }]);
      assert.equal(verifier.verify('CustomsBEMSP', identity.certificatePem, message, sig, new Date()), true);
    });

    it('loads cryptogen-style names (signcerts/<name>-cert.pem)', async () => {
      const dir = join(root, 'cryptogen');
      await writeMspFolder(dir, { caCertificatePem: ca.caCertificatePem, ...issued });
      await unlink(join(dir, 'signcerts', 'cert.pem'));
      await writeFile(join(dir, 'signcerts', 'peer0.customs.be-cert.pem'), issued.certificatePem);
      assert.equal((await loadSigningIdentity(dir, 'CustomsBEMSP')).certificatePem, issued.certificatePem);
    });

    it('gives a typed error naming the keystore when the key is missing', async () => {
      const dir = join(root, 'nokey');
      await writeMspFolder(dir, { caCertificatePem: ca.caCertificatePem, ...issued });
      await unlink(join(dir, 'keystore', 'priv_sk'));
      await assert.rejects(loadSigningIdentity(dir, 'CustomsBEMSP'), (err: unknown) => {
        assert.ok(err instanceof IdentityNotFoundError);
        assert.equal(err.code, 'GNC_IDENTITY_NOT_FOUND');
        assert.equal(err.path, join(dir, 'keystore', 'priv_sk'));
        assert.match(err.message, /keystore/);
        assert.match(err.message, /gnc init/);
        return true;
      });
      await rm(join(dir, 'keystore'), { recursive: true });
      await assert.rejects(loadSigningIdentity(dir, 'CustomsBEMSP'), {
        code: 'GNC_IDENTITY_NOT_FOUND',
        message: /keystore/,
      });
    });

    it('gives a typed error when the folder or certificate is missing', async () => {
      await assert.rejects(loadSigningIdentity(join(root, 'absent'), 'M'), {
        code: 'GNC_IDENTITY_NOT_FOUND',
        message: /does not exist.*gnc init/,
      });
      const dir = join(root, 'nocert');
      await writeMspFolder(dir, { caCertificatePem: ca.caCertificatePem, ...issued });
      await unlink(join(dir, 'signcerts', 'cert.pem'));
      await assert.rejects(loadSigningIdentity(dir, 'M'), { code: 'GNC_IDENTITY_NOT_FOUND', message: /signcerts/ });
    });

    it('rejects a key that belongs to another certificate', async () => {
      const dir = join(root, 'mismatch');
      const other = await ca.issue({ commonName: 'node2', nodeOU: 'peer' });
      await writeMspFolder(dir, {
        caCertificatePem: ca.caCertificatePem,
        ...issued,
        privateKeyPem: other.privateKeyPem,
      });
      await assert.rejects(loadSigningIdentity(dir, 'M'), IdentityInvalidError);
    });
  });
});

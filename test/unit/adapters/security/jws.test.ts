import { strict as assert } from 'node:assert';
import { CompactSign } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { jwsScheme } from '../../../../adapters/security/jws';
import { securitySchemes } from '../../../../adapters/security';
import { GncError } from '../../../../node/src/errors';
import { runSecuritySuite } from '../../../compliance/security-suite';
import { schemeWorld, type SchemeWorld } from './fixtures';

runSecuritySuite('jws', { label: 'ES256', authenticates: true, create: () => schemeWorld(jwsScheme, {}, 'ec') });
runSecuritySuite('jws', {
  label: 'EdDSA (Ed25519)',
  authenticates: true,
  create: () => schemeWorld(jwsScheme, {}, 'ed25519'),
});

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GncError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('jws security scheme', function () {
  this.timeout(60_000);
  let w: SchemeWorld;
  before(async () => {
    w = await schemeWorld(jwsScheme, {}, 'ec');
  });

  it('is registered as "jws"', () => {
    assert.equal(securitySchemes.jws, jwsScheme);
  });

  it('writes a compact JWS with alg ES256 and the x5c chain, payload base64url', async () => {
    const sealed = Buffer.from(await w.sender.seal(Buffer.from('hello'), w.receiverAsPartner)).toString('latin1');
    const [h, p, s] = sealed.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg: string; x5c: string[] };
    assert.equal(header.alg, 'ES256');
    assert.equal(header.x5c.length, 1);
    assert.equal(Buffer.from(p!, 'base64url').toString(), 'hello');
    assert.equal(Buffer.from(s!, 'base64url').length, 64);
  });

  it('refuses RSA signing keys at creation (ES256 and EdDSA only)', async () => {
    const rsa = await w.caA.issue({ commonName: 'rsa', kind: 'rsa' });
    assert.throws(() => jwsScheme({})({ keys: rsa }), /not supported/);
  });

  it('refuses unknown options', () => {
    assert.throws(
      () => jwsScheme({ alg: 'HS256' }),
      (err: unknown) => err instanceof GncError && err.code === 'GNC_CONFIG_INVALID',
    );
  });

  it('refuses alg none and HS256 tokens (UNSUPPORTED_ALGORITHM) and a token without x5c (MALFORMED)', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('x').toString('base64url')}.`;
    await rejects(
      w.receiver.open(Buffer.from(unsigned + 'AA'), w.senderAsPartner),
      'GNC_SECURITY_UNSUPPORTED_ALGORITHM',
    );
    const hs = await new CompactSign(Buffer.from('x')).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.alloc(32, 1));
    await rejects(w.receiver.open(Buffer.from(hs), w.senderAsPartner), 'GNC_SECURITY_UNSUPPORTED_ALGORITHM');
    const key = createPrivateKey(w.senderId.privateKeyPem);
    const noX5c = await new CompactSign(Buffer.from('x')).setProtectedHeader({ alg: 'ES256' }).sign(key);
    await rejects(w.receiver.open(Buffer.from(noX5c), w.senderAsPartner), 'GNC_SECURITY_MALFORMED');
  });

  it('refuses a token signed by one key that carries another certificate (BAD_SIGNATURE)', async () => {
    const other = createPrivateKey(w.receiverId.privateKeyPem);
    const der = Buffer.from(w.senderId.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const forged = await new CompactSign(Buffer.from('x'))
      .setProtectedHeader({ alg: 'ES256', x5c: [der.toString('base64')] })
      .sign(other);
    await rejects(w.receiver.open(Buffer.from(forged), w.senderAsPartner), 'GNC_SECURITY_BAD_SIGNATURE');
  });
});

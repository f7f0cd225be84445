import { strict as assert } from 'node:assert';
import { CompactSign, compactVerify } from 'jose';
import { X509Certificate, createPrivateKey } from 'node:crypto';
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
  // The signature arithmetic is node:crypto's (jose's WebCrypto path costs four times as much):
  // these hold the tokens to what jose itself writes and accepts, for both algorithms.
  for (const keyKind of ['ec', 'ed25519'] as const) {
    describe(`interoperates with jose (${keyKind === 'ec' ? 'ES256' : 'EdDSA'})`, () => {
      let world: SchemeWorld;
      before(async () => {
        world = await schemeWorld(jwsScheme, {}, keyKind);
      });

      it('writes tokens that jose compactVerify accepts with the x5c key', async () => {
        const payload = Buffer.from('{"inspection":"x"}');
        const sealed = Buffer.from(await world.sender.seal(payload, world.receiverAsPartner)).toString('latin1');
        const publicKey = new X509Certificate(world.senderId.certificatePem).publicKey;
        const { payload: verified, protectedHeader } = await compactVerify(sealed, publicKey);
        assert.equal(protectedHeader.alg, keyKind === 'ec' ? 'ES256' : 'EdDSA');
        assert.deepEqual(Buffer.from(verified), payload);
      });

      it('opens tokens that jose CompactSign wrote', async () => {
        const der = Buffer.from(world.senderId.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        const token = await new CompactSign(Buffer.from('from jose'))
          .setProtectedHeader({ alg: keyKind === 'ec' ? 'ES256' : 'EdDSA', x5c: [der.toString('base64')] })
          .sign(createPrivateKey(world.senderId.privateKeyPem));
        const opened = await world.receiver.open(Buffer.from(token), world.senderAsPartner);
        assert.equal(Buffer.from(opened.payload).toString(), 'from jose');
      });
    });
  }

  it('refuses a certificate whose key does not fit the alg (BAD_SIGNATURE), and a truncated signature', async () => {
    const ed = await schemeWorld(jwsScheme, {}, 'ed25519');
    const edDer = Buffer.from(ed.senderId.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const mislabelled = await new CompactSign(Buffer.from('x'))
      .setProtectedHeader({ alg: 'ES256', x5c: [edDer.toString('base64')] })
      .sign(createPrivateKey(w.senderId.privateKeyPem));
    await rejects(ed.receiver.open(Buffer.from(mislabelled), ed.senderAsPartner), 'GNC_SECURITY_BAD_SIGNATURE');
    const sealed = Buffer.from(await w.sender.seal(Buffer.from('x'), w.receiverAsPartner)).toString('latin1');
    await rejects(w.receiver.open(Buffer.from(sealed.slice(0, -4)), w.senderAsPartner), 'GNC_SECURITY_BAD_SIGNATURE');
  });
});

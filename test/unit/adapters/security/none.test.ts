import { strict as assert } from 'node:assert';
import { noneScheme } from '../../../../adapters/security/none';
import { securitySchemes } from '../../../../adapters/security';
import { GncError } from '../../../../node/src/errors';
import { runSecuritySuite } from '../../../compliance/security-suite';

// `none` authenticates nothing: the suite defines only its round-trip and garbage tests for it.
runSecuritySuite('none', {
  authenticates: false,
  create: () => {
    const scheme = noneScheme({})({ keys: { certificatePem: '', privateKeyPem: '' } });
    return Promise.resolve({
      sender: scheme,
      receiver: scheme,
      receiverAsPartner: { partnerId: 'B', trustAnchorsPem: [] },
      senderAsPartner: { partnerId: 'A', trustAnchorsPem: [] },
    });
  },
});

describe('none security scheme', () => {
  it('is registered as "none"', () => {
    assert.equal(securitySchemes.none, noneScheme);
  });

  it('refuses to be created in production, with a clear GNC_CONFIG_INVALID', () => {
    assert.throws(
      () => noneScheme({ production: true }),
      (err: unknown) =>
        err instanceof GncError && err.code === 'GNC_CONFIG_INVALID' && /refused in production/.test(err.message),
    );
  });

  it('is created outside production and says it authenticates nothing', async () => {
    const scheme = noneScheme({ production: false })({ keys: { certificatePem: '', privateKeyPem: '' } });
    assert.equal(scheme.authenticates, false);
    const opened = await scheme.open(Buffer.from('x'), { partnerId: 'A', trustAnchorsPem: [] });
    assert.deepEqual(opened.signer, { certificatePem: '', subject: '', serialNumber: '' });
  });

  it('refuses options it does not know', () => {
    assert.throws(() => noneScheme({ encrypt: true }), /unknown option 'encrypt'/);
  });
});

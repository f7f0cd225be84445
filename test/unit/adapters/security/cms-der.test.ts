import { strict as assert } from 'node:assert';
import { Asn1Error, oid, oidDer, parseOne } from '../../../../adapters/security/cms/der';
import { OID } from '../../../../adapters/security/cms/oids';

describe('CMS DER reader: oid', () => {
  it('reads every OID the scheme knows, the same text on every read (cached by content bytes)', () => {
    for (const dotted of [...Object.values(OID), '2.999.1', '1.2.840.113549.1.9.16.1.23']) {
      for (let i = 0; i < 3; i++) assert.equal(oid(parseOne(oidDer(dotted)), 'test'), dotted);
    }
  });

  it('tells OIDs apart that differ in their last byte', () => {
    assert.equal(oid(parseOne(oidDer(OID.messageDigest)), 'test'), '1.2.840.113549.1.9.4');
    assert.equal(oid(parseOne(oidDer(OID.signingTime)), 'test'), '1.2.840.113549.1.9.5');
  });

  it('refuses a truncated OID every time, also after reading its valid prefix', () => {
    assert.equal(oid(parseOne(Buffer.from([0x06, 0x02, 0x2a, 0x03])), 'test'), '1.2.3');
    for (let i = 0; i < 2; i++) {
      assert.throws(() => oid(parseOne(Buffer.from([0x06, 0x02, 0x2a, 0x86])), 'test'), Asn1Error);
      assert.throws(() => oid(parseOne(Buffer.from([0x06, 0x00])), 'test'), Asn1Error);
    }
  });
});

import { strict as assert } from 'node:assert';
import {
  Asn1Error,
  headerLength,
  oid,
  oidDer,
  parseOne,
  tlv,
  writeHeader,
} from '../../../../adapters/security/cms/der';
import { OID } from '../../../../adapters/security/cms/oids';

describe('CMS DER reader: oid', () => {
  it('reads every OID the scheme knows, the same text on every read (cached by content bytes)', () => {
    for (const dotted of [...Object.values(OID), '2.999.1', '1.2.840.113549.1.9.16.1.23']) {
      for (let i = 0; i < 3; i++) assert.equal(oid(parseOne(oidDer(dotted)), 'test'), dotted);
    }
  });

  it('reads right past the bound of its cache: a thousand odd OIDs, then the known ones and the odd ones again', () => {
    const odd = Array.from({ length: 1000 }, (_, i) => `1.3.6.1.4.1.${i * 131}.${i}`);
    for (const dotted of odd) assert.equal(oid(parseOne(oidDer(dotted)), 'test'), dotted);
    for (const dotted of [...Object.values(OID), ...odd.slice(0, 10), ...odd.slice(-10)]) {
      assert.equal(oid(parseOne(oidDer(dotted)), 'test'), dotted);
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

describe('CMS DER writer: headers', () => {
  it('writes the length in its shortest form: one byte below 128, then 0x80 | count and the bytes', () => {
    const cases: Array<[number, string]> = [
      [0, '0400'],
      [127, '047f'],
      [128, '048180'],
      [255, '0481ff'],
      [256, '04820100'],
      [65_535, '0482ffff'],
      [65_536, '0483010000'],
      [16_777_216, '048401000000'],
    ];
    for (const [length, header] of cases) {
      assert.equal(headerLength(length), header.length / 2, `headerLength(${length})`);
      const out = new Uint8Array(8);
      assert.equal(writeHeader(out, 1, 0x04, length), 1 + header.length / 2);
      assert.equal(Buffer.from(out.subarray(1, 1 + header.length / 2)).toString('hex'), header);
    }
  });

  it('tlv writes its header, then the parts in order, and reads back as one element', () => {
    const parts = [Buffer.alloc(100, 1), Buffer.alloc(60, 2)];
    const der = tlv(0x30, ...parts);
    assert.equal(der.subarray(0, 3).toString('hex'), '3081a0');
    const el = parseOne(der);
    assert.equal(el.contentEnd - el.contentStart, 160);
    assert.deepEqual(der.subarray(3), Buffer.concat(parts));
  });
});

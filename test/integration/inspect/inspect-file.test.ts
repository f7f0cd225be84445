import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { messageFormats } from '../../../adapters/format';
import { securitySchemes } from '../../../adapters/security';
import { createCertificateAuthority } from '../../../node/src/identity';
import { inspectFile } from '../../../node/src/inspect/inspect-file';
import { sampleEnvelopes } from '../../compliance/format-suite';
import { conformanceDir } from '../../support/conformance-dir';

const conformance = conformanceDir();
const sample = (...parts: string[]) => readFile(path.join(conformance, ...parts));

describe('inspectFile', () => {
  it('recognises an EDIFACT CUSDEC interchange and names its parties and references', async () => {
    const summary = await inspectFile(await sample('edifact', 'au_ics_cusdec_d99b.edi'));
    assert.equal(summary.kind, 'edifact-interchange');
    assert.equal(summary.details.body, 'declaration');
    assert.equal(summary.details.sender, 'AAA676Y');
    assert.equal(summary.details.lrn, '200401270001');
  });

  it('recognises a WCO Data Model declaration', async () => {
    const summary = await inspectFile(await sample('xml', 'hmrc_cds_wco_dms', 'IM001a_declaration_H1_import.xml'));
    assert.equal(summary.kind, 'wco-xml-declaration');
    assert.equal(summary.details.lrn, '7847767E1WB6');
    assert.ok((summary.details.parties as string[]).includes('GB603202734852'));
  });

  it('recognises an AS4 UserMessage with its message id and parties', async () => {
    const summary = await inspectFile(await sample('as4', 'phase4', 'UserMessage_soap12.xml'));
    assert.equal(summary.kind, 'as4-message');
    assert.deepEqual(summary.details.signals, ['UserMessage']);
    assert.deepEqual(summary.details.parties, ['5209999001264', '5209999001295']);
    assert.equal(summary.signature?.status, 'no certificate included');
  });

  it('verifies the signature of an RFC 4134 CMS SignedData against the certificate it carries, and notices a changed byte', async () => {
    const bytes = await sample('cms', 'rfc4134', '4.2.bin');
    const good = await inspectFile(bytes);
    assert.equal(good.kind, 'cms-signed-data');
    assert.equal(good.signature?.status, 'valid');
    assert.equal(good.signature?.signer, 'CN=AliceRSA');
    // The last bytes of 4.2.bin are the RSA signature value.
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0xff;
    assert.equal((await inspectFile(tampered)).signature?.status, 'invalid');
  });

  it('verifies a JWS carrying its certificate, and inspects the envelope inside', async () => {
    const ca = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
    const keys = await ca.issue({ commonName: 'node.customsamsp', nodeOU: 'peer' });
    const envelope = sampleEnvelopes().sealEvent!;
    const jws = await securitySchemes.jws!({})({ keys }).seal(messageFormats.json!({})({}).encode(envelope), {
      partnerId: 'CustomsB',
      trustAnchorsPem: [ca.caCertificatePem],
    });
    const summary = await inspectFile(Buffer.from(jws));
    assert.equal(summary.kind, 'jws-compact');
    assert.equal(summary.signature?.status, 'valid');
    assert.match(summary.signature?.signer ?? '', /node\.customsamsp/);
    assert.equal(summary.payload?.kind, 'gnc-json-envelope');
    assert.equal(summary.payload?.details.body, 'sealEvent');
  });

  it('refuses bytes it cannot parse with a typed error', async () => {
    await assert.rejects(inspectFile(Buffer.from([0x08, 0x96, 0x01, 0xff, 0xff])), { code: 'GNC_FORMAT_INVALID' });
  });
});

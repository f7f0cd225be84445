import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SignedXml } from 'xml-crypto';
import { securitySchemes } from '../../../../adapters/security';
import { NotXmlPayloadError, xmldsigScheme } from '../../../../adapters/security/xmldsig';
import { GncError } from '../../../../node/src/errors';
import { runSecuritySuite } from '../../../compliance/security-suite';
import { schemeWorld, type SchemeWorld } from './fixtures';
import { conformanceDir } from '../../../support/conformance-dir';

// The suite seals JSON, empty and random binary payloads: with `carryNonXml` they travel base64 in
// a signed container; the default (XML only) is tested below.
runSecuritySuite('xmldsig', {
  label: 'RSA-SHA256, carryNonXml',
  authenticates: true,
  create: () => schemeWorld(xmldsigScheme, { carryNonXml: true }, 'rsa'),
});
runSecuritySuite('xmldsig', {
  label: 'ECDSA-SHA256, carryNonXml',
  authenticates: true,
  create: () => schemeWorld(xmldsigScheme, { carryNonXml: true }, 'ec'),
});

const conformance = conformanceDir();
const SAMPLE = path.join(conformance, 'xml/hmrc_cds_wco_dms/IM001a_declaration_H1_import.xml');

async function rejects(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GncError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

for (const kind of ['rsa', 'ec'] as const) {
  describe(`xmldsig security scheme (${kind})`, function () {
    this.timeout(60_000);
    let w: SchemeWorld;
    let sample: Buffer;
    before(async () => {
      w = await schemeWorld(xmldsigScheme, {}, kind);
      sample = readFileSync(SAMPLE);
    });

    it('is registered as "xmldsig" (loaded on first use), and seals and opens a declaration', async () => {
      const registered = await schemeWorld(securitySchemes.xmldsig!, {}, kind);
      assert.equal(registered.sender.name, 'xmldsig');
      const sealed = await registered.sender.seal(sample, registered.receiverAsPartner);
      const own = await registered.receiver.open(sealed, registered.senderAsPartner);
      assert.deepEqual(Buffer.from(own.payload), sample);
    });

    it('signs a WCO declaration in place and gives back its exact bytes', async () => {
      const sealed = Buffer.from(await w.sender.seal(sample, w.receiverAsPartner));
      const text = sealed.toString('utf8');
      assert.match(text, /<ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
      assert.match(text, /<ds:Reference URI="">/);
      assert.match(text, kind === 'rsa' ? /xmldsig-more#rsa-sha256/ : /xmldsig-more#ecdsa-sha256/);
      assert.match(text, /xml-exc-c14n#/);
      assert.match(text, /<ds:X509Certificate>/);
      assert.ok(text.indexOf('<ds:Signature') < text.lastIndexOf('</md:MetaData>'));
      const opened = await w.receiver.open(sealed, w.senderAsPartner);
      assert.ok(Buffer.from(opened.payload).equals(sample));
      assert.equal(opened.signer.serialNumber, w.senderId.serial);
    });

    it('refuses a payload that is not XML (NotXmlPayloadError, MALFORMED) unless carryNonXml', async () => {
      for (const p of [Buffer.from('{"a":1}'), Buffer.alloc(0), Buffer.from('UNB+UNOC:3+X+Y')]) {
        await assert.rejects(w.sender.seal(p, w.receiverAsPartner), (err: unknown) => {
          assert.ok(err instanceof NotXmlPayloadError, String(err));
          assert.equal(err.code, 'GNC_SECURITY_MALFORMED');
          return true;
        });
      }
      await rejects(w.receiver.open(Buffer.from('{"a":1}'), w.senderAsPartner), 'GNC_SECURITY_MALFORMED', /not an XML/);
    });

    it('refuses a DTD / entity document before any signature work (MALFORMED, with the position)', async () => {
      const bomb =
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<lolz>&lol2;</lolz>';
      await rejects(w.sender.seal(Buffer.from(bomb), w.receiverAsPartner), 'GNC_SECURITY_MALFORMED', /DOCTYPE/);
      await rejects(
        w.receiver.open(Buffer.from(bomb), w.senderAsPartner),
        'GNC_SECURITY_MALFORMED',
        /line 2, column 1/,
      );
    });

    it('refuses an unsigned document (MISSING_SIGNATURE) and a non-XML container when carryNonXml is off', async () => {
      await rejects(w.receiver.open(sample, w.senderAsPartner), 'GNC_SECURITY_MISSING_SIGNATURE');
      const carrier = xmldsigScheme({ carryNonXml: true })({
        keys: { certificatePem: w.senderId.certificatePem, privateKeyPem: w.senderId.privateKeyPem },
      });
      const sealed = await carrier.seal(Buffer.from('{"a":1}'), w.receiverAsPartner);
      await rejects(w.receiver.open(sealed, w.senderAsPartner), 'GNC_SECURITY_MALFORMED', /carryNonXml/);
    });

    it('refuses a changed value (BAD_SIGNATURE)', async () => {
      const sealed = Buffer.from(await w.sender.seal(sample, w.receiverAsPartner)).toString('utf8');
      const forged = sealed.replace(
        '<QuantityQuantity>50</QuantityQuantity>',
        '<QuantityQuantity>5</QuantityQuantity>',
      );
      assert.notEqual(forged, sealed);
      await rejects(w.receiver.open(Buffer.from(forged), w.senderAsPartner), 'GNC_SECURITY_BAD_SIGNATURE');
    });

    describe('signature wrapping', () => {
      let sealed: string;
      let signature: string;
      let declaration: string;
      before(async () => {
        sealed = Buffer.from(await w.sender.seal(sample, w.receiverAsPartner)).toString('utf8');
        signature = sealed.slice(sealed.indexOf('<ds:Signature'), sealed.indexOf('</ds:Signature>') + 15);
        declaration = sealed.slice(sealed.indexOf('<Declaration '), sealed.indexOf('</Declaration>') + 14);
      });

      it('refuses the signed document moved under a new root with forged content (MALFORMED)', async () => {
        const body = sealed.replace(/^<\?xml[^>]*>/, '');
        const forged = `<?xml version="1.0"?><md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"><Declaration><FunctionalReferenceID>FORGED</FunctionalReferenceID></Declaration><Wrapper>${body}</Wrapper></md:MetaData>`;
        await rejects(
          w.receiver.open(Buffer.from(forged), w.senderAsPartner),
          'GNC_SECURITY_MALFORMED',
          /child of the root/,
        );
      });

      it('refuses a duplicated signed element placed before the original (BAD_SIGNATURE)', async () => {
        const forgedDeclaration = declaration.replace('7847767E1WB6', 'FORGED-LRN');
        const forged = sealed.replace(declaration, forgedDeclaration + declaration);
        await rejects(w.receiver.open(Buffer.from(forged), w.senderAsPartner), 'GNC_SECURITY_BAD_SIGNATURE');
      });

      it('refuses a duplicated signature (MALFORMED)', async () => {
        const forged = sealed.replace(signature, signature + signature);
        await rejects(w.receiver.open(Buffer.from(forged), w.senderAsPartner), 'GNC_SECURITY_MALFORMED', /exactly one/);
      });

      it('refuses a signature whose Reference covers one element by Id only (MALFORMED)', async () => {
        // A genuine signature by the trusted sender over a small element; an attacker appends
        // unsigned content elsewhere. Only whole-document references are accepted.
        const xml = `<Root><Signed Id="s1">ok</Signed><Unsigned>anything</Unsigned></Root>`;
        const sig = new SignedXml({ privateKey: w.senderId.privateKeyPem });
        sig.signatureAlgorithm =
          kind === 'rsa'
            ? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
            : 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
        sig.canonicalizationAlgorithm = 'http://www.w3.org/2001/10/xml-exc-c14n#';
        sig.addReference({
          xpath: "//*[@Id='s1']",
          transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'],
          digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        });
        if (kind === 'rsa') {
          sig.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
          await rejects(
            w.receiver.open(Buffer.from(sig.getSignedXml()), w.senderAsPartner),
            'GNC_SECURITY_MALFORMED',
            /URI must be ""/,
          );
        } else {
          // Same shape, by hand: the checks refuse it before any key is used.
          const partial = signature.replace('URI=""', 'URI="#s1"');
          const forged = sealed.replace(signature, partial);
          await rejects(
            w.receiver.open(Buffer.from(forged), w.senderAsPartner),
            'GNC_SECURITY_MALFORMED',
            /URI must be ""/,
          );
        }
      });
    });

    it('refuses unknown options and unsupported keys at creation', async () => {
      assert.throws(
        () => xmldsigScheme({ encrypt: true }),
        (err: unknown) => err instanceof GncError && err.code === 'GNC_CONFIG_INVALID',
      );
      const ed = await w.caA.issue({ commonName: 'ed', kind: 'ed25519' });
      assert.throws(() => xmldsigScheme({})({ keys: ed }), /not supported/);
    });
  });
}

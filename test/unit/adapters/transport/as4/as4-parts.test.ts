import { strict as assert } from 'node:assert';
import { transportErrorOf } from '../../../../../adapters/transport/as4/ebms-errors';
import { SECURITY_SLOT, readEnvelope, userMessageEnvelope } from '../../../../../adapters/transport/as4/ebms-messages';
import { MimeError, buildMultipart, parseMultipart } from '../../../../../adapters/transport/as4/mime';
import { EBMS_DEFAULTS } from '../../../../../adapters/transport/as4/namespaces';
import { SignatureError, signParts, verifySignature } from '../../../../../adapters/transport/as4/ws-security';
import { As4XmlError, assertSafeXml, decodeUtf8, parseSafeXml } from '../../../../../adapters/transport/as4/xml-dom';
import {
  issueTransportCertificate,
  type TransportCertificate,
} from '../../../../../adapters/transport/tls-certificates';
import { TransportErrorCode } from '../../../../../adapters/transport/transport-errors';
import { createCertificateAuthority } from '../../../../../node/src/identity';

describe('as4 building blocks', () => {
  describe('mime', () => {
    const parts = [
      { contentId: 'soap@x', contentType: 'application/soap+xml', body: Buffer.from('<e/>') },
      { contentId: 'p@x', contentType: 'application/octet-stream', body: Buffer.from([0, 13, 10, 45, 45, 255]) },
    ];

    it('round-trips binary parts, root first', () => {
      const { contentType, body } = buildMultipart(parts);
      const parsed = parseMultipart(contentType, body);
      assert.deepEqual(
        parsed.map((p) => [p.contentId, Buffer.from(p.body)]),
        parts.map((p) => [p.contentId, p.body]),
      );
    });

    it('refuses a truncated body, a duplicate Content-ID and base64 parts', () => {
      const { contentType, body } = buildMultipart(parts);
      assert.throws(() => parseMultipart(contentType, body.subarray(0, body.length - 10)), MimeError);
      const twice = buildMultipart([parts[0]!, parts[1]!, parts[1]!]);
      assert.throws(() => parseMultipart(twice.contentType, twice.body), /appears twice/);
      const b64 = Buffer.from(body.toString('latin1').replace(/binary/g, 'base64'), 'latin1');
      assert.throws(() => parseMultipart(contentType, b64), /base64 is not supported/);
    });
  });

  describe('safe XML', () => {
    it('refuses a DOCTYPE, an undeclared entity, deep nesting and UTF-16', () => {
      assert.throws(() => assertSafeXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'), /DOCTYPE/);
      assert.throws(() => assertSafeXml('<a>&x;</a>'), As4XmlError);
      assert.throws(() => assertSafeXml('<a>'.repeat(70) + '</a>'.repeat(70)), /deeper than 64/);
      assert.throws(() => decodeUtf8(Buffer.from([0xff, 0xfe, 0x3c, 0])), /UTF-16/);
      assert.equal(parseSafeXml('<a>&amp;&#233;</a>').documentElement?.textContent, '&é');
    });
  });

  describe('ws-security', () => {
    let signer: TransportCertificate;
    before(async () => {
      const ca = await createCertificateAuthority({ mspId: 'AMSP', organization: 'Customs A' });
      signer = await issueTransportCertificate(ca, { commonName: 'node.A' });
    });

    function signed(payload: Buffer) {
      const xml = userMessageEnvelope(
        {
          messageId: 'm@x',
          timestamp: 't',
          mpc: EBMS_DEFAULTS.MPC,
          from: { id: 'a', role: EBMS_DEFAULTS.ROLE },
          to: { id: 'b', role: EBMS_DEFAULTS.ROLE },
          service: { value: 's' },
          action: 'a',
          conversationId: 'c',
          parts: [{ contentId: 'p@x', mimeType: 'application/octet-stream' }],
        },
        '_m',
        '_b',
      );
      const attachment = { contentId: 'p@x', body: payload };
      return xml.replace(SECURITY_SLOT, signParts(xml, ['_m'], [attachment], signer).securityHeader);
    }

    it('verifies its own signature over eb:Messaging and the attachment', () => {
      const envelope = readEnvelope(parseSafeXml(signed(Buffer.from('x'))));
      const verified = verifySignature(envelope.doc, envelope.header, [{ contentId: 'p@x', body: Buffer.from('x') }]);
      assert.ok(verified);
      assert.ok(verified.elements.has(envelope.messaging));
      assert.ok(verified.contentIds.has('p@x'));
      assert.equal(verified.references.length, 2);
    });

    it('refuses another attachment, a missing one and a changed header', () => {
      const xml = signed(Buffer.from('x'));
      const envelope = readEnvelope(parseSafeXml(xml));
      assert.throws(
        () => verifySignature(envelope.doc, envelope.header, [{ contentId: 'p@x', body: Buffer.from('y') }]),
        SignatureError,
      );
      assert.throws(() => verifySignature(envelope.doc, envelope.header, []), /names no attachment/);
      const changed = readEnvelope(parseSafeXml(xml.replace('<eb:Action>a</eb:Action>', '<eb:Action>b</eb:Action>')));
      assert.throws(
        () => verifySignature(changed.doc, changed.header, [{ contentId: 'p@x', body: Buffer.from('x') }]),
        /digest of #_m/,
      );
    });
  });

  describe('transportErrorOf', () => {
    it('maps a gnc refusal, a Communication error and a Content error', () => {
      const gnc = transportErrorOf(
        { errorCode: 'EBMS:0004', severity: 'failure', detail: 'GNC_BUSY (503): busy' },
        500,
        'B',
      );
      assert.deepEqual([gnc.code, gnc.remoteCode, gnc.transient], [TransportErrorCode.REMOTE_ERROR, 'GNC_BUSY', true]);
      const refused = transportErrorOf(
        { errorCode: 'EBMS:0101', severity: 'failure', detail: 'GNC_TRANSPORT_PEER_UNKNOWN (403): who?' },
        403,
        'B',
      );
      assert.deepEqual([refused.code, refused.transient], [TransportErrorCode.PEER_REFUSED, false]);
      const missing = transportErrorOf(
        { errorCode: 'EBMS:0301', severity: 'failure', category: 'Communication' },
        200,
        'B',
      );
      assert.deepEqual([missing.remoteCode, missing.transient], ['EBMS:0301', true]);
      const content = transportErrorOf({ errorCode: 'EBMS:0003', severity: 'failure', category: 'Content' }, 200, 'B');
      assert.equal(content.transient, false);
    });
  });
});

/**
 * The as4 transport beyond the shared contract: P-Modes, WS-Security checks on receipt (tampering,
 * signature wrapping, a signer that is not the partner), the XML parser's refusals, duplicate
 * elimination between two nodes, and the Receipt checks on the sender's side.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { as4 } from '../../../adapters/transport/as4';
import {
  SECURITY_SLOT,
  userMessageEnvelope,
  type UserMessageFields,
} from '../../../adapters/transport/as4/ebms-messages';
import { buildMultipart, type MimePart } from '../../../adapters/transport/as4/mime';
import { EBMS_DEFAULTS } from '../../../adapters/transport/as4/namespaces';
import { signParts } from '../../../adapters/transport/as4/ws-security';
import { issueTransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { Transport, TransportPeer } from '../../../adapters/transport/transport';
import { TransportErrorCode } from '../../../adapters/transport/transport-errors';
import { createCertificateAuthority } from '../../../node/src/identity';
import { rejectsWithTransportError } from '../../compliance/transport-suite';
import { readAnswer, startReceiver, type ReceivingNode } from '../../unit/adapters/transport/as4/as4-fixtures';

const SOAP12 = 'application/soap+xml; charset=UTF-8';

function fields(overrides: Partial<UserMessageFields> = {}): UserMessageFields {
  return {
    messageId: `${randomUUID()}@test`,
    timestamp: new Date().toISOString(),
    mpc: EBMS_DEFAULTS.MPC,
    from: { id: 'node.SELLER', role: EBMS_DEFAULTS.ROLE },
    to: { id: 'SELLER', role: EBMS_DEFAULTS.ROLE },
    service: { value: 'urn:gnc-node:exchange' },
    action: 'Deliver',
    conversationId: 'c1',
    parts: [{ contentId: 'payload@test', mimeType: 'application/octet-stream' }],
    ...overrides,
  };
}

/** A signed UserMessage as a gnc sender builds it, with a hook to tamper after signing. */
function signedMessage(
  signer: { certificatePem: string; privateKeyPem: string },
  payload: Buffer,
  tamper: { xml?: (xml: string) => string; payload?: Buffer } = {},
): { contentType: string; body: Buffer } {
  const messagingId = '_ebmessaging-1';
  let xml = userMessageEnvelope(fields(), messagingId, '_body-1');
  const attachment: MimePart = { contentId: 'payload@test', contentType: 'application/octet-stream', body: payload };
  xml = xml.replace(SECURITY_SLOT, signParts(xml, [messagingId], [attachment], signer).securityHeader);
  if (tamper.xml) xml = tamper.xml(xml);
  const soap: MimePart = { contentId: 'soap@test', contentType: SOAP12, body: Buffer.from(xml) };
  return buildMultipart([soap, { ...attachment, body: tamper.payload ?? payload }]);
}

describe('as4 transport', function () {
  this.timeout(30_000);
  let node: ReceivingNode | undefined;
  const transports: Transport[] = [];
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    await Promise.all(transports.splice(0).map((t) => t.stop()));
  });

  describe('receiving: WS-Security', () => {
    it('accepts a message signed by the partner over its attachment and header', async () => {
      node = await startReceiver({});
      const message = signedMessage(node.partner, Buffer.from('declaration'));
      const answer = await node.post(message.body, message.contentType);
      assert.equal(answer.status, 200, answer.body.toString());
      assert.ok(readAnswer(answer).envelope.signal?.receipt);
      assert.equal(Buffer.from(node.received[0]!.bytes).toString(), 'declaration');
    });

    it('refuses an attachment changed after signing with EBMS:0101, delivering nothing', async () => {
      node = await startReceiver({});
      const message = signedMessage(node.partner, Buffer.from('declaration'), { payload: Buffer.from('DECLARATION') });
      const error = readAnswer(await node.post(message.body, message.contentType)).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0101');
      assert.match(error?.description ?? '', /digest of cid:payload@test/);
      assert.equal(node.received.length, 0);
    });

    it('refuses an ebMS header changed after signing (the action) with EBMS:0101', async () => {
      node = await startReceiver({ pmodes: { SELLER: { action: 'Other' } } });
      const message = signedMessage(node.partner, Buffer.from('x'), {
        xml: (xml) => xml.replace('<eb:Action>Deliver</eb:Action>', '<eb:Action>Other</eb:Action>'),
      });
      const error = readAnswer(await node.post(message.body, message.contentType)).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0101');
      assert.equal(node.received.length, 0);
    });

    it('refuses a wrapped header (a second element with the signed id) with EBMS:0101', async () => {
      node = await startReceiver({});
      const message = signedMessage(node.partner, Buffer.from('x'), {
        xml: (xml) =>
          xml
            .replace('<S12:Body ', '<S12:Body ')
            .replace(
              '</S12:Header>',
              '<x:W xmlns:x="urn:x" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="_ebmessaging-1"/></S12:Header>',
            ),
      });
      const error = readAnswer(await node.post(message.body, message.contentType)).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0101');
      assert.equal(node.received.length, 0);
    });

    it('refuses a valid signature by a certificate that is not the partner`s with EBMS:0101', async () => {
      node = await startReceiver({});
      const otherCa = await createCertificateAuthority({ mspId: 'RogueMSP', organization: 'Rogue' });
      const other = await issueTransportCertificate(otherCa, { commonName: 'node.SELLER' });
      const message = signedMessage(other, Buffer.from('x'));
      const error = readAnswer(await node.post(message.body, message.contentType)).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0101');
      assert.match(error?.description ?? '', /not SELLER's/);
      assert.equal(node.received.length, 0);
    });
  });

  describe('receiving: the XML parser', () => {
    const refusals: Record<string, string> = {
      'a DOCTYPE with entity expansion (billion laughs)':
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
        '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body>&lol2;</S12:Body></S12:Envelope>',
      'an external entity':
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
        '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body>&xxe;</S12:Body></S12:Envelope>',
      'an undeclared entity':
        '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body>&nbsp;</S12:Body></S12:Envelope>',
    };
    for (const [what, xml] of Object.entries(refusals)) {
      it(`refuses ${what} with EBMS:0009, delivering nothing`, async () => {
        node = await startReceiver({});
        const answer = await node.post(xml, SOAP12);
        assert.equal(answer.status, 400);
        const error = readAnswer(answer).envelope.signal?.errors[0];
        assert.equal(error?.errorCode, 'EBMS:0009');
        assert.equal(node.received.length, 0);
      });
    }
  });

  describe('between two nodes', () => {
    async function pair(initA: Record<string, unknown>, initB: Record<string, unknown>) {
      const caA = await createCertificateAuthority({ mspId: 'AMSP', organization: 'Customs A' });
      const caB = await createCertificateAuthority({ mspId: 'BMSP', organization: 'Customs B' });
      const idA = await issueTransportCertificate(caA, { commonName: 'node.A' });
      const idB = await issueTransportCertificate(caB, { commonName: 'node.B' });
      const peersOfB: TransportPeer[] = [
        { partnerId: 'A', endpoint: 'https://127.0.0.1:1/as4', trustAnchorsPem: [caA.caCertificatePem] },
      ];
      const a = as4(initA)({ ...idA, peers: () => [] });
      const b = as4(initB)({ ...idB, peers: () => peersOfB });
      transports.push(a, b);
      let calls = 0;
      const endpoint = await b.start((d) => {
        calls++;
        return Promise.resolve(Buffer.concat([Buffer.from(`answer ${calls}:`), d.bytes]));
      });
      await a.start(() => Promise.resolve(new Uint8Array()));
      const toB: TransportPeer = { partnerId: 'B', endpoint, trustAnchorsPem: [caB.caCertificatePem] };
      return { a, toB, calls: () => calls };
    }

    it('answers a resent message (same bytes, same MessageId) with the first Receipt, delivering once', async () => {
      const { a, toB, calls } = await pair({}, {});
      const first = await a.send(toB, Buffer.from('declaration 7'));
      const again = await a.send(toB, Buffer.from('declaration 7'));
      assert.equal(Buffer.from(first).toString(), 'answer 1:declaration 7');
      assert.deepEqual(again, first);
      assert.equal(calls(), 1);
    });

    it('works unsigned when both P-Modes say so', async () => {
      const unsigned = { defaultPMode: { sign: false, requireSignature: false } };
      const { a, toB } = await pair(unsigned, unsigned);
      assert.equal(Buffer.from(await a.send(toB, Buffer.from('x'))).toString(), 'answer 1:x');
    });

    it('an unsigned message to a node that requires signing fails permanently with EBMS:0103', async () => {
      const { a, toB, calls } = await pair({ defaultPMode: { sign: false, requireSignature: false } }, {});
      await rejectsWithTransportError(a.send(toB, Buffer.from('x')), {
        code: TransportErrorCode.REMOTE_ERROR,
        transient: false,
        remoteCode: 'EBMS:0103',
      });
      assert.equal(calls(), 0);
    });

    it('an unsigned Receipt, when our P-Mode requires signed ones, is refused (EBMS:0302 InvalidReceipt)', async () => {
      const { a, toB } = await pair({}, { defaultPMode: { sign: false } });
      await rejectsWithTransportError(a.send(toB, Buffer.from('x')), {
        code: TransportErrorCode.PROTOCOL,
        transient: false,
        remoteCode: 'EBMS:0302',
      });
    });

    it('a message under another agreement reference is refused with EBMS:0010', async () => {
      const { a, toB, calls } = await pair(
        { defaultPMode: { agreementRef: 'urn:agreement:1' } },
        {
          pmodes: { A: { agreementRef: 'urn:agreement:2' } },
        },
      );
      await rejectsWithTransportError(a.send(toB, Buffer.from('x')), {
        code: TransportErrorCode.REMOTE_ERROR,
        transient: false,
        remoteCode: 'EBMS:0010',
      });
      assert.equal(calls(), 0);
    });

    it('a message for another service is refused with EBMS:0001', async () => {
      const { a, toB } = await pair({ defaultPMode: { service: 'urn:elsewhere' } }, {});
      await rejectsWithTransportError(a.send(toB, Buffer.from('x')), {
        code: TransportErrorCode.REMOTE_ERROR,
        transient: false,
        remoteCode: 'EBMS:0001',
      });
    });

    it('refuses a non-https endpoint as a configuration error', async () => {
      const { a, toB } = await pair({}, {});
      await rejectsWithTransportError(a.send({ ...toB, endpoint: 'http://127.0.0.1:1/as4' }, Buffer.from('x')), {
        code: TransportErrorCode.BAD_CONFIGURATION,
        transient: false,
      });
    });
  });
});

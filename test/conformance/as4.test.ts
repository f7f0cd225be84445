/**
 * Conformance with the ebMS 3 / AS4 samples of phase4 (files and provenance in
 * $GNC_CONFORMANCE_DIR/as4/phase4/, never copied here). Each sample is posted as it is, over
 * mutual TLS, to a running as4 transport, and the answer is checked:
 *
 * - UserMessage (SOAP 1.2, unsigned, payload in the SOAP Body): with a P-Mode that does not require
 *   signing, a Receipt whose non-repudiation information digests the eb:Messaging header and the
 *   Body payload, and the payload delivered; with the default P-Mode (signing required), the
 *   ebMS Error EBMS:0103 PolicyNoncompliance; with another service, EBMS:0001 ValueNotRecognized;
 * - Receipt (SOAP 1.1) and Error EBMS:0001 (SOAP 1.2): read as signals (and the Error mapped to the
 *   TransportError a sender would see); posted unsolicited, acknowledged with 202 and not delivered;
 * - PullRequest: answered with EBMS:0006 EmptyMessagePartitionChannel (a warning: we only push).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { transportErrorOf } from '../../adapters/transport/as4/ebms-errors';
import { readEnvelope } from '../../adapters/transport/as4/ebms-messages';
import { canonicalize } from '../../adapters/transport/as4/ws-security';
import { elementsWithId, parseSafeXml } from '../../adapters/transport/as4/xml-dom';
import { TransportErrorCode } from '../../adapters/transport/transport-errors';
import { readAnswer, startReceiver, type ReceivingNode } from '../unit/adapters/transport/as4/as4-fixtures';
import { conformanceDir } from '../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const DIR = path.join(CONFORMANCE_DIR, 'as4', 'phase4');
const read = (name: string): Buffer => readFileSync(path.join(DIR, name));
const SOAP12 = 'application/soap+xml; charset=UTF-8';

/** The P-Mode the UserMessage sample was sent under, as the receiving side (the buyer) holds it. */
const SAMPLE_PMODE = {
  service: 'http://docs.oasis-open.org/ebxml-msg/as4/200902/service',
  action: 'http://docs.oasis-open.org/ebxml-msg/as4/200902/action',
  party: { id: '5209999001295', type: 'urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088', role: 'Buyer' },
  partner: { id: '5209999001264', type: 'urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088', role: 'Seller' },
};

describe('AS4 conformance (phase4 samples)', function () {
  this.timeout(30_000);
  let node: ReceivingNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  describe('UserMessage_soap12.xml (unsigned, payload in the SOAP Body)', () => {
    const sample = () => read('UserMessage_soap12.xml');

    it('gets a Receipt with non-repudiation information when the P-Mode does not require signing', async () => {
      node = await startReceiver({ pmodes: { SELLER: { ...SAMPLE_PMODE, requireSignature: false } } });
      const answer = await node.post(sample(), SOAP12);
      assert.equal(answer.status, 200);
      const { envelope, attachments } = readAnswer(answer);
      const receipt = envelope.signal?.receipt;
      assert.ok(receipt, 'a Receipt signal');
      assert.equal(envelope.signal?.refToMessageId, '2011-921@5209999001264.example.com');
      assert.equal(envelope.signal?.errors.length, 0);

      // The digests are those of the parts as received: eb:Messaging (by its id) and the Body.
      const doc = parseSafeXml(sample().toString('utf8'));
      const digestOf = (id: string) =>
        createHash('sha256')
          .update(canonicalize(elementsWithId(doc, id)[0]!))
          .digest('base64');
      const byUri = new Map(receipt.nri.map((r) => [r.uri, r.digestValue]));
      assert.equal(
        byUri.get('#_9ecb9d3c-cef8-4006-ac18-f425c5c7ae3d'),
        digestOf('_9ecb9d3c-cef8-4006-ac18-f425c5c7ae3d'),
      );
      assert.equal(
        byUri.get('#_f8aa8b55-b31c-4364-94d0-3615ca65aa40'),
        digestOf('_f8aa8b55-b31c-4364-94d0-3615ca65aa40'),
      );

      // Delivered: the Body's element in exclusive canonical form; the node's answer rides along.
      assert.equal(node.received.length, 1);
      assert.equal(node.received[0]?.partnerId, 'SELLER');
      const payload = Buffer.from(node.received[0].bytes).toString('utf8');
      assert.match(
        payload,
        /^<CrossIndustryInvoice xmlns="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:2">/,
      );
      const href = receipt.applicationResponseHref ?? '';
      const answerPart = attachments.find((a) => `cid:${a.contentId}` === href);
      assert.equal(Buffer.from(answerPart?.body ?? []).toString('utf8'), `receipt:${payload}`);
    });

    it('answers a resent MessageId with a Receipt carrying the first answer, without delivering twice', async () => {
      node = await startReceiver({ pmodes: { SELLER: { ...SAMPLE_PMODE, requireSignature: false } } });
      const answerOf = (a: Awaited<ReturnType<ReceivingNode['post']>>) => {
        const { envelope, attachments } = readAnswer(a);
        const href = envelope.signal?.receipt?.applicationResponseHref ?? '';
        return {
          refTo: envelope.signal?.refToMessageId,
          answer: Buffer.from(attachments.find((p) => `cid:${p.contentId}` === href)?.body ?? []).toString(),
        };
      };
      const first = answerOf(await node.post(sample(), SOAP12));
      const second = answerOf(await node.post(sample(), SOAP12));
      assert.deepEqual(second, first);
      assert.equal(node.received.length, 1);
    });

    it('is refused with EBMS:0103 PolicyNoncompliance when the P-Mode requires signing', async () => {
      node = await startReceiver({ pmodes: { SELLER: SAMPLE_PMODE } });
      const answer = await node.post(sample(), SOAP12);
      assert.equal(answer.status, 400);
      const error = readAnswer(answer).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0103');
      assert.equal(error?.shortDescription, 'PolicyNoncompliance');
      assert.equal(error?.severity, 'failure');
      assert.equal(error?.refToMessageInError, '2011-921@5209999001264.example.com');
      assert.equal(node.received.length, 0);
    });

    it('is refused with EBMS:0001 ValueNotRecognized under a P-Mode for another service', async () => {
      node = await startReceiver({
        pmodes: { SELLER: { ...SAMPLE_PMODE, requireSignature: false, service: 'urn:other' } },
      });
      const answer = await node.post(sample(), SOAP12);
      const error = readAnswer(answer).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0001');
      assert.equal(node.received.length, 0);
    });

    it('is refused with EBMS:0010 ProcessingModeMismatch when the parties are not the agreement`s', async () => {
      node = await startReceiver({
        pmodes: { SELLER: { ...SAMPLE_PMODE, requireSignature: false, partner: { ...SAMPLE_PMODE.partner, id: '1' } } },
      });
      const error = readAnswer(await node.post(sample(), SOAP12)).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0010');
      assert.equal(node.received.length, 0);
    });
  });

  describe('Receipt_soap11.xml', () => {
    it('is read as a Receipt signal with its non-repudiation information', () => {
      const envelope = readEnvelope(parseSafeXml(read('Receipt_soap11.xml').toString('utf8')));
      assert.equal(envelope.soapVersion, '1.1');
      assert.equal(envelope.signal?.messageId, 'uiwtoruiopwr2543890@b.example.com');
      assert.equal(envelope.signal?.refToMessageId, 'uiopfdsmnf4898965563434@a.example.com');
      assert.deepEqual(
        envelope.signal?.receipt?.nri.map((r) => [r.uri, r.digestAlgorithm, r.digestValue]),
        [
          ['http://b.example.com/doc45/#b', 'http://www.w3.org/2000/09/xmldsig#sha1', 'fX/iNylcUHNLV4lCE0eC7aEGP28='],
          ['http:/a.example.com/doc23/#a', 'http://www.w3.org/2000/09/xmldsig#sha1', 'fX/iNylcUHNLV4lCE0eC7aEGP28='],
        ],
      );
    });

    it('posted unsolicited, is acknowledged with 202 and delivers nothing', async () => {
      node = await startReceiver({});
      const answer = await node.post(read('Receipt_soap11.xml'), 'text/xml; charset=UTF-8');
      assert.equal(answer.status, 202);
      assert.equal(answer.body.length, 0);
      assert.equal(node.received.length, 0);
    });
  });

  describe('Error_EBMS0001_soap12.xml', () => {
    it('is read as an Error signal and maps to a permanent REMOTE_ERROR with the ebMS code', () => {
      const envelope = readEnvelope(parseSafeXml(read('Error_EBMS0001_soap12.xml').toString('utf8')));
      const error = envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0001');
      assert.equal(error?.shortDescription, 'ValueNotRecognized');
      assert.equal(error?.category, 'Content');
      assert.equal(error?.refToMessageInError, 'ph-as4@42ec020f-9553-4b6d-ba8e-265cf1f6fd34');
      const mapped = transportErrorOf(error, 200, 'B');
      assert.equal(mapped.code, TransportErrorCode.REMOTE_ERROR);
      assert.equal(mapped.remoteCode, 'EBMS:0001');
      assert.equal(mapped.transient, false);
    });

    it('posted unsolicited, is acknowledged with 202', async () => {
      node = await startReceiver({});
      const answer = await node.post(read('Error_EBMS0001_soap12.xml'), SOAP12);
      assert.equal(answer.status, 202);
      assert.equal(node.received.length, 0);
    });
  });

  describe('PullRequest_soap12.xml', () => {
    it('is answered with EBMS:0006 EmptyMessagePartitionChannel (warning): this node only pushes', async () => {
      node = await startReceiver({});
      const answer = await node.post(read('PullRequest_soap12.xml'), SOAP12);
      assert.equal(answer.status, 200);
      const error = readAnswer(answer).envelope.signal?.errors[0];
      assert.equal(error?.errorCode, 'EBMS:0006');
      assert.equal(error?.shortDescription, 'EmptyMessagePartitionChannel');
      assert.equal(error?.severity, 'warning');
      assert.equal(error?.refToMessageInError, 'msg123@smallco.example.com');
    });
  });
});

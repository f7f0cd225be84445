import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { messageFormats } from '../../../adapters/format';
import { securitySchemes } from '../../../adapters/security';
import type { LocalKeys } from '../../../adapters/security/security-scheme';
import { transports } from '../../../adapters/transport';
import { issueTransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { TransportError } from '../../../adapters/transport/transport-errors';
import { gnc } from '../../../node/src/gen/gnc';
import { createCertificateAuthority, loadCertificateAuthority } from '../../../node/src/identity';
import { waitFor } from '../../../node/src/util/wait-for';
import { createExchangePair } from '../../support/exchange-pair';
import { temporaryDirectory } from '../../support/test-organizations';

/**
 * What a receiving node refuses, with the typed error the sender gets back, the message
 * delivered to nobody, and the reason counted in the receiver's metrics. The messages are made
 * by hand here (A's transport identity, chosen signing keys, chosen header) and sent straight
 * through the transport, the way a faulty or hostile partner would.
 */
describe('ExchangeNode rejections (HTTP/2 mTLS + JWS + JSON)', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let pair: Awaited<ReturnType<typeof createExchangePair>>;
  const json = messageFormats.json!({})({});

  before(async () => {
    tmp = await temporaryDirectory('rejections');
    pair = await createExchangePair(
      tmp.dir,
      { transport: 'http', security: 'jws', format: 'json' },
      {
        // B's agreement with A: small messages only, and A may not send inspections to B.
        toA: {
          maxMessageBytes: 4096,
          replayWindowSeconds: 60,
          utilityBlocks: [
            { id: 'transit-seal-events', direction: 'both' },
            { id: 'inspection-result-sharing', direction: 'send' },
          ],
        },
      },
    );
  });
  after(async () => {
    await pair.stop();
    await tmp.remove();
  });

  const envelope = (overrides: Partial<gnc.v1.IMessageHeader> = {}, remarksBytes = 10): gnc.v1.IEnvelope => ({
    header: {
      messageId: `hand-made-${Math.random().toString(16).slice(2)}`,
      senderId: 'CustomsA',
      receiverId: 'CustomsB',
      utilityBlockId: 'transit-seal-events',
      utilityBlockVersion: '1',
      createdAtMs: Date.now(),
      ...overrides,
    },
    sealEvent: { eventId: 'e', sealId: 'ESEAL-1', containerId: 'x'.repeat(remarksBytes) },
  });

  const seal = (message: gnc.v1.IEnvelope, keys: LocalKeys = pair.a.keys) =>
    securitySchemes.jws!({})({ keys }).seal(json.encode(message), {
      partnerId: 'CustomsB',
      trustAnchorsPem: [pair.b.caCertificatePem],
    });

  /** A transport of its own with a transport identity (A's by default), started, to send hand-made bytes. */
  const rawTransport = async (tls = pair.a.transportKeys.http) => {
    const transport = transports.http!({})({ ...tls, peers: () => [] });
    await transport.start(() => Promise.reject(new Error('this transport only sends')));
    return transport;
  };
  const toB = () => ({
    partnerId: 'CustomsB',
    endpoint: `https://127.0.0.1:${pair.b.ports.http}`,
    trustAnchorsPem: [pair.b.caCertificatePem],
  });

  /** Sends raw bytes to B as A's transport identity (or another), and returns the error B answered with. */
  const sendRaw = async (bytes: Uint8Array, tls = pair.a.transportKeys.http): Promise<TransportError> => {
    const transport = await rawTransport(tls);
    try {
      await transport.send(toB(), bytes, { timeoutMs: 10_000 });
      assert.fail('B accepted the message');
    } catch (error) {
      if ((error as Error).name === 'AssertionError') throw error;
      if (process.env.GNC_TEST_LOG) console.error(error);
      return error as TransportError;
    } finally {
      await transport.stop();
    }
  };

  const inboxSize = async () => (await pair.b.store.inbox(1000)).length;
  const metrics = async () => pair.b.node.metrics.render(await pair.b.store.depths());

  it('refuses a bad signature', async () => {
    const sealed = Buffer.from(await seal(envelope()));
    // A compact JWS: change one character of the signature part.
    const text = sealed.toString('utf8');
    const tampered = text.slice(0, -5) + (text.at(-5) === 'A' ? 'B' : 'A') + text.slice(-4);
    const error = await sendRaw(Buffer.from(tampered));
    assert.equal(error.remoteCode, 'GNC_SECURITY_BAD_SIGNATURE');
    assert.equal(error.transient, false);
  });

  it('refuses a message with no signature', async () => {
    const error = await sendRaw(json.encode(envelope()));
    assert.match(error.remoteCode ?? '', /^GNC_SECURITY_(MALFORMED|MISSING_SIGNATURE)$/);
  });

  it('refuses a signer whose certificate does not chain to the partner’s trust anchor', async () => {
    const rogue = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
    const keys = await rogue.issue({ commonName: 'node.customsamsp', nodeOU: 'peer' });
    const error = await sendRaw(await seal(envelope(), keys));
    assert.equal(error.remoteCode, 'GNC_SECURITY_UNTRUSTED_CERTIFICATE');
  });

  it('refuses an expired signing certificate', async () => {
    const ca = await loadCertificateAuthority(pair.a.caCertificatePem, pair.a.caKeyPem);
    const keys = await ca.issue({
      commonName: 'old.customsamsp',
      nodeOU: 'peer',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const error = await sendRaw(await seal(envelope(), keys));
    assert.equal(error.remoteCode, 'GNC_SECURITY_CERTIFICATE_EXPIRED');
  });

  it('refuses a revoked signing certificate once its serial is in the partner’s revocation list', async () => {
    const ca = await loadCertificateAuthority(pair.a.caCertificatePem, pair.a.caKeyPem);
    const keys = await ca.issue({ commonName: 'stolen.customsamsp', nodeOU: 'peer' });
    const before = await inboxSize();
    const accepted = await (async () => {
      const transport = await rawTransport();
      try {
        return await transport.send(toB(), await seal(envelope(), keys));
      } finally {
        await transport.stop();
      }
    })();
    assert.ok(accepted.length > 0, 'accepted while not yet revoked');
    assert.equal(await inboxSize(), before + 1);
    pair.b.node.updateRevokedSerials('CustomsA', [new X509Certificate(keys.certificatePem).serialNumber]);
    const error = await sendRaw(await seal(envelope(), keys));
    assert.equal(error.remoteCode, 'GNC_SECURITY_CERTIFICATE_REVOKED');
    pair.b.node.updateRevokedSerials('CustomsA', []);
  });

  it('answers a retransmission with the first receipt and refuses the same message id with other bytes', async () => {
    const message = envelope();
    const first = Buffer.from(await seal(message));
    const transport = await rawTransport();
    const peer = toB();
    try {
      const receipt = Buffer.from(await transport.send(peer, first));
      const before = await inboxSize();
      assert.deepEqual(Buffer.from(await transport.send(peer, first)), receipt, 'the same receipt for the same bytes');
      assert.equal(await inboxSize(), before, 'delivered once');
    } finally {
      await transport.stop();
    }
    // ES256 signatures are randomised: sealing again gives other bytes under the same message id.
    const error = await sendRaw(await seal(message));
    assert.equal(error.remoteCode, 'GNC_EXCHANGE_REPLAY');
    assert.match(await metrics(), /gnc_messages_duplicate_total\{partner="CustomsA"\} 1/);
  });

  it('refuses a message created outside the replay window', async () => {
    const error = await sendRaw(await seal(envelope({ createdAtMs: Date.now() - 3_600_000 })));
    assert.equal(error.remoteCode, 'GNC_EXCHANGE_OUTSIDE_WINDOW');
  });

  it('refuses a Utility Block outside the agreement, and one agreed only in the other direction', async () => {
    const unknown = await sendRaw(await seal(envelope({ utilityBlockId: 'certificate-of-origin' })));
    assert.equal(unknown.remoteCode, 'GNC_EXCHANGE_NOT_AGREED');
    const inspection: gnc.v1.IEnvelope = {
      header: { ...envelope().header, utilityBlockId: 'inspection-result-sharing' },
      inspection: { inspectionId: 'I-1', declarationMrn: '26CN0000000000000A' },
    };
    const wrongDirection = await sendRaw(await seal(inspection));
    assert.equal(wrongDirection.remoteCode, 'GNC_EXCHANGE_NOT_AGREED');
  });

  it('refuses a header naming another sender than the authenticated connection', async () => {
    const error = await sendRaw(await seal(envelope({ senderId: 'CustomsZ' })));
    assert.equal(error.remoteCode, 'GNC_EXCHANGE_BAD_HEADER');
  });

  it('refuses a field outside the Utility Block’s data set, and strips such fields from what it sends', async () => {
    const message = envelope();
    message.sealEvent = { ...message.sealEvent, recordedBy: 'officer 4711' };
    const error = await sendRaw(await seal(message));
    assert.equal(error.remoteCode, 'GNC_EXCHANGE_OUTSIDE_DATA_SET');
    assert.match(error.message, /recordedBy/);

    // The node itself never sends it: submit strips it, and B accepts the rest.
    const id = await pair.a.node.submit('CustomsB', 'transit-seal-events', {
      sealEvent: { eventId: 'e-min', sealId: 'ESEAL-2', recordedBy: 'officer 4711' },
    });
    const entry = await waitFor('B to receive the minimised message', async () =>
      (await pair.b.store.inbox(1000)).find((e) => e.messageId === id),
    );
    const received = gnc.v1.Envelope.decode(entry.envelope);
    assert.equal(received.sealEvent?.sealId, 'ESEAL-2');
    assert.equal(received.sealEvent?.recordedBy, '');
  });

  it('refuses a message over the agreed size', async () => {
    const error = await sendRaw(await seal(envelope({}, 5000)));
    assert.equal(error.remoteCode, 'GNC_EXCHANGE_OVERSIZE');
  });

  it('refuses a connection from a party with no agreement', async () => {
    const stranger = await createCertificateAuthority({
      mspId: 'CustomsZMSP',
      organization: 'Customs Administration Z',
    });
    const tls = await issueTransportCertificate(stranger, { commonName: 'http.customszmsp' });
    const error = await sendRaw(await seal(envelope()), tls);
    assert.match(error.code, /^GNC_TRANSPORT_/);
    assert.equal(error.transient, false);
  });

  it('delivered none of the refused messages and counted each refusal by reason', async () => {
    const inbox = await pair.b.store.inbox(1000);
    // Only the genuine messages got in: the not-yet-revoked one, the retransmitted one and the minimised one.
    assert.equal(inbox.length, 3);
    const text = await metrics();
    for (const reason of [
      'GNC_SECURITY_BAD_SIGNATURE',
      'GNC_SECURITY_UNTRUSTED_CERTIFICATE',
      'GNC_SECURITY_CERTIFICATE_EXPIRED',
      'GNC_SECURITY_CERTIFICATE_REVOKED',
      'GNC_EXCHANGE_REPLAY',
      'GNC_EXCHANGE_OUTSIDE_WINDOW',
      'GNC_EXCHANGE_NOT_AGREED',
      'GNC_EXCHANGE_BAD_HEADER',
      'GNC_EXCHANGE_OUTSIDE_DATA_SET',
      'GNC_EXCHANGE_OVERSIZE',
    ]) {
      assert.match(
        text,
        new RegExp(`gnc_messages_rejected_total\\{partner="CustomsA",reason="${reason}"\\} [1-9]`),
        reason,
      );
    }
  });
});

import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Libp2p } from 'libp2p' with { 'resolution-mode': 'import' };
import { createCertificateAuthority, type CertificateAuthority } from '../../../node/src/identity';
import { libp2p } from '../../../adapters/transport/libp2p';
import {
  EXCHANGE_PROTOCOL,
  FrameType,
  decodeFrame,
  encodeFrame,
  encodeJsonFrame,
  parseErrorBody,
  type Frame,
} from '../../../adapters/transport/libp2p/frames';
import { issueTransportCertificate, type TransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { InboundDelivery, Transport, TransportPeer } from '../../../adapters/transport/transport';
import { TransportErrorCode } from '../../../adapters/transport/transport-errors';
import { rejectsWithTransportError } from '../../compliance/transport-suite';

/**
 * What the compliance suite cannot reach through the Transport interface: a remote that speaks
 * our protocol by hand, with a key that does not match the certificate it shows, or that skips
 * the HELLO. Such a remote is built from libp2p directly.
 */
describe('libp2p transport: peer identity', function () {
  this.timeout(30_000);

  let caA: CertificateAuthority;
  let caB: CertificateAuthority;
  let idA: TransportCertificate;
  let idB: TransportCertificate;
  let receiver: Transport;
  let receiverEndpoint: string;
  const received: InboundDelivery[] = [];
  const raw: Libp2p[] = [];

  before(async () => {
    caA = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
    caB = await createCertificateAuthority({ mspId: 'CustomsBMSP', organization: 'Customs B' });
    idA = await issueTransportCertificate(caA, { commonName: 'node.A', keyType: 'Ed25519' });
    idB = await issueTransportCertificate(caB, { commonName: 'node.B', keyType: 'Ed25519' });
  });

  beforeEach(async () => {
    received.length = 0;
    receiver = libp2p({})({
      certificatePem: idB.certificatePem,
      privateKeyPem: idB.privateKeyPem,
      peers: () => [agreementA()],
    });
    receiverEndpoint = await receiver.start((delivery) => {
      received.push(delivery);
      return Promise.resolve(new TextEncoder().encode('receipt'));
    });
  });

  afterEach(async () => {
    for (const node of raw.splice(0)) await node.stop();
    await receiver.stop();
  });

  function agreementA(overrides: Partial<TransportPeer> = {}): TransportPeer {
    return {
      partnerId: 'A',
      endpoint: '/ip4/127.0.0.1/tcp/1',
      trustAnchorsPem: [caA.caCertificatePem],
      peerId: idA.peerId,
      ...overrides,
    };
  }

  /** A bare libp2p node with the Ed25519 key of `privateKeyPem`. */
  async function rawNode(privateKeyPem: string): Promise<Libp2p> {
    const [{ createLibp2p }, { tcp }, { noise }, { yamux }] = await Promise.all([
      import('libp2p'),
      import('@libp2p/tcp'),
      import('@chainsafe/libp2p-noise'),
      import('@chainsafe/libp2p-yamux'),
    ]);
    const seed = Buffer.from(createPrivateKey(privateKeyPem).export({ format: 'jwk' }).d ?? '', 'base64url');
    const node = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', seed),
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
    raw.push(node);
    return node;
  }

  /** Sends one frame on a new stream of our protocol and reads the answer frame. */
  async function exchange(node: Libp2p, frame: Uint8Array): Promise<Frame> {
    const [{ multiaddr }, lp] = await Promise.all([import('@multiformats/multiaddr'), import('it-length-prefixed')]);
    const stream = await node.dialProtocol(multiaddr(receiverEndpoint), EXCHANGE_PROTOCOL);
    stream.send(lp.encode.single(frame));
    await stream.close();
    for await (const data of lp.decode(stream)) return decodeFrame(data.subarray());
    throw new Error('no answer frame');
  }

  it('refuses a peer that shows a partner certificate without holding its key', async () => {
    // The rogue has A's certificate (public) but its own key, hence another peer id.
    const rogueKey = (await issueTransportCertificate(caA, { commonName: 'rogue', keyType: 'Ed25519' })).privateKeyPem;
    const rogue = await rawNode(rogueKey);
    const answer = await exchange(
      rogue,
      encodeJsonFrame(FrameType.HELLO, { version: 1, certificates: [idA.certificatePem] }),
    );
    assert.equal(answer.type, FrameType.ERROR);
    // Its peer id is in no agreement, so it is refused before the certificate is even read.
    assert.equal(parseErrorBody(answer.body).code, TransportErrorCode.PEER_UNKNOWN);
  });

  it('refuses a certificate that does not name the peer id of the connection', async () => {
    // The agreement names the rogue's peer id, but the certificate it shows is A's.
    const rogueIdentity = await issueTransportCertificate(caA, { commonName: 'node.A', keyType: 'Ed25519' });
    await receiver.stop();
    receiver = libp2p({})({
      certificatePem: idB.certificatePem,
      privateKeyPem: idB.privateKeyPem,
      peers: () => [agreementA({ peerId: rogueIdentity.peerId })],
    });
    receiverEndpoint = await receiver.start(() => Promise.resolve(new Uint8Array()));
    const rogue = await rawNode(rogueIdentity.privateKeyPem);
    const answer = await exchange(
      rogue,
      encodeJsonFrame(FrameType.HELLO, { version: 1, certificates: [idA.certificatePem] }),
    );
    assert.equal(answer.type, FrameType.ERROR);
    const body = parseErrorBody(answer.body);
    assert.equal(body.code, TransportErrorCode.PEER_UNTRUSTED);
    assert.match(body.message, /does not name peer id/);
  });

  it('refuses a MESSAGE on a connection that has not said HELLO', async () => {
    const impostor = await rawNode(idA.privateKeyPem);
    const answer = await exchange(impostor, encodeFrame(FrameType.MESSAGE, new Uint8Array([1, 2, 3])));
    assert.equal(answer.type, FrameType.ERROR);
    assert.equal(parseErrorBody(answer.body).code, TransportErrorCode.PEER_UNTRUSTED);
    assert.equal(received.length, 0);
  });

  it('accepts HELLO then MESSAGE from the partner holding the key, as our transport sends them', async () => {
    const partner = await rawNode(idA.privateKeyPem);
    const hello = await exchange(
      partner,
      encodeJsonFrame(FrameType.HELLO, { version: 1, certificates: [idA.certificatePem] }),
    );
    assert.equal(hello.type, FrameType.HELLO_ACCEPTED);
    const answer = await exchange(partner, encodeFrame(FrameType.MESSAGE, new TextEncoder().encode('hi')));
    assert.equal(answer.type, FrameType.ANSWER);
    assert.equal(Buffer.from(answer.body).toString(), 'receipt');
    assert.equal(received[0]?.partnerId, 'A');
  });

  it('refuses to send to an endpoint whose peer is not the one of the agreement', async () => {
    const sender = libp2p({})({
      certificatePem: idA.certificatePem,
      privateKeyPem: idA.privateKeyPem,
      peers: () => [],
    });
    await sender.start(() => Promise.resolve(new Uint8Array()));
    try {
      const other = await issueTransportCertificate(caB, { commonName: 'node.B2', keyType: 'Ed25519' });
      const withoutPeerId = receiverEndpoint.replace(/\/p2p\/.*$/, '');
      const to: TransportPeer = {
        partnerId: 'B',
        endpoint: withoutPeerId,
        trustAnchorsPem: [caB.caCertificatePem],
        peerId: other.peerId,
      };
      await rejectsWithTransportError(sender.send(to, new Uint8Array([1])), {
        code: TransportErrorCode.PEER_UNTRUSTED,
        transient: false,
      });
      await rejectsWithTransportError(sender.send({ ...to, endpoint: receiverEndpoint }, new Uint8Array([1])), {
        code: TransportErrorCode.BAD_CONFIGURATION,
        transient: false,
      });
      assert.equal(received.length, 0);
    } finally {
      await sender.stop();
    }
  });

  it('refuses to start with a certificate that is not for its key or names no peer id', async () => {
    const p256 = await issueTransportCertificate(caA, { commonName: 'node.A' });
    const cases: Array<[string, string]> = [
      [p256.certificatePem, p256.privateKeyPem], // not Ed25519
      [idB.certificatePem, idA.privateKeyPem], // someone else's certificate
    ];
    for (const [certificatePem, privateKeyPem] of cases) {
      const transport = libp2p({})({ certificatePem, privateKeyPem, peers: () => [] });
      await rejectsWithTransportError(
        transport.start(() => Promise.resolve(new Uint8Array())),
        { code: TransportErrorCode.BAD_CONFIGURATION, transient: false },
      );
      await transport.stop();
    }
  });
});

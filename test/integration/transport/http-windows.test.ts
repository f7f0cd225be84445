import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { http } from '../../../adapters/transport/http';
import { issueTransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { Transport } from '../../../adapters/transport/transport';
import { createCertificateAuthority } from '../../../node/src/identity';

/**
 * The http transport opens its HTTP/2 flow-control windows wide enough for a whole request (a
 * batch frame), instead of the protocol's 64 KiB, which would make a large frame cross in many
 * WINDOW_UPDATE round trips. Checked from a plain node:http2 client: what the server advertises
 * (SETTINGS_INITIAL_WINDOW_SIZE, and the connection window its WINDOW_UPDATE opens).
 */
describe('http transport: HTTP/2 flow-control windows', function () {
  this.timeout(60_000);
  let receiver: Transport | undefined;
  let client: http2.ClientHttp2Session | undefined;

  afterEach(async () => {
    client?.destroy();
    await receiver?.stop();
  });

  async function connectTo(maxMessageBytes: number): Promise<http2.ClientHttp2Session> {
    const ca = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
    const serverIdentity = await issueTransportCertificate(ca, { commonName: 'node.B', keyType: 'P-256' });
    const clientIdentity = await issueTransportCertificate(ca, { commonName: 'node.A', keyType: 'P-256' });
    receiver = http({ maxMessageBytes })({
      certificatePem: serverIdentity.certificatePem,
      privateKeyPem: serverIdentity.privateKeyPem,
      peers: () => [{ partnerId: 'A', endpoint: 'https://127.0.0.1:1', trustAnchorsPem: [ca.caCertificatePem] }],
    });
    const endpoint = await receiver.start(() => Promise.resolve(new Uint8Array()));
    const session = http2.connect(endpoint, {
      ca: ca.caCertificatePem,
      cert: clientIdentity.certificatePem,
      key: clientIdentity.privateKeyPem,
    });
    client = session;
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    // A ping's answer comes after the WINDOW_UPDATE the server sent on its session's start.
    await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
    return session;
  }

  it('advertises a stream window that holds a whole request, and a connection window for four', async () => {
    const session = await connectTo(4 * 1024 * 1024);
    const stream = 4 * 1024 * 1024 + 16 * 1024;
    assert.equal(session.remoteSettings.initialWindowSize, stream);
    assert.equal(session.state.remoteWindowSize, 4 * stream);
  });

  it('caps the windows for a very large message limit (8 MiB a stream, 32 MiB the connection)', async () => {
    const session = await connectTo(64 * 1024 * 1024);
    assert.equal(session.remoteSettings.initialWindowSize, 8 * 1024 * 1024);
    assert.equal(session.state.remoteWindowSize, 32 * 1024 * 1024);
  });

  it("keeps at least the protocol's 64 KiB for a tiny message limit", async () => {
    const session = await connectTo(1);
    assert.equal(session.remoteSettings.initialWindowSize, 65_535);
    assert.equal(session.state.remoteWindowSize, 4 * 65_535);
  });
});

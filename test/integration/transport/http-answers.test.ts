import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { http } from '../../../adapters/transport/http';
import { issueTransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { Transport, TransportLogger } from '../../../adapters/transport/transport';
import { createCertificateAuthority } from '../../../node/src/identity';

/**
 * The http transport's answers reach the end of their write before the stream closes. Ending a
 * stream together with its body (end(body)) after the sender has ended its half lets Node destroy
 * the stream before the write completes, and every answer then fails its completion with
 * ERR_STREAM_DESTROYED; the transport reports such an undelivered answer as a warning, so a
 * normal exchange must log none. Checked from a plain node:http2 client, which also sees how each
 * answer ends: a whole body, END_STREAM, no trailers, no reset.
 */
describe('http transport: answers', function () {
  this.timeout(60_000);
  let receiver: Transport | undefined;
  let client: http2.ClientHttp2Session | undefined;
  const warnings: string[] = [];
  const logger: TransportLogger = {
    warn: (_details, message) => warnings.push(message),
    error: (_details, message) => warnings.push(message),
  };

  afterEach(async () => {
    client?.destroy();
    await receiver?.stop();
    warnings.length = 0;
  });

  async function connect(): Promise<http2.ClientHttp2Session> {
    const ca = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
    const serverIdentity = await issueTransportCertificate(ca, { commonName: 'node.B', keyType: 'P-256' });
    const clientIdentity = await issueTransportCertificate(ca, { commonName: 'node.A', keyType: 'P-256' });
    receiver = http({})({
      certificatePem: serverIdentity.certificatePem,
      privateKeyPem: serverIdentity.privateKeyPem,
      peers: () => [{ partnerId: 'A', endpoint: 'https://127.0.0.1:1', trustAnchorsPem: [ca.caCertificatePem] }],
      logger,
    });
    // Answers after a turn of the event loop, as the real pipeline does (it awaits its store).
    const endpoint = await receiver.start(
      (delivery) =>
        new Promise((resolve) => setImmediate(() => resolve(Buffer.concat([Buffer.from('receipt:'), delivery.bytes])))),
    );
    const session = http2.connect(endpoint, {
      ca: ca.caCertificatePem,
      cert: clientIdentity.certificatePem,
      key: clientIdentity.privateKeyPem,
    });
    client = session;
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    return session;
  }

  interface Answer {
    status: number;
    body: string;
    ended: boolean;
    trailers: boolean;
    rstCode: number | undefined;
  }

  function post(session: http2.ClientHttp2Session, path: string, body: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/octet-stream' });
      const answer: Answer = { status: 0, body: '', ended: false, trailers: false, rstCode: undefined };
      stream.on('response', (headers) => (answer.status = Number(headers[':status'])));
      stream.on('trailers', () => (answer.trailers = true));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (answer.body += chunk));
      stream.on('end', () => (answer.ended = true));
      stream.on('error', reject);
      stream.on('close', () => {
        answer.rstCode = stream.rstCode;
        resolve(answer);
      });
      stream.end(body);
    });
  }

  async function settle(session: http2.ClientHttp2Session): Promise<void> {
    // The server's write callbacks run after its frames left; a ping answered, plus a few
    // turns of its loop, comes after them.
    await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it('answers one request after another, each whole and closed cleanly, with no undelivered answer', async () => {
    const session = await connect();
    for (let i = 0; i < 100; i++) {
      const answer = await post(session, '/gnc/v1/messages', `message ${i}`);
      assert.deepEqual(answer, {
        status: 200,
        body: `receipt:message ${i}`,
        ended: true,
        trailers: false,
        rstCode: http2.constants.NGHTTP2_NO_ERROR,
      });
    }
    await settle(session);
    assert.deepEqual(warnings, []);
  });

  it('answers many concurrent requests on one connection with no undelivered answer', async () => {
    const session = await connect();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post(session, '/gnc/v1/batches', `frame ${i}`)),
    );
    answers.forEach((answer, i) => {
      assert.equal(answer.status, 200);
      assert.equal(answer.body, `receipt:frame ${i}`);
      assert.ok(answer.ended, `answer ${i} ended`);
    });
    await settle(session);
    assert.deepEqual(warnings, []);
  });

  it('answers a refusal (404 on an unknown path) as a whole JSON body with no undelivered answer', async () => {
    const session = await connect();
    const answer = await post(session, '/elsewhere', 'x');
    assert.equal(answer.status, 404);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'GNC_TRANSPORT_PROTOCOL');
    assert.ok(answer.ended);
    await settle(session);
    assert.deepEqual(warnings, []);
  });
});

/**
 * The filedrop transport beyond the shared contract: the folder layout (processed/, error/ with
 * .receipt and .error.json), no half-written file read, no file handled twice (two watchers, a
 * restart after a crash), files from a partner in no agreement refused, a stopped node picking up
 * nothing, and a timed-out send withdrawn.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filedrop } from '../../../adapters/transport/filedrop';
import { encodeFrame } from '../../../adapters/transport/filedrop/drop-file';
import { issueTransportCertificate, type TransportCertificate } from '../../../adapters/transport/tls-certificates';
import type { InboundDelivery, InboundHandler, Transport, TransportPeer } from '../../../adapters/transport/transport';
import { TransportErrorCode } from '../../../adapters/transport/transport-errors';
import { GncError } from '../../../node/src/errors';
import { createCertificateAuthority, type CertificateAuthority } from '../../../node/src/identity';
import { rejectsWithTransportError } from '../../compliance/transport-suite';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(10);
  }
}

interface Node {
  partnerId: string;
  ca: CertificateAuthority;
  identity: TransportCertificate;
  inbound: string;
  transport: Transport;
  peers: TransportPeer[];
  received: InboundDelivery[];
  handler: InboundHandler;
  start(): Promise<string>;
}

describe('filedrop transport', function () {
  this.timeout(30_000);
  let root: string;
  const nodes: Transport[] = [];
  const cas: Record<string, CertificateAuthority> = {};

  before(async () => {
    for (const org of ['A', 'B', 'X']) {
      cas[org] = await createCertificateAuthority({ mspId: `Customs${org}MSP`, organization: `Customs ${org}` });
    }
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gnc-filedrop-'));
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((t) => t.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  async function makeNode(partnerId: string, ca: string, init: Record<string, unknown> = {}, inbound?: string) {
    const identity = await issueTransportCertificate(cas[ca]!, { commonName: `node.${partnerId}` });
    const folder = inbound ?? join(root, partnerId, 'inbound');
    const node: Node = {
      partnerId,
      ca: cas[ca]!,
      identity,
      inbound: folder,
      peers: [],
      received: [],
      handler: (d) => Promise.resolve(Buffer.concat([Buffer.from('receipt:'), d.bytes])),
      transport: filedrop({ inbound: folder, pollIntervalMs: 10, fsync: false, ...init })({
        certificatePem: identity.certificatePem,
        privateKeyPem: identity.privateKeyPem,
        peers: () => node.peers,
      }),
      start: () =>
        node.transport.start((d) => {
          node.received.push(d);
          return node.handler(d);
        }),
    };
    nodes.push(node.transport);
    return node;
  }

  const agreement = (node: Node): TransportPeer => ({
    partnerId: node.partnerId,
    endpoint: pathToFileURL(node.inbound).href,
    trustAnchorsPem: [node.ca.caCertificatePem],
  });

  async function pair() {
    const a = await makeNode('A', 'A');
    const b = await makeNode('B', 'B');
    a.peers = [agreement(b)];
    b.peers = [agreement(a)];
    await a.start();
    await b.start();
    return { a, b, toB: agreement(b) };
  }

  const messageName = () => `${Date.now().toString(36).padStart(9, '0')}-${randomUUID()}.gncdrop`;
  const frameBy = (node: Node, name: string, payload: string) =>
    encodeFrame({ kind: 'message', name, createdAt: new Date().toISOString() }, Buffer.from(payload), node.identity);
  const drop = (folder: string, node: Node, payload: string): string => {
    const name = messageName();
    writeFileSync(join(folder, name), frameBy(node, name, payload));
    return name;
  };
  const messages = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.gncdrop'));

  describe('receiving', () => {
    it('moves a handled file to processed/ with its <name>.receipt, leaving nothing in inbound', async () => {
      const { a, b, toB } = await pair();
      await a.transport.send(toB, Buffer.from('batch 1'));
      const [name] = messages(join(b.inbound, 'processed'));
      assert.ok(name);
      assert.ok(existsSync(join(b.inbound, 'processed', `${name}.receipt`)));
      assert.deepEqual(messages(b.inbound), []);
      assert.deepEqual(readdirSync(join(b.inbound, '.processing', 'main')), []);
    });

    it('moves a refused file to error/ with a <name>.error.json naming the typed error', async () => {
      const { a, b, toB } = await pair();
      b.handler = () =>
        Promise.reject(new GncError('GNC_TEST_REPLAYED', 'message id already seen', { httpStatus: 409 }));
      await rejectsWithTransportError(a.transport.send(toB, Buffer.from('x')), {
        code: TransportErrorCode.REMOTE_ERROR,
        remoteCode: 'GNC_TEST_REPLAYED',
        transient: false,
      });
      const [name] = messages(join(b.inbound, 'error'));
      const error = JSON.parse(readFileSync(join(b.inbound, 'error', `${name!}.error.json`), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(error.code, 'GNC_TEST_REPLAYED');
      assert.equal(error.httpStatus, 409);
      assert.equal(error.transient, false);
      assert.equal(error.file, name);
    });

    it('never reads a file being written: temp names and other files are left alone', async () => {
      const { a, b } = await pair();
      const name = messageName();
      writeFileSync(join(b.inbound, `.${name}.part`), frameBy(a, name, 'half').subarray(0, 40));
      writeFileSync(join(b.inbound, 'notes.txt'), 'not for us');
      await sleep(100);
      assert.equal(b.received.length, 0);
      assert.ok(existsSync(join(b.inbound, `.${name}.part`)));
      assert.ok(existsSync(join(b.inbound, 'notes.txt')));
    });

    it('refuses a truncated file under a final name (GNC_TRANSPORT_PROTOCOL), not delivering a part of it', async () => {
      const { a, b } = await pair();
      const name = messageName();
      const frame = frameBy(a, name, 'a declaration of some length');
      writeFileSync(join(b.inbound, name), frame.subarray(0, frame.length - 5));
      await until(() => existsSync(join(b.inbound, 'error', `${name}.error.json`)), 'the refusal');
      const error = JSON.parse(readFileSync(join(b.inbound, 'error', `${name}.error.json`), 'utf8')) as {
        code: string;
      };
      assert.equal(error.code, TransportErrorCode.PROTOCOL);
      assert.equal(b.received.length, 0);
    });

    it('refuses a file from a partner in no agreement (the equivalent of a TLS peer refusal)', async () => {
      const { b } = await pair();
      const stranger = await makeNode('X', 'X');
      const name = drop(b.inbound, stranger, 'from nobody we know');
      await until(() => existsSync(join(b.inbound, 'error', `${name}.error.json`)), 'the refusal');
      const error = JSON.parse(readFileSync(join(b.inbound, 'error', `${name}.error.json`), 'utf8')) as {
        code: string;
      };
      assert.equal(error.code, TransportErrorCode.PEER_UNKNOWN);
      assert.equal(b.received.length, 0);
    });

    it('hands each file to exactly one of two nodes watching the same folder', async () => {
      const { a, b } = await pair();
      const twin = await makeNode('B', 'B', { workerId: 'twin' }, b.inbound);
      twin.peers = b.peers;
      await twin.start();
      const names = Array.from({ length: 60 }, (_, i) => drop(b.inbound, a, `m${i}`));
      await until(() => messages(join(b.inbound, 'processed')).length === names.length, 'all handled');
      const delivered = [...b.received, ...twin.received].map((d) => Buffer.from(d.bytes).toString()).sort();
      assert.deepEqual(delivered, names.map((_, i) => `m${i}`).sort());
    });

    it('picks up nothing once stopped (a stopped node holds no watcher; the port check of the suite)', async () => {
      const { a, b } = await pair();
      await b.transport.stop();
      const name = drop(b.inbound, a, 'while stopped');
      await sleep(100);
      assert.ok(existsSync(join(b.inbound, name)));
      assert.equal(b.received.length, 0);
      await b.start();
      await until(() => b.received.length === 1, 'pick-up after restart');
    });
  });

  describe('restart after a crash', () => {
    it('retries once a file left in .processing/, then moves it to processed/', async () => {
      const a = await makeNode('A', 'A');
      const b = await makeNode('B', 'B');
      b.peers = [agreement(a)];
      mkdirSync(join(b.inbound, '.processing', 'main'), { recursive: true });
      const name = drop(join(b.inbound, '.processing', 'main'), a, 'in flight at the crash');
      await b.start();
      await until(() => existsSync(join(b.inbound, 'processed', name)), 'the retry');
      assert.equal(b.received.length, 1);
      assert.deepEqual(readdirSync(join(b.inbound, '.processing', 'main')), []);
    });

    it('does not try a third time: a file already retried goes to error/', async () => {
      const a = await makeNode('A', 'A');
      const b = await makeNode('B', 'B');
      b.peers = [agreement(a)];
      mkdirSync(join(b.inbound, '.processing', 'main'), { recursive: true });
      const name = drop(join(b.inbound, '.processing', 'main'), a, 'poison');
      writeFileSync(join(b.inbound, '.processing', 'main', `.${name}.retried`), 'earlier');
      await b.start();
      await until(() => existsSync(join(b.inbound, 'error', `${name}.error.json`)), 'the refusal');
      assert.equal(b.received.length, 0);
      const error = JSON.parse(readFileSync(join(b.inbound, 'error', `${name}.error.json`), 'utf8')) as {
        code: string;
      };
      assert.equal(error.code, 'GNC_FILEDROP_INTERRUPTED');
    });

    it('finishes without calling the handler a file whose receipt was already written', async () => {
      const a = await makeNode('A', 'A');
      const b = await makeNode('B', 'B');
      b.peers = [agreement(a)];
      for (const dir of ['.processing/main', 'processed']) mkdirSync(join(b.inbound, dir), { recursive: true });
      const name = drop(join(b.inbound, '.processing', 'main'), a, 'answered just before the crash');
      writeFileSync(join(b.inbound, 'processed', `${name}.receipt`), 'receipt');
      await b.start();
      await until(() => existsSync(join(b.inbound, 'processed', name)), 'the move');
      assert.equal(b.received.length, 0);
    });
  });

  describe('sending', () => {
    it('withdraws an unclaimed file when the send times out', async () => {
      const { a, b, toB } = await pair();
      await b.transport.stop();
      await rejectsWithTransportError(a.transport.send(toB, Buffer.from('x'), { timeoutMs: 100 }), {
        code: TransportErrorCode.TIMEOUT,
        transient: true,
      });
      assert.deepEqual(messages(b.inbound), []);
    });

    it('fails transiently when the partner folder holds no published identity (not mounted)', async () => {
      const { a, toB } = await pair();
      await rejectsWithTransportError(
        a.transport.send({ ...toB, endpoint: pathToFileURL(join(root, 'nowhere')).href }, Buffer.from('x')),
        { code: TransportErrorCode.UNREACHABLE, transient: true },
      );
    });

    it('resolves a relative endpoint under the outbound folder', async () => {
      const b = await makeNode('B', 'B', {}, join(root, 'mounts', 'customs-b'));
      const a = await makeNode('A', 'A', { outbound: join(root, 'mounts') });
      b.peers = [agreement(a)];
      await b.start();
      await a.start();
      const answer = await a.transport.send({ ...agreement(b), endpoint: 'customs-b' }, Buffer.from('via outbound'));
      assert.equal(Buffer.from(answer).toString(), 'receipt:via outbound');
      await rejectsWithTransportError(a.transport.send({ ...agreement(b), endpoint: '../escape' }, Buffer.from('x')), {
        code: TransportErrorCode.BAD_CONFIGURATION,
      });
    });
  });
});

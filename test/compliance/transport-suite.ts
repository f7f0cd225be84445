import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { GncError } from '../../node/src/errors';
import { createCertificateAuthority, type CertificateAuthority } from '../../node/src/identity';
import { issueTransportCertificate, type TransportCertificate } from '../../adapters/transport/tls-certificates';
import type {
  InboundDelivery,
  InboundHandler,
  Transport,
  TransportFactory,
  TransportPeer,
} from '../../adapters/transport/transport';
import { TransportError, TransportErrorCode } from '../../adapters/transport/transport-errors';

/** What an implementation hands the suite. */
export interface TransportSuiteSetup {
  /** The factory under test, as registered in adapters/transport/index.ts. */
  factory: TransportFactory;
  /** The key its certificates need: 'Ed25519' when the key is also a libp2p peer key. */
  keyType: 'P-256' | 'Ed25519';
  /** Extra `init` for every transport the suite builds (the suite adds maxMessageBytes where it tests limits). */
  init?: Record<string, unknown>;
  /**
   * Whether the transport listens on a TCP port (default true). A transport that does not (a
   * file drop) has no port to release, so that check is not defined for it, rather than skipped.
   */
  listensOnPort?: boolean;
  /**
   * Whether the transport carries gnc batch frames (send({ batch: true })): true for the
   * gnc-native transports, false for those that speak a business standard (as4, filedrop).
   */
  carriesBatches: boolean;
}

/** One administration in the suite: its CA, its transport identity, its agreements and inbox. */
export interface SuiteNode {
  readonly partnerId: string;
  readonly ca: CertificateAuthority;
  readonly identity: TransportCertificate;
  readonly transport: Transport;
  /** The agreements this node has; tests edit it, the transport reads it on every connection. */
  peers: TransportPeer[];
  /** What reached this node's handler. */
  readonly received: InboundDelivery[];
  /** Replaceable; by default answers `receipt:` + the bytes. */
  handler: InboundHandler;
  endpoint: string;
  start(): Promise<string>;
}

/** Some suite tests need a handler that only returns when the test lets it. */
class Gate {
  private readonly waiting: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  openAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const receiptOf = (bytes: Uint8Array): Uint8Array => Buffer.concat([Buffer.from('receipt:'), bytes]);

/** Awaits `promise`, asserts it rejects with a TransportError matching `expected`, returns the error. */
export async function rejectsWithTransportError(
  promise: Promise<unknown>,
  expected: { code: string | readonly string[]; transient?: boolean; remoteCode?: string | readonly string[] },
): Promise<TransportError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, 'expected the call to reject');
  assert.ok(
    caught instanceof TransportError,
    `expected a TransportError, got ${caught instanceof Error ? caught.stack : JSON.stringify(caught)}`,
  );
  const codes = typeof expected.code === 'string' ? [expected.code] : expected.code;
  assert.ok(codes.includes(caught.code), `expected code ${codes.join(' or ')}, got ${caught.code}: ${caught.message}`);
  if (expected.transient !== undefined) {
    assert.equal(caught.transient, expected.transient, `transient of ${caught.code}: ${caught.message}`);
  }
  if (expected.remoteCode !== undefined) {
    const remote = typeof expected.remoteCode === 'string' ? [expected.remoteCode] : expected.remoteCode;
    assert.ok(
      caught.remoteCode !== undefined && remote.includes(caught.remoteCode),
      `expected remote code ${remote.join(' or ')}, got ${caught.remoteCode ?? 'none'}: ${caught.message}`,
    );
  }
  return caught;
}

/** The TCP port of an endpoint (https URL or multiaddr). */
export function portOf(endpoint: string): number {
  const match = /\/tcp\/(\d+)/.exec(endpoint) ?? /:(\d+)(?:\/|$)/.exec(endpoint);
  if (!match?.[1]) throw new Error(`no port in ${endpoint}`);
  return Number(match[1]);
}

async function canListenOn(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resolves after `ms`; rejects the test instead of hanging when a promise never settles. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The contract every transport must keep (adapters/transport/transport.ts), run against real
 * transports on 127.0.0.1 with certificates from three independent CAs: two administrations, A
 * and B, and a rogue one.
 */
export function runTransportSuite(name: string, setup: TransportSuiteSetup): void {
  describe(`Transport compliance: ${name}`, function () {
    this.timeout(60_000);

    const cas: Record<'A' | 'B' | 'C' | 'rogue', CertificateAuthority> = {} as never;
    const started: SuiteNode[] = [];
    const gate = new Gate();

    before(async () => {
      for (const org of ['A', 'B', 'C', 'rogue'] as const) {
        cas[org] = await createCertificateAuthority({ mspId: `Customs${org}MSP`, organization: `Customs ${org}` });
      }
    });

    afterEach(async () => {
      gate.openAll();
      await Promise.all(started.splice(0).map((node) => node.transport.stop()));
    });

    /** Builds (and starts) a node with a certificate from `ca`. */
    async function makeNode(
      partnerId: string,
      ca: CertificateAuthority,
      init: Record<string, unknown> = {},
      start = true,
    ): Promise<SuiteNode> {
      const identity = await issueTransportCertificate(ca, { commonName: `node.${partnerId}`, keyType: setup.keyType });
      const node: SuiteNode = {
        partnerId,
        ca,
        identity,
        peers: [],
        received: [],
        endpoint: '',
        handler: (delivery) => Promise.resolve(receiptOf(delivery.bytes)),
        transport: setup.factory({ ...setup.init, ...init })({
          certificatePem: identity.certificatePem,
          privateKeyPem: identity.privateKeyPem,
          peers: () => node.peers,
        }),
        async start() {
          node.endpoint = await node.transport.start((delivery) => {
            node.received.push(delivery);
            return node.handler(delivery);
          });
          return node.endpoint;
        },
      };
      started.push(node);
      if (start) await node.start();
      return node;
    }

    /** The agreement entry `of` has for `node`, with overrides. */
    function agreementFor(node: SuiteNode, overrides: Partial<TransportPeer> = {}): TransportPeer {
      return {
        partnerId: node.partnerId,
        endpoint: node.endpoint,
        trustAnchorsPem: [node.ca.caCertificatePem],
        ...(node.identity.peerId ? { peerId: node.identity.peerId } : {}),
        ...overrides,
      };
    }

    /** A and B, started, each with an agreement for the other. */
    async function pair(initA: Record<string, unknown> = {}, initB: Record<string, unknown> = {}) {
      const a = await makeNode('A', cas.A, initA);
      const b = await makeNode('B', cas.B, initB);
      a.peers = [agreementFor(b)];
      b.peers = [agreementFor(a)];
      return { a, b, toB: agreementFor(b), toA: agreementFor(a) };
    }

    describe('send', () => {
      it('delivers the bytes, names the authenticated sender and returns the handler answer', async () => {
        const { a, b, toB } = await pair();
        const answer = await a.transport.send(toB, utf8('declaration 1'));
        assert.equal(text(answer), 'receipt:declaration 1');
        assert.equal(b.received.length, 1);
        assert.equal(b.received[0]?.partnerId, 'A');
        assert.equal(text(b.received[0]?.bytes ?? new Uint8Array()), 'declaration 1');
      });

      it('carries empty and binary messages unchanged', async () => {
        const { a, toB } = await pair();
        assert.equal((await a.transport.send(toB, new Uint8Array())).byteLength, 'receipt:'.length);
        const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
        const answer = await a.transport.send(toB, binary);
        assert.deepEqual(Buffer.from(answer).subarray(8), Buffer.from(binary));
      });

      it('answers 1,000 messages sent concurrently, each with its own answer', async () => {
        const { a, b, toB } = await pair();
        const answers = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => a.transport.send(toB, utf8(`message ${i}`))),
        );
        answers.forEach((answer, i) => assert.equal(text(answer), `receipt:message ${i}`));
        assert.equal(b.received.length, 1000);
      });

      it('works both ways between the same two nodes', async () => {
        const { a, b, toA, toB } = await pair();
        const [fromA, fromB] = await Promise.all([
          a.transport.send(toB, utf8('to B')),
          b.transport.send(toA, utf8('to A')),
        ]);
        assert.equal(text(fromA), 'receipt:to B');
        assert.equal(text(fromB), 'receipt:to A');
        assert.equal(a.received[0]?.partnerId, 'B');
        assert.equal(b.received[0]?.partnerId, 'A');
      });

      it('tells apart partners whose certificates come from different CAs', async () => {
        const { a, b, toB } = await pair();
        const c = await makeNode('C', cas.C);
        c.peers = [toB];
        b.peers = [agreementFor(a), agreementFor(c)];
        await a.transport.send(toB, utf8('from A'));
        await c.transport.send(toB, utf8('from C'));
        assert.deepEqual(
          b.received.map((d) => [d.partnerId, text(d.bytes)]),
          [
            ['A', 'from A'],
            ['C', 'from C'],
          ],
        );
      });
    });

    describe('batch frames', () => {
      it(`says it ${setup.carriesBatches ? 'carries' : 'does not carry'} batch frames`, async () => {
        const { a } = await pair();
        assert.equal(a.transport.carriesBatches, setup.carriesBatches);
      });

      if (setup.carriesBatches) {
        it('delivers a batch frame marked as one, apart from single messages, and returns its answer', async () => {
          const { a, b, toB } = await pair();
          const [single, batch] = await Promise.all([
            a.transport.send(toB, utf8('one message')),
            a.transport.send(toB, utf8('a batch frame'), { batch: true }),
          ]);
          assert.equal(text(single), 'receipt:one message');
          assert.equal(text(batch), 'receipt:a batch frame');
          const byBytes = new Map(b.received.map((d) => [text(d.bytes), d]));
          assert.equal(byBytes.get('a batch frame')?.batch, true);
          assert.equal(byBytes.get('a batch frame')?.partnerId, 'A');
          assert.notEqual(byBytes.get('one message')?.batch, true);
        });

        it('returns a handler error on a batch frame with its code, as for a single message', async () => {
          const { a, b, toB } = await pair();
          b.handler = (delivery) =>
            delivery.batch
              ? Promise.reject(new GncError('GNC_TEST_BAD_BATCH', 'the frame does not decode', { httpStatus: 400 }))
              : Promise.resolve(receiptOf(delivery.bytes));
          await rejectsWithTransportError(a.transport.send(toB, utf8('x'), { batch: true }), {
            code: TransportErrorCode.REMOTE_ERROR,
            transient: false,
            remoteCode: 'GNC_TEST_BAD_BATCH',
          });
          assert.equal(text(await a.transport.send(toB, utf8('y'))), 'receipt:y');
        });

        it('refuses a batch frame from a sender that is in no agreement of the receiver', async () => {
          const { a, b, toB } = await pair();
          b.peers = [];
          await rejectsWithTransportError(a.transport.send(toB, utf8('x'), { batch: true }), {
            code: TransportErrorCode.PEER_REFUSED,
            transient: false,
            remoteCode: TransportErrorCode.PEER_UNKNOWN,
          });
          assert.equal(b.received.length, 0);
        });
      } else {
        it('refuses to send a batch frame (its partners do not speak it) and delivers nothing', async () => {
          const { a, b, toB } = await pair();
          await rejectsWithTransportError(a.transport.send(toB, utf8('a batch frame'), { batch: true }), {
            code: TransportErrorCode.BAD_CONFIGURATION,
            transient: false,
          });
          assert.equal(text(await a.transport.send(toB, utf8('one message'))), 'receipt:one message');
          assert.deepEqual(
            b.received.map((d) => [text(d.bytes), d.batch === true]),
            [['one message', false]],
          );
        });
      }
    });

    describe('handler errors', () => {
      it('returns a permanent GncError (4xx) as a non-transient error with its code', async () => {
        const { a, b, toB } = await pair();
        b.handler = () =>
          Promise.reject(new GncError('GNC_TEST_REPLAYED', 'message id already seen', { httpStatus: 409 }));
        const error = await rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.REMOTE_ERROR,
          transient: false,
          remoteCode: 'GNC_TEST_REPLAYED',
        });
        assert.match(error.message, /message id already seen/);
      });

      it('returns a transient GncError (5xx) as a transient error with its code', async () => {
        const { a, b, toB } = await pair();
        b.handler = () => Promise.reject(new GncError('GNC_TEST_BUSY', 'store busy', { httpStatus: 503 }));
        await rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.REMOTE_ERROR,
          transient: true,
          remoteCode: 'GNC_TEST_BUSY',
        });
      });

      it('hides the details of an unexpected error and calls it transient', async () => {
        const { a, b, toB } = await pair();
        b.handler = () => Promise.reject(new Error('secret detail of the receiver'));
        const error = await rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.REMOTE_ERROR,
          transient: true,
          remoteCode: 'GNC_INTERNAL',
        });
        assert.doesNotMatch(error.message, /secret/);
      });
    });

    describe('authentication', () => {
      it('refuses a sender that is in no agreement of the receiver', async () => {
        const { a, b, toB } = await pair();
        b.peers = [];
        await rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.PEER_REFUSED,
          transient: false,
          remoteCode: TransportErrorCode.PEER_UNKNOWN,
        });
        assert.equal(b.received.length, 0);
      });

      it('refuses a sender whose certificate comes from another CA than its agreement names', async () => {
        const { b, toB } = await pair();
        const rogue = await makeNode('A', cas.rogue);
        rogue.peers = [toB];
        // B's agreement with A: A's CA, and (libp2p) the rogue's peer id, so only the CA differs.
        b.peers = [{ ...agreementFor(rogue), trustAnchorsPem: [cas.A.caCertificatePem] }];
        await rejectsWithTransportError(rogue.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.PEER_REFUSED,
          transient: false,
          remoteCode: [TransportErrorCode.PEER_UNKNOWN, TransportErrorCode.PEER_UNTRUSTED],
        });
        assert.equal(b.received.length, 0);
      });

      it('refuses a receiver whose certificate comes from another CA than its agreement names', async () => {
        const { a, b, toB } = await pair();
        await rejectsWithTransportError(
          a.transport.send({ ...toB, trustAnchorsPem: [cas.rogue.caCertificatePem] }, utf8('x')),
          { code: TransportErrorCode.PEER_UNTRUSTED, transient: false },
        );
        assert.equal(b.received.length, 0);
      });

      it('refuses a receiver whose subject is not the one its agreement names', async () => {
        const { a, b, toB } = await pair();
        await rejectsWithTransportError(
          a.transport.send({ ...toB, subjectCommonName: 'node.someone-else' }, utf8('x')),
          {
            code: TransportErrorCode.PEER_UNTRUSTED,
            transient: false,
          },
        );
        assert.equal(b.received.length, 0);
      });

      it('refuses a sender whose subject is not the one its agreement names', async () => {
        const { a, b, toB } = await pair();
        b.peers = [{ ...agreementFor(a), subjectCommonName: 'node.someone-else' }];
        await rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.PEER_REFUSED,
          transient: false,
        });
        assert.equal(b.received.length, 0);
      });

      it('accepts a partner whose subject is the one its agreement names', async () => {
        const { a, b, toB } = await pair();
        b.peers = [{ ...agreementFor(a), subjectCommonName: 'node.A' }];
        await a.transport.send({ ...toB, subjectCommonName: 'node.B' }, utf8('x'));
        assert.equal(b.received[0]?.partnerId, 'A');
      });
    });

    describe('limits', () => {
      it('refuses to send a message over its own maximum', async () => {
        const { a, b, toB } = await pair({ maxMessageBytes: 1024 });
        await rejectsWithTransportError(a.transport.send(toB, new Uint8Array(1025)), {
          code: TransportErrorCode.MESSAGE_TOO_LARGE,
          transient: false,
        });
        assert.equal(b.received.length, 0);
      });

      it("refuses a message over the receiver's maximum, and the next one still goes through", async () => {
        const { a, b, toB } = await pair({ maxMessageBytes: 1024 * 1024 }, { maxMessageBytes: 16 * 1024 });
        await rejectsWithTransportError(a.transport.send(toB, new Uint8Array(64 * 1024)), {
          code: TransportErrorCode.MESSAGE_TOO_LARGE,
          transient: false,
        });
        assert.equal(b.received.length, 0);
        assert.equal(text(await a.transport.send(toB, utf8('small'))), 'receipt:small');
      });

      it('accepts a message of exactly the maximum', async () => {
        const { a, toB } = await pair({}, { maxMessageBytes: 16 * 1024 });
        const answer = await a.transport.send(toB, new Uint8Array(16 * 1024));
        assert.equal(answer.byteLength, 16 * 1024 + 8);
      });
    });

    describe('availability', () => {
      it('fails transiently while the receiver is stopped, and recovers once it is back', async () => {
        const { a, b, toB } = await pair();
        await a.transport.send(toB, utf8('before'));
        await b.transport.stop();
        await rejectsWithTransportError(a.transport.send(toB, utf8('while down'), { timeoutMs: 5_000 }), {
          code: [TransportErrorCode.UNREACHABLE, TransportErrorCode.TIMEOUT],
          transient: true,
        });
        const endpoint = await b.start();
        assert.equal(endpoint, toB.endpoint, 'a restarted transport keeps its endpoint');
        assert.equal(text(await a.transport.send(toB, utf8('after'))), 'receipt:after');
        assert.deepEqual(
          b.received.map((d) => text(d.bytes)),
          ['before', 'after'],
        );
      });

      it('fails the sender transiently, without hanging, when the receiver stops mid-message', async () => {
        const { a, b, toB } = await pair();
        b.handler = () => gate.wait().then(() => utf8('too late'));
        // The expectation is attached at once: the rejection may come before stop() resolves.
        const outcome = rejectsWithTransportError(a.transport.send(toB, utf8('x')), {
          code: TransportErrorCode.UNREACHABLE,
          transient: true,
        });
        while (b.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        await within(5_000, b.transport.stop(), 'stop()');
        await within(5_000, outcome, 'the pending send');
      });
    });

    describe('deadlines', () => {
      it('honours timeoutMs, and the connection serves the next message', async () => {
        const { a, b, toB } = await pair();
        b.handler = (delivery) =>
          text(delivery.bytes) === 'slow' ? gate.wait().then(() => utf8('late')) : Promise.resolve(utf8('fast'));
        const t0 = Date.now();
        await rejectsWithTransportError(a.transport.send(toB, utf8('slow'), { timeoutMs: 200 }), {
          code: TransportErrorCode.TIMEOUT,
          transient: true,
        });
        assert.ok(Date.now() - t0 < 2_000, `timed out after ${Date.now() - t0} ms`);
        assert.equal(text(await a.transport.send(toB, utf8('quick'))), 'fast');
      });

      it('honours an AbortSignal', async () => {
        const { a, b, toB } = await pair();
        b.handler = () => gate.wait().then(() => utf8('late'));
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error('operator cancelled')), 100);
        await within(
          2_000,
          rejectsWithTransportError(a.transport.send(toB, utf8('x'), { signal: controller.signal }), {
            code: TransportErrorCode.ABORTED,
          }),
          'the aborted send',
        );
      });

      it('rejects at once with an already aborted signal and sends nothing', async () => {
        const { a, b, toB } = await pair();
        await rejectsWithTransportError(a.transport.send(toB, utf8('x'), { signal: AbortSignal.abort() }), {
          code: TransportErrorCode.ABORTED,
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(b.received.length, 0);
      });
    });

    describe('lifecycle', () => {
      if (setup.listensOnPort !== false) {
        it('releases the port on stop()', async () => {
          const { b } = await pair();
          const port = portOf(b.endpoint);
          assert.equal(await canListenOn(port), false, 'the port is taken while running');
          await b.transport.stop();
          assert.equal(await canListenOn(port), true, 'the port is free after stop()');
        });
      }

      it('fails pending sends with STOPPED when the sender stops, without hanging', async () => {
        const { a, b, toB } = await pair();
        b.handler = () => gate.wait().then(() => utf8('late'));
        const outcomes = Array.from({ length: 20 }, (_, i) =>
          rejectsWithTransportError(a.transport.send(toB, utf8(`m${i}`)), {
            code: TransportErrorCode.STOPPED,
            transient: true,
          }),
        );
        while (b.received.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
        await within(5_000, a.transport.stop(), 'stop()');
        await within(2_000, Promise.all(outcomes), 'the pending sends');
      });

      it('refuses to send before start() and after stop()', async () => {
        const b = await makeNode('B', cas.B);
        const a = await makeNode('A', cas.A, {}, false);
        b.peers = [agreementFor(a)];
        await rejectsWithTransportError(a.transport.send(agreementFor(b), utf8('x')), {
          code: TransportErrorCode.STOPPED,
          transient: true,
        });
        await a.start();
        await a.transport.send(agreementFor(b), utf8('x'));
        await a.transport.stop();
        await rejectsWithTransportError(a.transport.send(agreementFor(b), utf8('x')), {
          code: TransportErrorCode.STOPPED,
          transient: true,
        });
      });

      it('stops twice without complaint', async () => {
        const { a } = await pair();
        await a.transport.stop();
        await a.transport.stop();
      });
    });
  });
}

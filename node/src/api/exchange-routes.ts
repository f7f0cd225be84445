import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { messageFormats } from '../../../adapters/format';
import { utilityBlocks } from '../../../adapters/gnc';
import { gnc } from '../gen/gnc';
import { GncError, InvalidInputError } from '../errors';
import type { ExchangeRuntime } from '../exchange/exchange-runtime';

/**
 * The domestic side's API to the exchange: submit a message for a partner and follow it, read
 * and acknowledge the inbox, see and replay dead letters, prove a message was anchored, ask what
 * partners shared about a container or declaration, and Prometheus metrics.
 */

const SubmitBody = Type.Object(
  {
    partnerId: Type.String({ minLength: 1 }),
    utilityBlock: Type.String({ minLength: 1 }),
    correlationId: Type.Optional(Type.String({ maxLength: 128 })),
    /** The body in the canonical JSON mapping (adapters/format/README.md), e.g. { "declaration": { ... } }. */
    body: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

const validator = messageFormats.json?.({})({});

/** Validates a body with the strict JSON format decoder, so the API accepts exactly what partners may send. */
function canonicalBody(utilityBlock: string, body: Record<string, unknown>): Omit<gnc.v1.IEnvelope, 'header'> {
  const block = utilityBlocks[utilityBlock];
  if (!block)
    throw new InvalidInputError(
      `unknown Utility Block '${utilityBlock}'; known: ${Object.keys(utilityBlocks).join(', ')}`,
    );
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== block.bodyKind) {
    throw new InvalidInputError(
      `Utility Block '${utilityBlock}' carries a body with exactly the key '${block.bodyKind}'`,
    );
  }
  if (!validator) throw new GncError('GNC_INTERNAL', 'the json format is not registered');
  const probe = {
    header: {
      messageId: 'validation',
      senderId: 'api',
      receiverId: 'api',
      utilityBlockId: utilityBlock,
      createdAtMs: '1',
    },
    ...body,
  };
  let envelope: gnc.v1.Envelope;
  try {
    envelope = validator.decode(Buffer.from(JSON.stringify(probe), 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`body: ${(error as Error).message}`, { cause: error });
  }
  // The node fills in the header when it queues the message.
  envelope.header = null;
  return envelope;
}

const envelopeJson = (bytes: Buffer) =>
  gnc.v1.Envelope.toObject(gnc.v1.Envelope.decode(bytes), {
    longs: String,
    enums: String,
    bytes: String,
    defaults: false,
  });

export function registerExchangeRoutes(app: FastifyInstance, exchange: ExchangeRuntime): void {
  app.post<{ Body: Static<typeof SubmitBody> }>(
    '/exchange/messages',
    { schema: { body: SubmitBody, tags: ['exchange'], summary: 'Queue a message for a partner' } },
    async (request, reply) => {
      const { partnerId, utilityBlock, correlationId, body } = request.body;
      const messageId = await exchange.node.submit(
        partnerId,
        utilityBlock,
        canonicalBody(utilityBlock, body),
        correlationId,
      );
      return reply.status(202).send({ messageId, status: 'queued' });
    },
  );

  app.get<{ Params: { messageId: string } }>(
    '/exchange/messages/:messageId',
    {
      schema: {
        tags: ['exchange'],
        summary: 'Status of a message (queued, sent, receipted, dead, received, acknowledged)',
      },
    },
    async (request) => {
      const status = await exchange.store.status(request.params.messageId);
      if (!status)
        throw new GncError('GNC_EXCHANGE_NOT_FOUND', `no message ${request.params.messageId}`, { httpStatus: 404 });
      return status;
    },
  );

  app.get<{ Params: { messageId: string }; Querystring: { direction?: 'in' | 'out' } }>(
    '/exchange/messages/:messageId/proof',
    {
      schema: {
        tags: ['exchange'],
        summary: 'Inclusion proof of a message digest in its anchored batch',
        querystring: Type.Object({ direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])) }),
      },
    },
    async (request) => {
      const status = await exchange.store.status(request.params.messageId);
      const direction = request.query.direction ?? status?.direction ?? 'out';
      const proof = await exchange.anchorer.prove(direction, request.params.messageId);
      if (!proof) {
        throw new GncError(
          'GNC_EXCHANGE_NOT_ANCHORED',
          `message ${request.params.messageId} (${direction}) is not in an anchor batch yet`,
          {
            httpStatus: 404,
          },
        );
      }
      return proof;
    },
  );

  app.get<{ Querystring: { after?: number; limit?: number } }>(
    '/exchange/inbox',
    {
      schema: {
        tags: ['exchange'],
        summary: 'Messages received and not yet acknowledged, oldest first',
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
      },
    },
    async (request) => {
      const entries = await exchange.store.inbox(request.query.limit ?? 100, request.query.after ?? 0);
      return { messages: entries.map(({ envelope, ...entry }) => ({ ...entry, envelope: envelopeJson(envelope) })) };
    },
  );

  app.post<{ Params: { seq: string } }>(
    '/exchange/inbox/:seq/ack',
    {
      schema: {
        tags: ['exchange'],
        summary: 'Acknowledge an inbox message (it leaves the inbox; the archive keeps it)',
      },
    },
    async (request, reply) => {
      const seq = Number(request.params.seq);
      if (!Number.isSafeInteger(seq) || seq < 1)
        throw new InvalidInputError(`'${request.params.seq}' is not an inbox sequence number`);
      await exchange.store.acknowledge(seq);
      return reply.status(204).send();
    },
  );

  app.get('/exchange/dead-letters', { schema: { tags: ['exchange'], summary: 'Messages given up on' } }, async () => ({
    deadLetters: await exchange.store.deadLetters(1000),
  }));

  app.post<{ Params: { messageId: string } }>(
    '/exchange/dead-letters/:messageId/replay',
    { schema: { tags: ['exchange'], summary: 'Put a dead letter back in its partner’s outbox' } },
    async (request, reply) => {
      const entry = await exchange.store.replayDeadLetter(request.params.messageId);
      return reply.status(202).send({ messageId: entry.messageId, status: 'queued' });
    },
  );

  app.get<{ Params: { kind: 'container' | 'declaration'; id: string } }>(
    '/exchange/shared/:kind/:id',
    {
      schema: {
        tags: ['exchange'],
        summary: 'What partners shared about a container or a declaration (by MRN)',
        params: Type.Object({
          kind: Type.Union([Type.Literal('container'), Type.Literal('declaration')]),
          id: Type.String(),
        }),
      },
    },
    async (request) => ({
      [request.params.kind]: request.params.id,
      shared:
        request.params.kind === 'container'
          ? await exchange.intelligence.byContainer(request.params.id)
          : await exchange.intelligence.byDeclaration(request.params.id),
    }),
  );

  // How late this process's event loop runs callbacks: a stalled loop delays every message and
  // receipt, so latency can be told apart from stalls. Quantiles are over the time since the
  // previous scrape (the histogram is reset after each), sampled every 10 ms.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  app.addHook('onClose', (_instance, done) => {
    loopDelay.disable();
    done();
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const text = exchange.node.metrics.render(await exchange.store.depths()) + eventLoopDelayText(loopDelay);
    loopDelay.reset();
    return reply.type('text/plain; version=0.0.4').send(text);
  });
}

/** The event-loop delay as a Prometheus summary in seconds (no samples yet: zeros). */
function eventLoopDelayText(histogram: ReturnType<typeof monitorEventLoopDelay>): string {
  const name = 'gnc_event_loop_delay_seconds';
  const seconds = (ns: number) => (Number.isFinite(ns) && histogram.count > 0 ? ns / 1e9 : 0);
  return (
    [
      `# HELP ${name} Event-loop delay of this process since the previous scrape`,
      `# TYPE ${name} summary`,
      `${name}{quantile="0.5"} ${seconds(histogram.percentile(50))}`,
      `${name}{quantile="0.99"} ${seconds(histogram.percentile(99))}`,
      `${name}{quantile="1"} ${seconds(histogram.max)}`,
      `${name}_sum ${seconds(histogram.mean * histogram.count)}`,
      `${name}_count ${histogram.count}`,
    ].join('\n') + '\n'
  );
}

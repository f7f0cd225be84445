import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ExchangeRuntime } from '../exchange/exchange-runtime';
import { registerExchangeRoutes } from './exchange-routes';
import { Type, type Static } from '@sinclair/typebox';
import { keyFromDisplay, keyHistory, keyPrefixFromDisplay, keyToDisplay } from '../audit/key-history';
import { GncError, InvalidInputError } from '../errors';
import { userIdentity, type NodeHome } from '../home/node-home';
import type { TransactionRequest } from '../ledger';

/**
 * The node's HTTP API, built apart from the process entry point so tests drive it through
 * app.inject(). This routes: health and the ledger. It listens on 127.0.0.1 by default;
 * callers act as one of the node's local users, named by role.
 */

const TransactionBody = Type.Object(
  {
    contract: Type.String({ pattern: '^[A-Z][A-Za-z]*$' }),
    name: Type.String({ pattern: '^[A-Z][A-Za-z]*$' }),
    args: Type.Array(Type.String(), { default: [], maxItems: 64 }),
    /** Transient data, base64 per key (never written into a block). */
    transient: Type.Record(Type.String(), Type.String({ contentEncoding: 'base64' }), { default: {} }),
    as: Type.String({ default: 'officer' }),
  },
  { additionalProperties: false },
);
type TransactionBodyT = Static<typeof TransactionBody>;

export interface BuildAppOptions {
  home: NodeHome;
  /** The exchange side, when the node exchanges with partners. */
  exchange?: ExchangeRuntime;
  logger?: boolean;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { home } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: home.config.api.bodyLimitBytes });
  // The OpenAPI description is generated from the route schemas; /docs serves it.
  await app.register(swagger, {
    openapi: {
      info: { title: 'gnc-node API', version: '1', description: 'Ledger and exchange API of a gnc-node' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof GncError) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(error.httpStatus).send({
        code: error.code,
        message: error.httpStatus >= 500 ? 'internal error; see the node log' : error.message,
      });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).send({
      code: status === 400 ? 'GNC_INVALID_INPUT' : 'GNC_INTERNAL',
      message: status < 500 ? (error as Error).message : 'internal error; see the node log',
    });
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    channel: home.config.ledger.channelId,
    ledger: home.ledger.kind,
    height: Number(await home.ledger.client(home.nodeIdentity).height()),
  }));

  const toRequest = (body: TransactionBodyT): TransactionRequest => ({
    contract: body.contract,
    name: body.name,
    args: body.args,
    transient: Object.fromEntries(Object.entries(body.transient).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  });

  app.post<{ Body: TransactionBodyT }>(
    '/ledger/transactions',
    { schema: { body: TransactionBody } },
    async (request) => {
      const client = home.ledger.client(userIdentity(home, request.body.as));
      const submitted = await client.submit(toRequest(request.body), { timeoutMs: 30_000 });
      return {
        txId: submitted.txId,
        blockNumber: Number(submitted.blockNumber),
        result: decodeResult(submitted.result),
      };
    },
  );

  app.post<{ Body: TransactionBodyT }>('/ledger/queries', { schema: { body: TransactionBody } }, async (request) => {
    const client = home.ledger.client(userIdentity(home, request.body.as));
    return { result: decodeResult(await client.evaluate(toRequest(request.body))) };
  });

  app.get<{ Querystring: { prefix?: string; limit?: number } }>(
    '/ledger/keys',
    {
      schema: {
        querystring: Type.Object({
          prefix: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
        }),
      },
    },
    async (request) => {
      const embedded = requireEmbedded(home);
      const keys: string[] = [];
      const prefix = request.query.prefix ? keyPrefixFromDisplay(request.query.prefix) : '';
      for await (const entry of embedded.stateStore.entries(home.config.ledger.chaincodeName, prefix)) {
        keys.push(keyToDisplay(entry.key));
        if (keys.length >= (request.query.limit ?? 1000)) break;
      }
      return { keys };
    },
  );

  app.get<{ Params: { key: string } }>('/ledger/history/:key', async (request) => {
    const embedded = requireEmbedded(home);
    return {
      key: request.params.key,
      history: await keyHistory(embedded, home.config.ledger.chaincodeName, keyFromDisplay(request.params.key)),
    };
  });

  if (options.exchange) registerExchangeRoutes(app, options.exchange);
  await app.register((await import('../web/audit-page.js')).auditPage, { home });
  return app;
}

function requireEmbedded(home: NodeHome) {
  if (!home.ledger.embedded)
    throw new InvalidInputError(`this route needs the embedded ledger; this node uses ${home.ledger.kind}`);
  return home.ledger.embedded;
}

/** Contract results are JSON (the contracts' serializer); anything else is returned as base64. */
export function decodeResult(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null;
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') };
  }
}

/**
 * The audit page served by the node: a record's history drawn as a timeline, and a drop zone for
 * a provenance proof. The page bundles nothing: plain HTML, CSS and a little script. Proofs are
 * verified by the node (POST /proofs/verify runs the same offline verifier as `gnc verify-proof`,
 * with no access to the ledger), so the browser needs no crypto code; the page explains the
 * result check by check.
 */
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { keyFromDisplay, keyHistory } from '../audit/key-history';
import { GncError } from '../errors';
import type { NodeHome } from '../home/node-home';
import { verifyProofText } from '../proof/verify-proof';
import { AUDIT_PAGE_HTML } from './audit-page-html';

export interface AuditPageOptions {
  home: NodeHome;
}

/** Proofs carry whole blocks; allow them more than the API's default body limit. */
const PROOF_BODY_LIMIT = 32 * 1024 * 1024;

export const auditPage: FastifyPluginCallback<AuditPageOptions> = (app: FastifyInstance, options, done) => {
  const { home } = options;
  // The verifier checks the proof's exact bytes (its canonical form), so the body stays text
  // (in this plugin's scope only; the rest of the API keeps its JSON parser).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string', bodyLimit: PROOF_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.get('/audit', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
      .send(AUDIT_PAGE_HTML),
  );

  app.get<{ Querystring: { key: string } }>(
    '/audit/history',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { key: { type: 'string', minLength: 1, maxLength: 512 } },
          required: ['key'],
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const embedded = home.ledger.embedded;
      if (!embedded) {
        throw new GncError(
          'GNC_UNSUPPORTED',
          `record history needs the embedded ledger; this node uses ${home.ledger.kind}`,
          {
            httpStatus: 501,
          },
        );
      }
      const history = await keyHistory(embedded, home.config.ledger.chaincodeName, keyFromDisplay(request.query.key));
      if (history.length === 0) {
        throw new GncError('GNC_KEY_NOT_FOUND', `no history for key '${request.query.key}'`, { httpStatus: 404 });
      }
      return { key: request.query.key, history };
    },
  );

  app.post<{ Body: string }>('/proofs/verify', { bodyLimit: PROOF_BODY_LIMIT }, (request, reply) => {
    if (typeof request.body !== 'string' || request.body.length === 0) {
      throw new GncError('GNC_INVALID_INPUT', 'send the proof file as the request body', { httpStatus: 400 });
    }
    return reply.send(verifyProofText(request.body));
  });
  done();
};

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../errors';

/**
 * The node's configuration file (<data>/config.json, written by `gnc init`). One schema gives
 * both the validation and the TypeScript type; defaults live in the schema; a bad file fails
 * with every problem listed; the loaded object is frozen.
 */

const Organization = Type.Object(
  {
    mspId: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
    /** PEM files of the organisation's root CAs, relative to the data folder. */
    rootCertificateFiles: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  },
  { additionalProperties: false },
);

const Collection = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
    policy: Type.String({ minLength: 1 }),
    requiredPeerCount: Type.Optional(Type.Integer({ minimum: 0 })),
    maxPeerCount: Type.Optional(Type.Integer({ minimum: 0 })),
    blockToLive: Type.Optional(Type.Integer({ minimum: 0 })),
    memberOnlyRead: Type.Optional(Type.Boolean()),
    memberOnlyWrite: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const NodeConfigSchema = Type.Object(
  {
    node: Type.Object(
      {
        mspId: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
        organization: Type.String({ minLength: 1 }),
        /** MSP folder of the node identity (endorser and block signer), relative to the data folder. */
        mspDir: Type.String({ default: 'msp/node' }),
        /** MSP folders of the local users the CLI and API act as, by role. */
        usersDir: Type.String({ default: 'msp/users' }),
      },
      { additionalProperties: false },
    ),
    ledger: Type.Object(
      {
        kind: Type.Union([Type.Literal('embedded')], { default: 'embedded' }),
        channelId: Type.String({ pattern: '^[a-z][a-z0-9.-]*$', default: 'gnc' }),
        chaincodeName: Type.String({ default: 'gnc' }),
        chaincodeVersion: Type.String({ default: '1.0' }),
        directory: Type.String({ default: 'ledger' }),
        maxBlockTransactions: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
        /**
         * How long, in milliseconds, a queued transaction may wait for the ones still being
         * endorsed to join its block; 0 cuts as soon as the queue is taken. Longer waits give
         * fuller blocks (fewer fsyncs) under load at the cost of latency.
         */
        maxBlockWaitMs: Type.Integer({ minimum: 0, maximum: 1_000, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7070 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The exchange with partner administrations; absent: the node runs its ledger only. */
    exchange: Type.Optional(
      Type.Object(
        {
          /** This administration's id, as partners' agreements name it. */
          nodeId: Type.String({ pattern: '^[A-Za-z0-9._-]+$' }),
          /** Folder of partner agreements (one JSON file per partner), relative to the data folder. */
          partnersDir: Type.String({ default: 'partners' }),
          /** Listen options per transport kind, e.g. { "http": { "port": 7443 } }. */
          listen: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), { default: {} }),
          /** A production node refuses the `none` security scheme. */
          production: Type.Boolean({ default: false }),
          anchor: Type.Object(
            {
              intervalMs: Type.Integer({ minimum: 10, default: 1000 }),
              maxBatch: Type.Integer({ minimum: 1, default: 5000 }),
            },
            { additionalProperties: false, default: {} },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Channel organisations besides the node's own (whose root is msp/ca). */
    organizations: Type.Array(Organization, { default: [] }),
    collections: Type.Array(Collection, { default: [] }),
  },
  { additionalProperties: false },
);

export type NodeConfig = Static<typeof NodeConfigSchema>;

export const CONFIG_FILE = 'config.json';

/** Validates `raw` against the schema, filling defaults; throws ConfigError listing every problem. */
export function parseNodeConfig(raw: unknown, source: string): Readonly<NodeConfig> {
  const withDefaults = Value.Default(NodeConfigSchema, structuredClone(raw));
  const problems = [...Value.Errors(NodeConfigSchema, withDefaults)].map(
    (e) =>
      `${e.path || '/'}: ${e.message}${e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : ''}`,
  );
  if (problems.length > 0) throw new ConfigError(`${source} is not a valid gnc-node configuration`, problems);
  return deepFreeze(withDefaults as NodeConfig);
}

export async function loadNodeConfig(dataDir: string): Promise<Readonly<NodeConfig>> {
  const file = path.join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: run \`gnc init --data ${dataDir}\` first`, [], { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON`, [String((error as Error).message)], { cause: error });
  }
  return parseNodeConfig(raw, file);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

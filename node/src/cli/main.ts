#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { buildApp, decodeResult } from '../api/app';
import { keyFromDisplay, keyHistory, keyPrefixFromDisplay, keyToDisplay } from '../audit/key-history';
import { verifyBlockfile } from '../audit';
import { embeddedLiveState } from '../audit/live-state';
import { auditBlockfile } from '../audit/verify-ledger';
import { canonicalProofText, proveEmbeddedRecord, verifyProofText } from '../proof';
import { loadNodeConfig } from '../config/node-config';
import { inspectFile } from '../inspect/inspect-file';
import { proveMessage } from '../exchange/anchorer';
import { startExchange } from '../exchange/exchange-runtime';
import { MessageStore } from '../exchange/message-store';
import { messageFormats } from '../../../adapters/format';
import { GncError, InvalidInputError, asError } from '../errors';
import { initNodeHome, openNodeHome, userIdentity, type NodeHome } from '../home/node-home';
import type { TransactionRequest } from '../ledger';
import { progressReporter } from './progress';
import { lowerV8WorkerPriority } from './thread-priority';

/**
 * `gnc`: the node's command line. Every command takes --data <dir> (default ./data). Errors
 * print their code and what to do, and exit 1.
 */

const program = new Command('gnc')
  .description('gnc-node: cross-border customs data exchange with a permissioned ledger')
  .option('--data <dir>', 'the node data folder', 'data')
  .showHelpAfterError();

const dataDir = () => path.resolve(program.opts<{ data: string }>().data);

async function withHome<T>(action: (home: NodeHome) => Promise<T>): Promise<T> {
  const home = await openNodeHome(dataDir(), { onRecovery: (message) => console.error(message) });
  try {
    return await action(home);
  } finally {
    await home.close();
  }
}

function parseTransaction(value: string): { contract: string; name: string } {
  const match = /^([A-Z][A-Za-z]*):([A-Z][A-Za-z]*)$/.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError(`'${value}' is not Contract:Transaction, e.g. Declaration:Lodge`);
  }
  return { contract: match[1], name: match[2] };
}

async function readTransient(entries: string[]): Promise<Record<string, Uint8Array>> {
  const transient: Record<string, Uint8Array> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--transient ${entry}: expected key=value or key=@file`);
    const value = entry.slice(at + 1);
    transient[entry.slice(0, at)] = value.startsWith('@') ? await readFile(value.slice(1)) : Buffer.from(value, 'utf8');
  }
  return transient;
}

program
  .command('init')
  .description('create the data folder: CA, node identity, local users (single-window, officer, auditor), config')
  .option('--msp-id <id>', 'MSP id of this administration', 'CustomsAMSP')
  .option('--organization <name>', 'organisation name in certificates', 'Customs Administration A')
  .option('--force', 'replace existing identities and config (the ledger is kept)', false)
  .action(async (options: { mspId: string; organization: string; force: boolean }) => {
    const { created } = await initNodeHome(dataDir(), options);
    for (const item of created) console.log(`created ${path.relative(process.cwd(), item) || item}`);
    console.log(`next: gnc start --data ${path.relative(process.cwd(), dataDir()) || '.'}`);
  });

program
  .command('start')
  .description('run the node on its configured ledger (embedded by default) with its HTTP API')
  .option('--port <port>', 'override the API port', (v) => Number.parseInt(v, 10))
  .option('--init-if-missing', 'run gnc init first when the data folder has no config', false)
  .action(async (options: { port?: number; initIfMissing: boolean }) => {
    lowerV8WorkerPriority();
    if (options.initIfMissing) {
      try {
        await loadNodeConfig(dataDir());
      } catch {
        console.log(`no configuration in ${dataDir()}; initialising it`);
        await initNodeHome(dataDir(), { mspId: 'CustomsAMSP', organization: 'Customs Administration A' });
      }
    }
    const home = await openNodeHome(dataDir(), { onRecovery: (message) => console.error(message) });
    const exchange = await startExchange(home, { log: (event) => console.log(JSON.stringify(event)) });
    const app = await buildApp({ home, ...(exchange ? { exchange } : {}), logger: false });
    const port = options.port ?? home.config.api.port;
    const address = await app.listen({ host: home.config.api.host, port });
    console.log(
      `gnc-node ${home.config.node.mspId} on channel '${home.config.ledger.channelId}' (${home.ledger.kind} ledger, height ${await home.ledger.client(home.nodeIdentity).height()})`,
    );
    console.log(`API listening on ${address}  (GET ${address}/healthz, OpenAPI at ${address}/docs)`);
    if (exchange) {
      for (const [kind, endpoint] of Object.entries(exchange.endpoints))
        console.log(`exchange ${kind} endpoint: ${endpoint}`);
      console.log(`partners: ${exchange.agreements.map((a) => a.partnerId).join(', ')}`);
    }
    console.log(
      `try: npx gnc --data ${path.relative(process.cwd(), dataDir()) || '.'} ledger keys   (in another terminal, after stopping this node: the ledger has one owner)`,
    );
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping`);
      await app.close();
      await exchange?.stop();
      await home.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

const ledger = program.command('ledger').description('submit and query transactions, list record keys');

for (const [command, submit] of [
  ['submit', true],
  ['query', false],
] as const) {
  ledger
    .command(`${command} <transaction> [args...]`)
    .description(
      submit
        ? 'endorse, order and commit a transaction, e.g. Declaration:Lodge \'{"id":...}\''
        : 'evaluate a transaction function without ordering it, e.g. Declaration:Get DEC-1',
    )
    .option('--as <role>', 'local user to act as (single-window, officer, auditor)', 'officer')
    .option('--transient <key=value|key=@file...>', 'transient data (private inputs, never in a block)', [])
    .action(async (transaction: string, args: string[], options: { as: string; transient: string[] }) => {
      const request: TransactionRequest = {
        ...parseTransaction(transaction),
        args,
        transient: await readTransient(options.transient),
      };
      await withHome(async (home) => {
        const client = home.ledger.client(userIdentity(home, options.as));
        if (submit) {
          const result = await client.submit(request);
          console.log(
            JSON.stringify(
              { txId: result.txId, blockNumber: Number(result.blockNumber), result: decodeResult(result.result) },
              null,
              2,
            ),
          );
        } else {
          console.log(JSON.stringify(decodeResult(await client.evaluate(request)), null, 2));
        }
      });
    });
}

ledger
  .command('keys')
  .description('list record keys in the world state (composite keys shown as type/attr/...)')
  .option('--prefix <prefix>', 'only keys starting with this (e.g. declaration/)')
  .action(async (options: { prefix?: string }) => {
    await withHome(async (home) => {
      const embedded = home.ledger.embedded;
      if (!embedded)
        throw new GncError('GNC_UNSUPPORTED', `key listing needs the embedded ledger, not ${home.ledger.kind}`);
      const prefix = options.prefix ? keyPrefixFromDisplay(options.prefix) : '';
      for await (const entry of embedded.stateStore.entries(home.config.ledger.chaincodeName, prefix)) {
        console.log(keyToDisplay(entry.key));
      }
    });
  });

program
  .command('prove-message <messageId>')
  .description('inclusion proof of an exchanged message in its anchored batch, checked against the ledger')
  .option('--direction <in|out>', 'received (in) or sent (out); default: as the message status says')
  .option('--out <file>', 'write the proof here instead of stdout')
  .action(async (messageId: string, options: { direction?: 'in' | 'out'; out?: string }) => {
    await withHome(async (home) => {
      const store = await MessageStore.open(path.join(home.dataDir, 'exchange')).catch((error: unknown) => {
        throw new GncError(
          'GNC_EXCHANGE_UNAVAILABLE',
          `cannot open the exchange store of ${home.dataDir} (${asError(error).message}); if the node is running, use GET /exchange/messages/${messageId}/proof`,
        );
      });
      try {
        const direction = options.direction ?? (await store.status(messageId))?.direction ?? 'out';
        const proof = await proveMessage(store, direction, messageId);
        if (!proof?.anchor) {
          throw new GncError(
            'GNC_EXCHANGE_NOT_ANCHORED',
            `message ${messageId} (${direction}) is not in an anchored batch`,
            {
              httpStatus: 404,
            },
          );
        }
        const anchor = decodeResult(
          await home.ledger
            .client(userIdentity(home, 'auditor'))
            .evaluate({ contract: 'Anchor', name: 'GetAnchor', args: [proof.batchId] }),
        ) as { merkleRoot: string; txId: string };
        if (anchor.merkleRoot !== proof.merkleRoot) {
          throw new GncError(
            'GNC_EXCHANGE_PROOF_MISMATCH',
            `the ledger holds root ${anchor.merkleRoot} for ${proof.batchId}, not ${proof.merkleRoot}`,
          );
        }
        const text = JSON.stringify({ ...proof, ledger: anchor }, null, 2) + '\n';
        if (options.out) await writeFile(options.out, text);
        else process.stdout.write(text);
      } finally {
        await store.close();
      }
    });
  });

program
  .command('translate [file]')
  .description('translate a message between formats through the canonical schema (stdin/stdout by default)')
  .requiredOption('--from <format>', `input format (${Object.keys(messageFormats).join(', ')})`)
  .requiredOption('--to <format>', 'output format')
  .option('--out <file>', 'write here instead of stdout')
  .action(async (file: string | undefined, options: { from: string; to: string; out?: string }) => {
    const formatOf = (name: string) => {
      const factory = messageFormats[name];
      if (!factory) {
        throw new InvalidInputError(`unknown format '${name}'; known: ${Object.keys(messageFormats).join(', ')}`);
      }
      return factory({})({});
    };
    const from = formatOf(options.from);
    const to = formatOf(options.to);
    const input = file ? await readFile(file) : await readStdin();
    const output = to.encode(from.decode(input));
    if (options.out) await writeFile(options.out, output);
    else process.stdout.write(output);
  });

program
  .command('inspect <file>')
  .description(
    'say what a file is (EDIFACT, WCO XML, AS4, CMS, JWS, envelope), parse it, check the signature it carries',
  )
  .action(async (file: string) => {
    console.log(JSON.stringify(await inspectFile(await readFile(file)), null, 2));
  });

const audit = program.command('audit').description('verify the ledger and read record histories');

audit
  .command('history <key>')
  .description('every version of a record: transaction, block, time, who (key as type/attr, e.g. declaration/DEC-1)')
  .action(async (key: string) => {
    await withHome(async (home) => {
      const embedded = home.ledger.embedded;
      if (!embedded)
        throw new GncError('GNC_UNSUPPORTED', `history needs the embedded ledger, not ${home.ledger.kind}`);
      const history = await keyHistory(embedded, home.config.ledger.chaincodeName, keyFromDisplay(key));
      if (history.length === 0) {
        throw new GncError('GNC_KEY_NOT_FOUND', `no history for key '${key}'; list keys with: gnc ledger keys`, {
          httpStatus: 404,
        });
      }
      console.log(JSON.stringify({ key, history }, null, 2));
    });
  });

audit
  .command('verify')
  .description(
    'check the whole ledger trusting only the channel root certificates: hash chain, data hashes, block signatures, creator and endorsement signatures, endorsement policies, validation flags, replayed state; exit 1 naming faulty blocks',
  )
  .option(
    '--blockfile <path>',
    "a Fabric blockfile or a peer's chains/chains/<channel> folder (default: this node's ledger)",
  )
  .option('--report <file>', 'write the JSON report here')
  .option('--hash-only', "only the hash chain and data hashes, as Fabric's ledgerutil verify", false)
  .option(
    '--endorsement-policy <namespace=policy...>',
    "impose a chaincode's endorsement policy, e.g. gnc=AND('CustomsAMSP.peer','CustomsBMSP.peer') (default: read from the chain)",
    [],
  )
  .option(
    '--trust <roots.pem>',
    'pin the root certificates: every MSP root of the genesis block must be in this PEM file',
  )
  .action(
    async (options: {
      blockfile?: string;
      report?: string;
      hashOnly: boolean;
      endorsementPolicy: string[];
      trust?: string;
    }) => {
      let target = options.blockfile;
      let home: NodeHome | undefined;
      let noLiveStateReason = 'only a blockfile was given: the replayed state is not compared with a live state';
      if (!target) {
        const config = await loadNodeConfig(dataDir());
        target = path.join(dataDir(), config.ledger.directory, 'chains', 'chains', config.ledger.channelId);
        if (!options.hashOnly) {
          try {
            home = await openNodeHome(dataDir(), { onRecovery: (message) => console.error(message) });
          } catch (error) {
            noLiveStateReason = `the node's state database cannot be opened (${asError(error).message}; is the node running?): the replayed state is not compared`;
          }
        }
      }
      const progress = progressReporter('blocks');
      const started = Date.now();
      try {
        const report = options.hashOnly
          ? await verifyBlockfile(target, { onProgress: (p) => progress.update(p.blocks) })
          : await auditBlockfile(target, {
              onProgress: (p) => progress.update(p.blocks),
              endorsementPolicies: parsePolicyOptions(options.endorsementPolicy),
              ...(options.trust ? { trustedRoots: splitPem(await readFile(options.trust, 'utf8')) } : {}),
              ...(home?.ledger.embedded
                ? {
                    liveState: embeddedLiveState(
                      home.ledger.embedded.stateStore,
                      home.config.ledger.chaincodeName,
                      `the LevelDB state of ${path.join(home.dataDir, home.config.ledger.directory)}`,
                    ),
                  }
                : { noLiveStateReason }),
            });
        progress.done();
        if (options.report) {
          // Block numbers may be bigints; in the report they are plain JSON numbers or, beyond 2^53, strings.
          const json = JSON.stringify(
            { target, ...report },
            (_key, value: unknown) =>
              typeof value === 'bigint'
                ? value <= BigInt(Number.MAX_SAFE_INTEGER)
                  ? Number(value)
                  : value.toString()
                : value,
            2,
          );
          await writeFile(options.report, json + '\n');
        }
        // The verdict first (scripts match it), then what was checked.
        if (report.intact) {
          console.log(
            `intact: ${report.blocksChecked} blocks (${report.firstBlock ?? '-'}..${report.lastBlock ?? '-'}) in ${target}`,
          );
        } else {
          for (const fault of report.faults) console.log(`block ${fault.blockNum}: ${fault.errors.join('; ')}`);
          console.log(`NOT intact: ${report.faults.length} faulty block(s) of ${report.blocksChecked} in ${target}`);
          process.exitCode = 1;
        }
        if ('signaturesChecked' in report) {
          const seconds = Math.max(0.001, (Date.now() - started) / 1000);
          console.log(
            `checked ${report.blocksChecked} blocks, ${report.transactions.total} transactions (${report.transactions.valid} valid), ${report.signaturesChecked} signatures in ${seconds.toFixed(2)} s (${Math.round(report.blocksChecked / seconds)} blocks/s, ${Math.round(report.transactions.total / seconds)} tx/s)`,
          );
          for (const [ns, p] of Object.entries(report.endorsementPolicies)) {
            console.log(`endorsement policy of ${ns}: ${p.policy} (${p.source})`);
          }
          console.log(`state: ${report.state.message}`);
          for (const m of report.state.mismatches) console.log(`state ${m.namespace} ${m.key}: ${m.problem}`);
          if (report.trust.genesisHeaderHash) {
            console.log(
              `trust anchor: genesis header hash ${report.trust.genesisHeaderHash}${report.trust.pinned ? ' (roots pinned)' : ' (compare it out of band, or pin the roots with --trust)'}`,
            );
          }
        }
      } finally {
        await home?.close();
      }
    },
  );

function parsePolicyOptions(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--endorsement-policy ${entry}: expected namespace=policy`);
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

program
  .command('prove <key>')
  .description(
    'a self-contained proof that a record had its value at a block (key as type/id, e.g. declaration/DEC-1); --disclose reveals confidential fields with their salts',
  )
  .option(
    '--disclose <field,...>',
    'confidential field paths to disclose, e.g. invoiceAmount,goodsItems[0].customsValue',
  )
  .option('--tx <txId>', 'prove this version of the record (default: the latest)')
  .option('--as <role>', 'local user that reads the confidential fields', 'single-window')
  .requiredOption('--out <file>', 'write the proof here')
  .action(async (key: string, options: { disclose?: string; tx?: string; as: string; out: string }) => {
    await withHome(async (home) => {
      const embedded = home.ledger.embedded;
      if (!embedded)
        throw new GncError('GNC_UNSUPPORTED', `gnc prove needs the embedded ledger, not ${home.ledger.kind}`);
      const fields = options.disclose
        ? options.disclose
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean)
        : [];
      const proof = await proveEmbeddedRecord(embedded, {
        chaincodeName: home.config.ledger.chaincodeName,
        key: keyFromDisplay(key),
        ...(options.tx ? { txId: options.tx } : {}),
        disclose: fields,
        confidential: fields.length > 0 ? home.ledger.client(userIdentity(home, options.as)) : undefined,
      });
      const text = canonicalProofText(proof);
      await writeFile(options.out, text);
      console.log(
        `proof of ${key} at block ${proof.claim.blockNumber} (transaction ${proof.claim.txId}) written to ${options.out} (${text.length} bytes)`,
      );
    });
  });

program
  .command('verify-proof <file>')
  .description('verify a proof offline: no network, no ledger; exit 1 saying which check failed')
  .option(
    '--trust <roots.pem>',
    'root certificates to accept (default: the roots carried by the proof, reported as not pinned)',
  )
  .option(
    '--endorsement-policy <policy>',
    "impose the chaincode's endorsement policy, e.g. AND('CustomsAMSP.peer','CustomsBMSP.peer')",
  )
  .option('--json', 'print the result as JSON', false)
  .action(async (file: string, options: { trust?: string; endorsementPolicy?: string; json: boolean }) => {
    const text = await readFile(file, 'utf8');
    const result = verifyProofText(text, {
      ...(options.trust ? { trustedRoots: splitPem(await readFile(options.trust, 'utf8')) } : {}),
      ...(options.endorsementPolicy ? { endorsementPolicy: options.endorsementPolicy } : {}),
    });
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else {
      for (const check of result.checks) {
        console.log(
          `${check.status === 'pass' ? 'ok  ' : check.status === 'fail' ? 'FAIL' : 'skip'} ${check.name}: ${check.detail}`,
        );
      }
      console.log(result.valid ? `VALID: ${result.summary}` : `INVALID: ${result.summary}`);
    }
    if (!result.valid) process.exitCode = 1;
  });

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const err = asError(error);
  if (err instanceof GncError) {
    console.error(`error ${err.code}: ${err.message}`);
  } else {
    console.error(`error: ${err.message}`);
    if (process.env.GNC_DEBUG) console.error(err.stack);
  }
  process.exitCode = 1;
});

/**
 * `npm run demo`: two customs administrations on this machine, each its own `gnc start` process
 * with its own ledger and data folder. A (CN) receives over libp2p with CMS and protobuf; B (NL)
 * receives over HTTP/2 with mutual TLS, JWS and JSON. The demo drives the export-to-import GNC
 * flow through their HTTP APIs, printing each step, then leaves both nodes running until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createTwoAdministrations, type Administration } from './two-administrations';
import { waitFor } from '../util/wait-for';

const root = path.resolve(process.argv[2] ?? 'data/demo');
const children: ChildProcess[] = [];

const step = (who: string, text: string) =>
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${who.padEnd(9)} ${text}`);

function startNode(administration: Administration): Promise<string> {
  const bin = path.resolve(__dirname, '../../../../bin/gnc.js');
  const child = spawn(process.execPath, [bin, '--data', administration.dataDir, 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /API listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`${administration.id}: ${chunk.toString()}`));
    child.on('exit', (code) => reject(new Error(`${administration.id} exited with ${code}:\n${output}`)));
  });
}

async function call<T>(base: string, method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

function stopAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

async function main(): Promise<void> {
  process.on('SIGINT', () => {
    console.log('\nstopping both nodes');
    stopAll();
  });
  await rm(root, { recursive: true, force: true });
  step(
    'setup',
    `creating two administrations in ${path.relative(process.cwd(), root) || root} (CAs, identities, ledgers, agreements)`,
  );
  const [a, b] = await createTwoAdministrations(root);
  const [apiA, apiB] = await Promise.all([startNode(a), startNode(b)]);
  step('CustomsA', `running at ${apiA}: receives over libp2p, CMS signatures, protobuf`);
  step('CustomsB', `running at ${apiB}: receives over HTTP/2 with mutual TLS, JWS signatures, JSON`);

  const ledger = (base: string, contract: string, name: string, args: string[], as = 'officer') =>
    call<{ txId: string; blockNumber: number; result: Record<string, unknown> }>(base, 'POST', '/ledger/transactions', {
      contract,
      name,
      args,
      as,
    });

  const exportId = `EXP-${randomBytes(3).toString('hex').toUpperCase()}`;
  const mrn = `26CN${randomBytes(7).toString('hex').toUpperCase()}`;
  const container = `MSCU${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const goodsItems = [
    {
      sequence: 1,
      hsCode: '851713',
      description: 'Smartphones',
      quantity: 120,
      unit: 'PCE',
      grossMassKg: 60.5,
      netMassKg: 48,
      originCountry: 'CN',
    },
  ];
  const lodged = await ledger(
    apiA,
    'Declaration',
    'Lodge',
    [
      JSON.stringify({
        id: exportId,
        lrn: `LRN-${exportId}`,
        mrn,
        type: 'EXPORT',
        officeOfLodgement: 'CN000001',
        declarant: { identifier: 'CN91310000MA1', aeoCertificate: 'CNAEOF0000123' },
        exporter: { identifier: 'CN91310000MA1' },
        importer: { identifier: 'NL812345678' },
        consignment: {
          transport: { mode: 'SEA', meansId: 'IMO9321483', containerIds: [container] },
          countryOfDispatch: 'CN',
          countryOfDestination: 'NL',
        },
        goodsItems,
        sealIds: ['ESEAL-77001'],
      }),
    ],
    'single-window',
  );
  step(
    'CustomsA',
    `single window lodged export declaration ${exportId} (MRN ${mrn}, container ${container}) in block ${lodged.blockNumber}`,
  );
  await ledger(apiA, 'Declaration', 'AssignLane', [exportId, 'RED']);
  step('CustomsA', 'risk engine assigned the RED lane: inspection required before release');
  const inspectionId = `INS-${randomBytes(3).toString('hex').toUpperCase()}`;
  const inspected = await ledger(apiA, 'Inspection', 'RecordInspection', [
    JSON.stringify({
      id: inspectionId,
      declarationId: exportId,
      containerId: container,
      method: 'XRAY_CONTAINER_SCAN',
      image: { sha256: randomBytes(32).toString('hex'), uri: `s3://scans/${container}.png` },
      findings: [
        {
          label: 'iPhone',
          hsCode: '851713',
          count: 120,
          confidence: 0.97,
          modelName: 'xray-detector',
          modelVersion: '4.2',
        },
      ],
      verdict: 'CONFORMING',
    }),
  ]);
  const comparison = (inspected.result.comparison as { lines?: Array<{ status: string }> } | undefined)?.lines?.[0]
    ?.status;
  step(
    'CustomsA',
    `X-ray scan recorded: "120 iPhones detected in the container" (97%), declared vs detected: ${comparison ?? '?'}`,
  );
  const released = await ledger(apiA, 'Declaration', 'Release', [exportId]);
  step('CustomsA', `released ${exportId} on the legality check (block ${released.blockNumber}); duty can follow later`);
  step('CustomsA', 'the release event sends the pre-arrival data set and the inspection to CustomsB');

  const shared = await waitFor('CustomsB to receive', async () => {
    const body = await call<{ shared: Array<{ body: string; messageId: string }> }>(
      apiB,
      'GET',
      `/exchange/shared/container/${container}`,
    );
    return body.shared.length >= 2 ? body.shared : undefined;
  });
  for (const item of shared)
    step(
      'CustomsB',
      `received ${item.body} ${item.messageId} from CustomsA, verified, stored, receipt signed and returned`,
    );

  const importId = `IMP-${randomBytes(3).toString('hex').toUpperCase()}`;
  await ledger(
    apiB,
    'Declaration',
    'Lodge',
    [
      JSON.stringify({
        id: importId,
        lrn: `LRN-${importId}`,
        type: 'IMPORT',
        officeOfLodgement: 'NL000396',
        declarant: { identifier: 'NL812345678' },
        importer: { identifier: 'NL812345678' },
        exporter: { identifier: 'CN91310000MA1' },
        consignment: {
          transport: { mode: 'SEA', meansId: 'IMO9321483', containerIds: [container] },
          countryOfDispatch: 'CN',
          countryOfDestination: 'NL',
        },
        goodsItems,
        sealIds: ['ESEAL-77001'],
        previousDeclarationId: mrn,
      }),
    ],
    'single-window',
  );
  step('CustomsB', `goods arrived: import declaration ${importId} lodged, referring to export ${mrn}`);
  const scans = shared.filter((s) => s.body === 'inspection');
  step(
    'CustomsB',
    `officer checks container ${container}: already X-rayed by CustomsA (${scans.length} result(s)), conforming`,
  );
  await ledger(apiB, 'Declaration', 'AssignLane', [importId, 'GREEN']);
  await ledger(apiB, 'Declaration', 'Release', [importId]);
  step('CustomsB', `mutual recognition of controls: GREEN lane, ${importId} released without a second scan`);

  const messageId = shared[0]?.messageId ?? '';
  const proof = await waitFor('the anchor', async () => {
    try {
      const p = await call<{ anchor?: { blockNumber: number }; batchId: string; merkleRoot: string }>(
        apiA,
        'GET',
        `/exchange/messages/${messageId}/proof?direction=out`,
      );
      return p.anchor ? p : undefined;
    } catch {
      return undefined;
    }
  });
  step(
    'CustomsA',
    `message ${messageId} anchored: batch ${proof.batchId}, Merkle root ${proof.merkleRoot.slice(0, 16)}... in block ${proof.anchor?.blockNumber}`,
  );
  console.log('');
  console.log(`CustomsA  ${apiA}   (OpenAPI ${apiA}/docs, metrics ${apiA}/metrics)`);
  console.log(`CustomsB  ${apiB}   (OpenAPI ${apiB}/docs, metrics ${apiB}/metrics)`);
  console.log(`try: curl ${apiB}/exchange/shared/container/${container}`);
  console.log('both nodes keep running; Ctrl-C stops them');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${(error as Error).message}`);
  stopAll();
  process.exitCode = 1;
});

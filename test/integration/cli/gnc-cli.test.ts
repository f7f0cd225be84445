import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { temporaryDirectory } from '../../support/test-organizations';
import { conformanceDir } from '../../support/conformance-dir';
import { NODE_FLAGS } from '../../../node/src/cli/node-flags';

/** Runs the built CLI as a user would (bin/gnc.js), with this test's Node. */
function gnc(
  args: string[],
  options: { input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = path.resolve(__dirname, '../../../../bin/gnc.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const conformance = conformanceDir();

describe('gnc (command line)', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let data: string;

  before(async () => {
    tmp = await temporaryDirectory('cli');
    data = path.join(tmp.dir, 'data');
  });
  after(async () => tmp.remove());

  describe('init, ledger, audit', () => {
    it('initialises a node, lodges and queries a declaration, lists keys, shows history and verifies the blocks', async () => {
      const init = await gnc(['--data', data, 'init', '--msp-id', 'CustomsAMSP']);
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, /created .*config\.json/);

      const again = await gnc(['--data', data, 'init']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /GNC_CONFIG_INVALID: .*already exists; pass --force/);

      const id = uniqueId('CLI');
      const lodge = await gnc([
        '--data',
        data,
        'ledger',
        'submit',
        'Declaration:Lodge',
        JSON.stringify(sampleDeclaration(id)),
        '--as',
        'single-window',
      ]);
      assert.equal(lodge.code, 0, lodge.stderr);
      assert.equal((JSON.parse(lodge.stdout) as { result: { id: string } }).result.id, id);

      const lane = await gnc(['--data', data, 'ledger', 'submit', 'Declaration:AssignLane', id, 'GREEN']);
      assert.equal(lane.code, 0, lane.stderr);

      const query = await gnc(['--data', data, 'ledger', 'query', 'Declaration:GetDeclaration', id]);
      assert.equal(query.code, 0, query.stderr);
      assert.equal((JSON.parse(query.stdout) as { status: string }).status, 'LANE_ASSIGNED');

      const keys = await gnc(['--data', data, 'ledger', 'keys', '--prefix', 'declaration/']);
      assert.ok(keys.stdout.split('\n').includes(`declaration/${id}`), keys.stdout);

      const history = await gnc(['--data', data, 'audit', 'history', `declaration/${id}`]);
      assert.equal(history.code, 0, history.stderr);
      const entries = (JSON.parse(history.stdout) as { history: Array<{ value: { status: string } }> }).history;
      assert.deepEqual(
        entries.map((e) => e.value.status),
        ['LODGED', 'LANE_ASSIGNED'],
      );

      const verify = await gnc(['--data', data, 'audit', 'verify', '--report', path.join(tmp.dir, 'report.json')]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, /^intact: 3 blocks \(0\.\.2\)/);
    });

    it('refuses a transition outside the lifecycle with the contract code, and exits 1', async () => {
      const refused = await gnc(['--data', data, 'ledger', 'submit', 'Declaration:Release', 'NO-SUCH-DECLARATION']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /GNC_LEDGER_ENDORSEMENT_FAILED: endorsement failed: NOT_FOUND/);
    });

    it('rejects a malformed transaction name with a usage error', async () => {
      const bad = await gnc(['--data', data, 'ledger', 'submit', 'lodge']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /'lodge' is not Contract:Transaction/);
    });

    it('says what to do when the data folder has no configuration', async () => {
      const missing = await gnc(['--data', path.join(tmp.dir, 'nowhere'), 'ledger', 'keys']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /run `gnc init --data/);
    });
  });

  describe('audit verify --blockfile', () => {
    it("passes Fabric's sample_prod ledger", async () => {
      const result = await gnc([
        'audit',
        'verify',
        '--blockfile',
        path.join(conformance, 'fabric', 'sample_prod.blockfile_000000'),
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^intact: 8 blocks/);
    });

    it("fails Fabric's sample_bad_ledger naming blocks 0 and 1, and writes the report", async () => {
      const report = path.join(tmp.dir, 'bad.json');
      const result = await gnc([
        'audit',
        'verify',
        '--blockfile',
        path.join(conformance, 'fabric', 'sample_bad_ledger.blockfile_000000'),
        '--report',
        report,
      ]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /block 0: DataHash mismatch/);
      assert.match(result.stdout, /block 1: PreviousHash mismatch/);
      assert.match(result.stdout, /NOT intact: 2 faulty block\(s\)/);
      const written = JSON.parse(await readFile(report, 'utf8')) as {
        intact: boolean;
        faults: Array<{ blockNum: number; errors: string[] }>;
      };
      assert.equal(written.intact, false);
      assert.deepEqual(
        written.faults.map((f) => [f.blockNum, f.errors]),
        [
          [0, ['DataHash mismatch']],
          [1, ['PreviousHash mismatch']],
        ],
      );
    });
  });

  describe('translate', () => {
    const envelope = {
      header: {
        messageId: 'm1',
        senderId: 'CustomsA',
        receiverId: 'CustomsB',
        utilityBlockId: 'transit-seal-events',
        createdAtMs: '1700000000000',
      },
      sealEvent: { eventId: 'e1', sealId: 'ESEAL-1', type: 'SEAL_EVENT_TYPE_AFFIXED' },
    };

    it('translates JSON to protobuf and back to the same JSON through the canonical schema', async () => {
      const json = path.join(tmp.dir, 'envelope.json');
      const pb = path.join(tmp.dir, 'envelope.pb');
      await writeFile(json, JSON.stringify(envelope));
      const toPb = await gnc(['translate', '--from', 'json', '--to', 'protobuf', json, '--out', pb]);
      assert.equal(toPb.code, 0, toPb.stderr);
      const back = await gnc(['translate', '--from', 'protobuf', '--to', 'json', pb]);
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(JSON.parse(back.stdout), envelope);
    });

    it('reads stdin, and exits 1 with the typed error on bad input', async () => {
      const result = await gnc(['translate', '--from', 'json', '--to', 'protobuf'], { input: '{"header":' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error GNC_FORMAT_INVALID: /);
      const unknown = await gnc(['translate', '--from', 'json', '--to', 'carrier-pigeon'], { input: '{}' });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /unknown format 'carrier-pigeon'/);
    });
  });

  describe('start', () => {
    const bin = path.resolve(__dirname, '../../../../bin/gnc.js');
    /** `gnc start` on a free port, resolved with the API address once it listens. */
    const startNode = async (env: NodeJS.ProcessEnv = process.env) => {
      const child = spawn(process.execPath, [bin, '--data', data, 'start', '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          const match = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          // The last line of the start-up, printed in the tick that installs the SIGTERM handler.
          if (match?.[1] && /\ntry: /.test(output)) resolve(match[1]);
        });
        child.on('exit', () => reject(new Error(`gnc start exited: ${output}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const stop = async () => {
        child.kill('SIGTERM');
        return exited;
      };
      return { child, url, stop };
    };

    it('serves /healthz on the configured address and stops on SIGTERM', async () => {
      const node = await startNode();
      const health = (await (await fetch(`${node.url}/healthz`)).json()) as { status: string; height: number };
      assert.equal(health.status, 'ok');
      assert.equal(health.height, 3);
      assert.equal(await node.stop(), 0);
    });

    it("replaces itself, same pid, with a process started with node-flags.ts' V8 settings", async function () {
      if (process.platform !== 'linux') this.skip();
      // Without a semi-space size of the caller's (which would keep the process as started).
      const node = await startNode({ ...process.env, NODE_OPTIONS: '' });
      const commandLine = (await readFile(`/proc/${node.child.pid}/cmdline`, 'utf8')).split('\0');
      assert.equal(await node.stop(), 0);
      assert.ok(NODE_FLAGS.includes('--heap-growing-percent=400'), 'the heap growing factor is among the flags');
      for (const flag of NODE_FLAGS) assert.ok(commandLine.includes(flag), `${flag} not in ${commandLine.join(' ')}`);
      assert.ok(commandLine.indexOf(NODE_FLAGS[0]!) < commandLine.indexOf(bin), 'the flags are given to node, not gnc');
    });

    it("runs V8's worker threads at nice 19 (GNC_V8_WORKER_NICE to choose) and the event loop as started", async function () {
      if (process.platform !== 'linux') this.skip();
      /** Name and nice value of each thread of `pid`, from /proc (the nice is field 19 of stat). */
      const threads = async (pid: number) => {
        const tids = await readdir(`/proc/${pid}/task`);
        const found: { name: string; nice: number }[] = [];
        for (const tid of tids) {
          const name = (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8')).trim();
          const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
          found.push({ name, nice });
        }
        return found;
      };
      const ownNice = os.getPriority();
      for (const [env, expected] of [
        [process.env, 19],
        [{ ...process.env, GNC_V8_WORKER_NICE: '7' }, 7],
        [{ ...process.env, GNC_V8_WORKER_NICE: '0' }, ownNice],
      ] as const) {
        const node = await startNode(env);
        const listed = await threads(node.child.pid!);
        assert.equal(await node.stop(), 0);
        const workers = listed.filter((t) => t.name === 'V8Worker');
        assert.ok(workers.length > 0, `no V8Worker thread among ${listed.map((t) => t.name).join(', ')}`);
        for (const worker of workers) assert.equal(worker.nice, Math.max(expected, ownNice));
        const others = listed.filter((t) => t.name !== 'V8Worker');
        for (const other of others)
          assert.equal(other.nice, ownNice, `${other.name} kept the nice value it started with`);
      }
    });

    it('refuses a GNC_V8_WORKER_NICE that is not a nice value, saying what to give', async () => {
      const child = spawn(process.execPath, [bin, '--data', data, 'start', '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GNC_V8_WORKER_NICE: 'low' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // A node that started instead of refusing is stopped, so that the test fails rather than waits.
      child.stdout.on('data', (d: Buffer) => {
        if (/API listening/.test(d.toString())) child.kill('SIGTERM');
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 1);
      assert.match(stderr, /GNC_V8_WORKER_NICE='low' is not a nice value: give 0 .* to 19/);
    });
  });
});

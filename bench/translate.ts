import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { messageFormats } from '../adapters/format';
import { sampleEnvelopes } from '../test/compliance/format-suite';
import { npmTokenize, type NpmEdifactParser } from './translate-edifact';

/**
 * The translation matrix figure: a UN/EDIFACT CUSDEC -> canonical -> WCO XML -> canonical ->
 * CUSDEC round trip per message on one core (issue 5's goal: at least 10,000 messages/s), each
 * leg alone, and beside them the same bytes pushed through the npm `edifact` tokenizer and
 * fast-xml-parser alone (parse + build, no mapping) as the reference. Every iteration translates
 * the same input bytes afresh (nothing is cached across iterations).
 *
 * Options: --seconds per window (1), --windows (5), --warmup: least seconds of warm-up before
 * each figure (2), --max-warmup (10), --processes for the round trip (3).
 *
 * The round trip is measured in --processes fresh processes, one after the other (so one core at
 * a time), and its figure is the median of their medians; each leg is measured in a fresh process
 * of its own. How fast a process ran the same code varied up to 2x from one process to the next
 * (when V8's optimised code arrived, and what it was), and a leg measured after the other in the
 * same process ran at half the speed it had alone: one process's figure was partly luck.
 */

/** Messages/s of `work` over one window of `seconds`, by the wall clock and by this process's CPU time. */
function windowRate(seconds: number, work: () => void): { wall: number; cpu: number } {
  let count = 0;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 50; i++) work();
    count += 50;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: count / elapsed, cpu: count / ((cpu.user + cpu.system) / 1e6) };
}

export interface Rate {
  /** Median of the windows' wall-clock rates, with the lowest and highest. */
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** Median of the windows' rates per CPU-second of this process (GC threads included). */
  readonly cpuMedian: number;
}

/** Warm-up window length: long enough to hold a few thousand calls, short enough to stop soon. */
const WARMUP_WINDOW_SECONDS = 0.5;
/** Two consecutive warm-up windows this close (relative) count as the steady state. */
const STEADY = 0.05;

/**
 * Runs `work` until its rate is steady: at least `minSeconds`, then until two consecutive
 * half-second windows agree within 5%, at most `maxSeconds`. By time and by rate, not by a count
 * of calls: optimised code is compiled on a background thread, and with the two cores busy it
 * came late (after ~8,000 calls; a first half-second window at 2,000 messages/s, the third at
 * 11,500), so that a fixed short warm-up let the first windows measure unoptimised code.
 */
function warmUp(minSeconds: number, maxSeconds: number, work: () => void): void {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  let previous = 0;
  while (elapsed() < maxSeconds) {
    const current = windowRate(WARMUP_WINDOW_SECONDS, work).cpu;
    if (elapsed() >= minSeconds && previous > 0 && Math.abs(current - previous) <= STEADY * previous) return;
    previous = current;
  }
}

/**
 * The median rate over `windows` windows of `seconds` after warmUp(), with the lowest and
 * highest: on a shared machine one window can lose a second to another process, and the median
 * is not moved by it.
 */
function rate(seconds: number, windows: number, warmup: { min: number; max: number }, work: () => void): Rate {
  warmUp(warmup.min, warmup.max, work);
  const rates = Array.from({ length: windows }, () => windowRate(seconds, work));
  const wall = rates.map((r) => r.wall).sort((a, b) => a - b);
  const cpu = rates.map((r) => r.cpu).sort((a, b) => a - b);
  const middle = Math.floor(windows / 2);
  return { median: wall[middle]!, low: wall[0]!, high: wall[wall.length - 1]!, cpuMedian: cpu[middle]! };
}

export async function translateBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '1' },
      windows: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      'max-warmup': { type: 'string', default: '10' },
      processes: { type: 'string', default: '3' },
      // Internal: a child process measuring one figure alone, printing its Rate as JSON.
      measure: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const windows = Number(values.windows);
  const warmup = { min: Number(values.warmup), max: Math.max(Number(values.warmup), Number(values['max-warmup'])) };
  const processes = Math.max(1, Math.floor(Number(values.processes)));
  const childFigure = values.measure;
  const measure = (work: () => void) => rate(seconds, windows, warmup, work);
  const how = `median of ${windows} windows of ${seconds} s after a warm-up until steady (${warmup.min}-${warmup.max} s)`;
  const figure = (r: Rate) =>
    `${Math.round(r.median)} messages/s (${how}; ` +
    `${Math.round(r.low)}-${Math.round(r.high)}; ${Math.round(r.cpuMedian)} per CPU-second)`;
  const edifact = messageFormats.edifact!({})({});
  const wcoXml = messageFormats['wco-xml']!({})({});
  // UNOC (Latin-1) is what customs interchanges and the reference tokenizer use: the sample's
  // non-Latin names are replaced so both sides get the same bytes.
  const declaration = JSON.parse(
    JSON.stringify(sampleEnvelopes().declaration, (_key, value: unknown) =>
      typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '-') : value,
    ),
  ) as ReturnType<typeof sampleEnvelopes>[string];
  const cusdec = Buffer.from(edifact.encode(declaration));
  const xml = Buffer.from(wcoXml.encode(edifact.decode(cusdec)));
  const again = Buffer.from(edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))));
  const work: Record<string, () => void> = {
    // The goal: both legs one after the other on the same message, each round trip counted once.
    'round-trip': () => void edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))),
    forward: () => void wcoXml.encode(edifact.decode(cusdec)),
    reverse: () => void edifact.encode(wcoXml.decode(xml)),
  };
  if (childFigure !== undefined) {
    if (!again.equals(cusdec)) throw new Error('the round trip does not give back the same CUSDEC bytes');
    const chosen = work[childFigure];
    if (!chosen) throw new Error(`--measure: one of ${Object.keys(work).join(', ')}`);
    console.log(JSON.stringify(measure(chosen)));
    return;
  }
  /** The Rate of `figure` measured in a fresh process; this one waits, so it stays a one-core figure. */
  const inFreshProcess = (figureName: string): Rate => {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, 'translate', ...argv, '--measure', figureName],
      { encoding: 'utf8' },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as Rate;
  };
  console.log(
    `input: CUSDEC of a declaration with ${declaration.declaration?.goodsShipment?.goodsItems?.length ?? 0} goods items (${cusdec.length} bytes), WCO XML ${xml.length} bytes`,
  );

  console.log(`the round trip gives back the same CUSDEC bytes: ${again.equals(cusdec) ? 'yes' : 'NO'}`);
  if (processes === 1) {
    console.log(`translate CUSDEC->WCO XML->CUSDEC round trip: ${figure(inFreshProcess('round-trip'))}`);
  } else {
    const perProcess = Array.from({ length: processes }, () => inFreshProcess('round-trip'));
    const medians = perProcess.map((r) => r.median).sort((a, b) => a - b);
    const cpu = perProcess.map((r) => r.cpuMedian).sort((a, b) => a - b);
    const middle = Math.floor(processes / 2);
    console.log(
      `translate CUSDEC->WCO XML->CUSDEC round trip: ${Math.round(medians[middle]!)} messages/s (median of ` +
        `${processes} processes, each the ${how}; process medians ${medians.map(Math.round).join(', ')}; ` +
        `windows ${Math.round(Math.min(...perProcess.map((r) => r.low)))}-${Math.round(Math.max(...perProcess.map((r) => r.high)))}; ` +
        `${Math.round(cpu[middle]!)} per CPU-second)`,
    );
  }
  console.log(`translate CUSDEC->canonical->WCO XML (forward leg): ${figure(inFreshProcess('forward'))}`);
  console.log(`translate WCO XML->canonical->CUSDEC (reverse leg): ${figure(inFreshProcess('reverse'))}`);

  // Reference: tokenising and XML parse + build alone, without any mapping or checks.
  const { Parser } = createRequire(__filename)('edifact') as { Parser: new () => NpmEdifactParser };
  const text = cusdec.toString('latin1');
  const npmEdifact = measure(() => npmTokenize(Parser, text));
  console.log(`reference npm edifact tokenizer alone: ${figure(npmEdifact)}`);
  const options = { ignoreAttributes: false, preserveOrder: true, parseTagValue: false, trimValues: false };
  const parser = new XMLParser(options);
  const builder = new XMLBuilder(options);
  const fastXml = measure(() => builder.build(parser.parse(xml)));
  console.log(`reference fast-xml-parser parse + build alone: ${figure(fastXml)}`);
  const referenceRoundTrip = measure(() => {
    npmTokenize(Parser, text);
    builder.build(parser.parse(xml));
  });
  console.log(
    `reference round trip, npm edifact tokenizer + fast-xml-parser parse + build: ${figure(referenceRoundTrip)}`,
  );

  const sampleDir = process.env.GNC_CONFORMANCE_DIR ?? path.resolve(__dirname, '../../../shared/conformance');
  const hmrcFile = path.join(sampleDir, 'xml', 'hmrc_cds_wco_dms', 'IM001a_declaration_H1_import.xml');
  let hmrc: Buffer | undefined;
  try {
    hmrc = readFileSync(hmrcFile);
  } catch {
    console.log(`${hmrcFile} not found (set GNC_CONFORMANCE_DIR): skipped the HMRC line`);
  }
  if (hmrc) {
    const sample = hmrc;
    // A declaration from a national system carries no exchange header: the interchange parties come from options.
    const toEdifact = messageFormats.edifact!({ senderId: 'GB-HMRC-CDS', recipientId: 'GNC-NODE' })({});
    const hmrcRate = measure(() => toEdifact.encode(wcoXml.decode(sample)));
    console.log(
      `HMRC import declaration (${sample.length} bytes) wco-xml -> canonical -> edifact: ${figure(hmrcRate)}`,
    );
  }
  return Promise.resolve();
}

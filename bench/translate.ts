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
 * fast-xml-parser alone (parse + build, no mapping) as the reference. Options: --seconds per
 * window (1), --windows (5), --warmup seconds before each figure (1).
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

/**
 * The median rate over `windows` windows of `seconds`, with the lowest and highest: on a shared
 * machine one window can lose a second to another process, and the median is not moved by it.
 * Warm-up is by time, not by a count of calls: optimised code is compiled on a background thread,
 * and with the two cores busy it came late (a first half-second window at 2,000 messages/s, the
 * third at 11,500), so that a short warm-up let the first windows measure unoptimised code.
 */
function rate(seconds: number, windows: number, warmupSeconds: number, work: () => void): Rate {
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmupSeconds * 1e9));
  do for (let i = 0; i < 50; i++) work();
  while (process.hrtime.bigint() < warmEnd);
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
      warmup: { type: 'string', default: '1' },
    },
  });
  const seconds = Number(values.seconds);
  const windows = Number(values.windows);
  const warmup = Number(values.warmup);
  const measure = (work: () => void) => rate(seconds, windows, warmup, work);
  const figure = (r: Rate) =>
    `${Math.round(r.median)} messages/s (median of ${windows} windows of ${seconds} s after ${warmup} s of warm-up; ` +
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
  console.log(
    `input: CUSDEC of a declaration with ${declaration.declaration?.goodsShipment?.goodsItems?.length ?? 0} goods items (${cusdec.length} bytes), WCO XML ${xml.length} bytes`,
  );

  const again = Buffer.from(edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))));
  console.log(`the round trip gives back the same CUSDEC bytes: ${again.equals(cusdec) ? 'yes' : 'NO'}`);
  // The goal: both legs one after the other on the same message, each round trip counted once.
  const roundTrip = measure(() => edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))));
  console.log(`translate CUSDEC->WCO XML->CUSDEC round trip: ${figure(roundTrip)}`);
  const forward = measure(() => wcoXml.encode(edifact.decode(cusdec)));
  console.log(`translate CUSDEC->canonical->WCO XML (forward leg): ${figure(forward)}`);
  const back = measure(() => edifact.encode(wcoXml.decode(xml)));
  console.log(`translate WCO XML->canonical->CUSDEC (reverse leg): ${figure(back)}`);

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

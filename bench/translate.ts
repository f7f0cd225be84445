import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { messageFormats } from '../adapters/format';
import { sampleEnvelopes } from '../test/compliance/format-suite';
import { npmTokenize, type NpmEdifactParser } from './translate-edifact';

/**
 * The translation matrix figure: a UN/EDIFACT CUSDEC -> canonical -> WCO XML, and back, on one
 * core (goal: at least 10,000 messages/s each way), the round trip of both legs, beside the same
 * bytes pushed through the npm `edifact` tokenizer and fast-xml-parser alone (parse + build, no
 * mapping) as the reference.
 */

/** Messages/s of `work` over one window of `seconds`. */
function windowRate(seconds: number, work: () => void): number {
  let count = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 50; i++) work();
    count += 50;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * The median rate over `windows` windows of `seconds`, with the lowest and highest: on a shared
 * machine one window can lose a second to another process, and the median is not moved by it.
 */
function rate(seconds: number, windows: number, work: () => void): { median: number; low: number; high: number } {
  for (let i = 0; i < 200; i++) work(); // warm-up
  const rates = Array.from({ length: windows }, () => windowRate(seconds, work)).sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)]!, low: rates[0]!, high: rates[rates.length - 1]! };
}

export async function translateBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { seconds: { type: 'string', default: '1' }, windows: { type: 'string', default: '5' } },
  });
  const seconds = Number(values.seconds);
  const windows = Number(values.windows);
  const measure = (work: () => void) => rate(seconds, windows, work);
  const figure = (r: ReturnType<typeof rate>) =>
    `${Math.round(r.median)} messages/s (median of ${windows} windows of ${seconds} s; ${Math.round(r.low)}-${Math.round(r.high)})`;
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

  const forward = measure(() => wcoXml.encode(edifact.decode(cusdec)));
  console.log(`edifact cusdec -> canonical -> wco-xml: ${figure(forward)}`);
  const back = measure(() => edifact.encode(wcoXml.decode(xml)));
  console.log(`wco-xml -> canonical -> edifact cusdec: ${figure(back)}`);
  const again = Buffer.from(edifact.encode(wcoXml.decode(xml)));
  console.log(`the round trip gives back the same CUSDEC bytes: ${again.equals(cusdec) ? 'yes' : 'NO'}`);
  // Both legs one after the other on the same message: each round trip counts as one.
  const roundTrip = measure(() => edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))));
  console.log(`round trip cusdec -> canonical -> wco-xml -> canonical -> cusdec: ${figure(roundTrip)}`);

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

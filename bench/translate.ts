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

function rate(seconds: number, work: () => void): number {
  for (let i = 0; i < 200; i++) work(); // warm-up
  let count = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 50; i++) work();
    count += 50;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

export async function translateBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { seconds: { type: 'string', default: '3' } } });
  const seconds = Number(values.seconds);
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

  const forward = rate(seconds, () => wcoXml.encode(edifact.decode(cusdec)));
  console.log(`edifact cusdec -> canonical -> wco-xml: ${Math.round(forward)} messages/s`);
  const back = rate(seconds, () => edifact.encode(wcoXml.decode(xml)));
  console.log(`wco-xml -> canonical -> edifact cusdec: ${Math.round(back)} messages/s`);
  const again = Buffer.from(edifact.encode(wcoXml.decode(xml)));
  console.log(`the round trip gives back the same CUSDEC bytes: ${again.equals(cusdec) ? 'yes' : 'NO'}`);
  // Both legs one after the other on the same message: each round trip counts as one.
  const roundTrip = rate(seconds, () => edifact.encode(wcoXml.decode(wcoXml.encode(edifact.decode(cusdec)))));
  console.log(`round trip cusdec -> canonical -> wco-xml -> canonical -> cusdec: ${Math.round(roundTrip)} messages/s`);

  // Reference: tokenising and XML parse + build alone, without any mapping or checks.
  const { Parser } = createRequire(__filename)('edifact') as { Parser: new () => NpmEdifactParser };
  const text = cusdec.toString('latin1');
  const npmEdifact = rate(seconds, () => npmTokenize(Parser, text));
  console.log(`reference npm edifact tokenizer alone: ${Math.round(npmEdifact)} messages/s`);
  const options = { ignoreAttributes: false, preserveOrder: true, parseTagValue: false, trimValues: false };
  const parser = new XMLParser(options);
  const builder = new XMLBuilder(options);
  const fastXml = rate(seconds, () => builder.build(parser.parse(xml)));
  console.log(`reference fast-xml-parser parse + build alone: ${Math.round(fastXml)} messages/s`);

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
    const hmrcRate = rate(seconds, () => toEdifact.encode(wcoXml.decode(sample)));
    console.log(
      `HMRC import declaration (${sample.length} bytes) wco-xml -> canonical -> edifact: ${Math.round(hmrcRate)} messages/s`,
    );
  }
  return Promise.resolve();
}

/**
 * `translate-xml`: what the WCO XML format costs on one core. The HMRC CDS import declaration
 * (17 KB, from $GNC_CONFORMANCE_DIR) is decoded to the canonical Envelope and encoded back to WCO
 * XML (the translate path), beside the parts alone (adapters/xml parse, decode, encode) and, as the
 * reference, `fast-xml-parser` parse + build alone with the options a lossless round trip needs
 * (no mapping at all). Prints `<name>: <value> messages/s`. Optional argument: seconds per figure
 * (default 2). Not registered in bench/run.ts here: the lead wires it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { wcoXmlFormat } from '../adapters/format/wco-xml';
import { parseXml } from '../adapters/xml';
import { sampleEnvelopes } from '../test/compliance/format-suite';

interface FxpParser {
  parse(xml: string | Buffer): unknown;
}
interface FxpBuilder {
  build(tree: unknown): string;
}

function rate(seconds: number, op: () => unknown): number {
  for (let i = 0; i < 200; i++) op();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 20; k++) op();
    n += 20;
  }
  return n / ((performance.now() - start) / 1000);
}

function print(name: string, value: number): void {
  console.log(`${name}: ${Math.round(value)} messages/s`);
}

export async function xmlTranslateBenchmark(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2) || 2;
  const dir = process.env.GNC_CONFORMANCE_DIR ?? path.resolve(__dirname, '../../../shared/conformance');
  const sample = readFileSync(path.join(dir, 'xml/hmrc_cds_wco_dms/IM001a_declaration_H1_import.xml'));
  const format = wcoXmlFormat({})({});
  const suiteXml = format.encode(sampleEnvelopes().declaration!);
  const envelope = format.decode(sample);

  print(
    'wco-xml HMRC declaration (17 KB) -> canonical -> WCO XML',
    rate(seconds, () => format.encode(format.decode(sample))),
  );
  print(
    'wco-xml HMRC declaration parse only (adapters/xml)',
    rate(seconds, () => parseXml(sample)),
  );
  print(
    'wco-xml HMRC declaration decode (parse + map + validate)',
    rate(seconds, () => format.decode(sample)),
  );
  print(
    'wco-xml canonical -> WCO XML encode',
    rate(seconds, () => format.encode(envelope)),
  );
  print(
    `wco-xml suite declaration, 5 goods items (${suiteXml.length} B) -> canonical -> WCO XML`,
    rate(seconds, () => format.encode(format.decode(suiteXml))),
  );

  const load = createRequire(__filename);
  const fxp = load('fast-xml-parser') as {
    XMLParser: new (o: Record<string, unknown>) => FxpParser;
    XMLBuilder: new (o: Record<string, unknown>) => FxpBuilder;
  };
  // The options format-notes.md found necessary for a lossless round trip (codes stay strings,
  // attributes such as currencyID kept, order kept); DOCTYPE processing off.
  const options = {
    ignoreAttributes: false,
    preserveOrder: true,
    parseTagValue: false,
    trimValues: false,
    commentPropName: '#comment',
    processEntities: false,
  };
  const parser = new fxp.XMLParser(options);
  const builder = new fxp.XMLBuilder(options);
  print(
    'reference: fast-xml-parser parse + build (HMRC declaration)',
    rate(seconds, () => builder.build(parser.parse(sample))),
  );
  print(
    'reference: fast-xml-parser parse only (HMRC declaration)',
    rate(seconds, () => parser.parse(sample)),
  );
  return Promise.resolve();
}

if (require.main === module) {
  xmlTranslateBenchmark(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

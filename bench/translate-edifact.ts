/**
 * `translate-edifact`: what the EDIFACT format costs on one core. A CUSDEC interchange is decoded
 * to the canonical Envelope and encoded back to EDIFACT (the translate path, minus the other
 * format), beside our syntax layer alone (scanner + envelope counts) and, as the reference, the
 * npm `edifact` tokenizer alone (its Parser with the default validator, collecting segments, no
 * envelope checks) over the same bytes. Inputs: the Australian ICS CUSDEC sample from
 * $GNC_CONFORMANCE_DIR (521 bytes, when present) and the compliance suite's declaration with 5
 * goods items written as CUSDEC D96B (about 2 KB). Prints `<name>: <value> messages/s`.
 * Optional argument: seconds per figure (default 2).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { edifactFormat, parseInterchange } from '../adapters/format/edifact';
import { sampleEnvelopes } from '../test/compliance/format-suite';

export interface NpmEdifactParser {
  encoding(level: string): void;
  on(event: 'opensegment', f: (name: string) => void): void;
  on(event: 'element', f: () => void): void;
  on(event: 'component', f: (data: string) => void): void;
  write(chunk: string): void;
  end(): void;
}

function rate(seconds: number, op: () => unknown): number {
  // Warm up for a fixed time (JIT tiers), then count whole operations in the window.
  const warm = performance.now() + 300;
  while (performance.now() < warm) for (let k = 0; k < 50; k++) op();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) op();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

function print(name: string, value: number): void {
  console.log(`${name}: ${Math.round(value)} messages/s`);
}

/** The npm `edifact` tokenizer over a whole document, building the same segment arrays we build. */
export function npmTokenize(Parser: new () => NpmEdifactParser, text: string): number {
  const parser = new Parser();
  // It does not take the level from UNB; UNOC as both inputs declare (its default UNOA refuses lower case).
  parser.encoding('UNOC');
  const segments: Array<{ name: string; elements: string[][] }> = [];
  let elements: string[][] = [];
  let components: string[] = [];
  parser.on('opensegment', (name) => {
    elements = [];
    segments.push({ name, elements });
  });
  parser.on('element', () => {
    components = [];
    elements.push(components);
  });
  parser.on('component', (data) => components.push(data));
  parser.write(text);
  parser.end();
  return segments.length;
}

export async function edifactTranslateBenchmark(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2) || 2;
  // The reference parser is a devDependency, loaded here only (never by the product).
  const { Parser } = createRequire(__filename)('edifact') as { Parser: new () => NpmEdifactParser };
  const format = edifactFormat({})({});
  const declaration = sampleEnvelopes().declaration!;
  declaration.declaration!.exporter!.name = 'Example Electronics Shenzhen';
  const inputs: Array<[string, Buffer]> = [['5 items', Buffer.from(format.encode(declaration))]];
  const dir = process.env.GNC_CONFORMANCE_DIR ?? path.resolve(__dirname, '../../../shared/conformance');
  try {
    inputs.unshift(['AU ICS sample', readFileSync(path.join(dir, 'edifact', 'au_ics_cusdec_d99b.edi'))]);
  } catch {
    console.log(`# ${dir}/edifact/au_ics_cusdec_d99b.edi not found: the 5-item declaration only`);
  }
  for (const [label, bytes] of inputs) {
    const text = bytes.toString('latin1');
    console.log(`# ${label}: CUSDEC, ${bytes.length} bytes`);
    print(
      `edifact translate CUSDEC->canonical->CUSDEC (${label})`,
      rate(seconds, () => format.encode(format.decode(bytes))),
    );
    print(
      `edifact decode CUSDEC->canonical (${label})`,
      rate(seconds, () => format.decode(bytes)),
    );
    print(
      `edifact syntax layer, tokenizer + envelope checks (${label})`,
      rate(seconds, () => parseInterchange(bytes)),
    );
    print(
      `npm edifact tokenizer alone, reference (${label})`,
      rate(seconds, () => npmTokenize(Parser, text)),
    );
  }
  const decoded = format.decode(inputs[inputs.length - 1]![1]);
  print(
    'edifact encode canonical->CUSDEC (5 items)',
    rate(seconds, () => format.encode(decoded)),
  );
  await Promise.resolve();
}

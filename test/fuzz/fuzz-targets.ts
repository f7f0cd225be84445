import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { messageFormats } from '../../adapters/format';
import { findProtoDir, loadMessageRule } from '../../adapters/format/json/json-schema';
import { decodeWcoStream } from '../../adapters/format/wco-xml/wco-stream-decode';
import { decodeWcoTree } from '../../adapters/format/wco-xml/wco-xml-format';
import { securitySchemes } from '../../adapters/security';
import { parseXml } from '../../adapters/xml';
import { gnc } from '../../node/src/canonical';
import { GncError } from '../../node/src/errors';
import { createCertificateAuthority } from '../../node/src/identity';
import { scanBlockfile } from '../../node/src/fabric/blockfile';
import { verifyProofText } from '../../node/src/proof';
import { sampleEnvelopes } from '../compliance/format-suite';
import { keySortedJson } from '../support/key-sorted-json';
import { conformanceDir } from '../support/conformance-dir';

/**
 * Fuzzing of every parser that reads bytes from outside: the formats, the security schemes'
 * open(), the XML parser, the blockfile reader and the proof verifier. Seeds are valid inputs;
 * mutations flip, insert, delete, duplicate and truncate. A target passes when every input is
 * either accepted or refused with a typed error (a GncError, or for the proof verifier an
 * invalid verdict), and no single input takes longer than the hang limit.
 */

export interface FuzzTarget {
  name: string;
  seeds: Buffer[];
  /** Throws only typed errors; returns normally when the input is accepted. */
  run(input: Buffer): Promise<void> | void;
}

export interface FuzzOutcome {
  name: string;
  inputs: number;
  accepted: number;
  refused: number;
  failures: Array<{ input: string; error: string }>;
  slowest: number;
}

const conformance = conformanceDir();

function readSample(...parts: string[]): Buffer[] {
  try {
    return [readFileSync(path.join(conformance, ...parts))];
  } catch {
    return [];
  }
}

export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const envelopes = Object.values(sampleEnvelopes());
  const targets: FuzzTarget[] = [];
  for (const [name, factory] of Object.entries(messageFormats)) {
    const format = factory(name === 'edifact' ? { syntaxIdentifier: 'UNOW', syntaxVersion: 4 } : {})({});
    const seeds: Buffer[] = [];
    for (const envelope of envelopes) {
      try {
        seeds.push(Buffer.from(format.encode(envelope)));
      } catch {
        // A body kind this format has no message for.
      }
    }
    if (name === 'edifact') seeds.push(...readSample('edifact', 'au_ics_cusdec_d99b.edi'));
    if (name === 'wco-xml') seeds.push(...readSample('xml', 'hmrc_cds_wco_dms', 'IM001a_declaration_H1_import.xml'));
    targets.push({
      name: `format ${name}`,
      seeds,
      run: (input) => {
        const envelope = format.decode(input);
        // edifact and wco-xml skip verify on decode (checkEnvelopeOfCheckedValues): it must pass.
        const problem = gnc.v1.Envelope.verify(envelope);
        if (problem !== null) throw new Error(`decoded envelope fails verify: ${problem}`);
      },
    });
  }
  targets.push(wcoDecodersTarget(envelopes));
  const ca = await createCertificateAuthority({ mspId: 'FuzzMSP', organization: 'Fuzz' });
  const keys = await ca.issue({ commonName: 'fuzz', nodeOU: 'peer' });
  const partner = { partnerId: 'fuzz', trustAnchorsPem: [ca.caCertificatePem] };
  for (const [name, factory] of Object.entries(securitySchemes)) {
    let scheme;
    try {
      scheme = factory({})({ keys });
    } catch {
      continue; // a scheme that needs other keys (e.g. RSA encryption) than this harness has
    }
    const payload = Buffer.from(messageFormats[name === 'xmldsig' ? 'wco-xml' : 'json']!({})({}).encode(envelopes[0]!));
    const seed = Buffer.from(await scheme.seal(payload, partner));
    const open = scheme;
    targets.push({
      name: `security ${name}`,
      seeds: [seed],
      run: async (input) => void (await open.open(input, partner)),
    });
  }
  targets.push({
    name: 'xml parser',
    seeds: [
      ...readSample('as4', 'phase4', 'UserMessage_soap12.xml'),
      ...readSample('xml', 'hmrc_cds_wco_dms', 'IM001a_notif_01_DMSACC.xml'),
    ],
    run: (input) => void parseXml(input),
  });
  targets.push({
    name: 'blockfile reader',
    seeds: readSample('fabric', 'sample_prod.blockfile_000000'),
    // The reader never throws: a bad tail is reported as `torn`. Anything thrown is a failure.
    run: (input) => {
      scanBlockfile(input);
    },
  });
  targets.push({
    name: 'proof verifier',
    seeds: [Buffer.from('{"version":1}')],
    run: (input) => {
      const result = verifyProofText(input.toString('utf8'), {});
      if (result.valid) throw new Error('a mutated proof was accepted');
    },
  });
  return targets;
}

/**
 * The wco-xml streaming decoder against the tree decoder on mutated documents: where the streaming
 * one maps a document itself, the tree decoder must accept it too and give the same object, with
 * nothing unmapped; where the tree decoder refuses it, the streaming one must have handed it over.
 */
function wcoDecodersTarget(envelopes: gnc.v1.IEnvelope[]): FuzzTarget {
  const rule = loadMessageRule(findProtoDir(), 'gnc.v1.Envelope');
  const wco = messageFormats['wco-xml']!({})({});
  const seeds: Buffer[] = [];
  for (const envelope of envelopes) if (envelope.declaration) seeds.push(Buffer.from(wco.encode(envelope)));
  return {
    name: 'wco-xml streaming decoder = tree decoder',
    seeds,
    run: (input) => {
      const stream = decodeWcoStream(input, 4 * 1024 * 1024, rule);
      let tree;
      try {
        tree = decodeWcoTree(input, 4 * 1024 * 1024, rule);
      } catch (err) {
        if (stream) throw new Error(`the streaming decoder accepted what the tree decoder refused: ${String(err)}`);
        throw err;
      }
      if (!stream) return;
      if (tree.unmapped.length > 0) throw new Error('the streaming decoder left out unmapped content');
      if (keySortedJson(stream.object) !== keySortedJson(tree.object) || stream.headerDerived !== tree.headerDerived) {
        throw new Error('the streaming decoder mapped the document differently');
      }
    },
  };
}

function mutate(seed: Buffer): Buffer {
  const bytes = Buffer.from(seed);
  const pick = Math.random();
  const at = Math.floor(Math.random() * Math.max(1, bytes.length));
  if (pick < 0.3) {
    for (let i = 0; i < 1 + Math.floor(Math.random() * 4); i++) {
      const j = Math.floor(Math.random() * Math.max(1, bytes.length));
      if (bytes.length > 0) bytes[j] = (bytes[j] ?? 0) ^ (1 << Math.floor(Math.random() * 8));
    }
    return bytes;
  }
  if (pick < 0.45) return bytes.subarray(0, at);
  if (pick < 0.6)
    return Buffer.concat([bytes.subarray(0, at), randomBytes(1 + Math.floor(Math.random() * 16)), bytes.subarray(at)]);
  if (pick < 0.75)
    return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(Math.random() * 16))]);
  if (pick < 0.9) {
    const end = Math.min(bytes.length, at + 1 + Math.floor(Math.random() * 64));
    return Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
  }
  return randomBytes(Math.floor(Math.random() * 256));
}

/** Runs one target for `seconds`; an input slower than `hangMs` counts as a failure. */
export async function fuzz(target: FuzzTarget, seconds: number, hangMs = 1000): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = { name: target.name, inputs: 0, accepted: 0, refused: 0, failures: [], slowest: 0 };
  const deadline = Date.now() + seconds * 1000;
  const seeds = target.seeds.length > 0 ? target.seeds : [Buffer.alloc(0)];
  while (Date.now() < deadline && outcome.failures.length < 5) {
    const input = mutate(seeds[outcome.inputs % seeds.length] as Buffer);
    const started = performance.now();
    try {
      await target.run(input);
      outcome.accepted += 1;
    } catch (error) {
      if (
        error instanceof GncError ||
        (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('GNC_'))
      ) {
        outcome.refused += 1;
      } else {
        outcome.failures.push({ input: input.toString('base64').slice(0, 400), error: String(error) });
      }
    }
    const took = performance.now() - started;
    outcome.slowest = Math.max(outcome.slowest, took);
    if (took > hangMs)
      outcome.failures.push({ input: input.toString('base64').slice(0, 400), error: `took ${Math.round(took)} ms` });
    outcome.inputs += 1;
  }
  return outcome;
}

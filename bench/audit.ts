import path from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedLiveState } from '../node/src/audit/live-state';
import { auditBlockfile } from '../node/src/audit/verify-ledger';
import { canonicalProofText, proveEmbeddedRecord, verifyProofText } from '../node/src/proof';
import { openScratchLedger, openTestLedger } from '../test/support/embedded-ledger-fixture';
import { sampleDeclaration } from '../test/support/sample-declaration';

/**
 * `gnc audit verify` throughput with every signature checked (block signature, creator and
 * endorsement of every transaction, endorsement policy, MVCC replay and the comparison with the
 * LevelDB state), then the size and offline verification time of a provenance proof.
 *
 * The ledger is made first (Lodge transactions in blocks of `--block-size`); the audit reads it
 * back from the blockfile. A proof carries its block whole (Fabric's data hash is flat SHA-256
 * over all envelopes), so its size follows the block size: both are printed.
 */
export async function auditBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string', default: '20000' },
      'block-size': { type: 'string', default: '500' },
      'proof-block-size': { type: 'string', default: '10' },
      proofs: { type: 'string', default: '500' },
    },
  });
  const total = Number(values.transactions);
  const scratch = await openScratchLedger('bench-audit', { maxBlockTransactions: Number(values['block-size']) });
  const { orgs, ledger } = scratch;
  try {
    const client = ledger.client(await orgs.user('customsA', 'single-window'));
    const lodge = (id: string) =>
      client.submit({ contract: 'Declaration', name: 'Lodge', args: [JSON.stringify(sampleDeclaration(id))] });
    let next = 0;
    const worker = async () => {
      while (next < total) await lodge(`AUD-${next++}`);
    };
    await Promise.all(Array.from({ length: 256 }, worker));

    const live = embeddedLiveState(ledger.stateStore, 'gnc', 'bench LevelDB');
    await auditBlockfile(ledger.blockDirectory, { liveState: live }); // warm-up
    const report = await auditBlockfile(ledger.blockDirectory, { liveState: live });
    if (!report.intact) throw new Error(`the audit found faults: ${JSON.stringify(report.faults.slice(0, 3))}`);
    const seconds = report.elapsedMs / 1000;
    console.log(`audit-blocks: ${report.blocksChecked} blocks`);
    console.log(`audit-transactions: ${report.transactions.total} tx`);
    console.log(`audit-signatures-checked: ${report.signaturesChecked} signatures`);
    console.log(
      `audit-verify-rate: ${Math.round(report.transactions.total / seconds)} tx/s (every signature checked, state replayed and compared)`,
    );
    console.log(`audit-signature-rate: ${Math.round(report.signaturesChecked / seconds)} signatures/s`);
    console.log(`audit-state-keys-compared: ${report.state.keysCompared} keys`);

    // Proofs: one from a large block (the bulk ledger above) and from a small one.
    const bigProof = canonicalProofText(
      await proveEmbeddedRecord(ledger, {
        chaincodeName: 'gnc',
        key: '\u0000declaration\u0000AUD-1\u0000',
        disclose: [],
        confidential: undefined,
      }),
    );
    console.log(`proof-size-${values['block-size']}-tx-block: ${bigProof.length} bytes`);
    await ledger.close();
    const small = await openTestLedger({
      directory: path.join(scratch.directory, 'small-ledger'),
      node: orgs.node,
      nodeOrganization: orgs.nodeOrganization,
      organizations: orgs.organizations,
      overrides: { maxBlockTransactions: Number(values['proof-block-size']) },
    });
    try {
      const smallClient = small.client(await orgs.user('customsA', 'single-window'));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          smallClient.submit({
            contract: 'Declaration',
            name: 'Lodge',
            args: [JSON.stringify(sampleDeclaration(`PRF-${i}`))],
            transient: {
              confidential: Buffer.from(
                JSON.stringify({
                  collection: 'AgreementAB',
                  fields: { invoiceAmount: { value: `${1000 + i}.00`, salt: '0123456789abcdef0123456789abcdef' } },
                }),
              ),
            },
          }),
        ),
      );
      const proof = canonicalProofText(
        await proveEmbeddedRecord(small, {
          chaincodeName: 'gnc',
          key: '\u0000declaration\u0000PRF-7\u0000',
          disclose: ['invoiceAmount'],
          confidential: smallClient,
        }),
      );
      const parsed = JSON.parse(proof) as { blocks: Array<{ envelopes: unknown[] }>; chain: { dataHashes: unknown[] } };
      const roots = orgs.organizations.flatMap((o) => [...o.rootCertificatesPem]);
      if (!verifyProofText(proof, { trustedRoots: roots }).valid) throw new Error('the proof does not verify');
      const proofs = Number(values.proofs);
      for (let i = 0; i < 50; i++) verifyProofText(proof, { trustedRoots: roots }); // warm-up
      const started = performance.now();
      for (let i = 0; i < proofs; i++) verifyProofText(proof, { trustedRoots: roots });
      const perProof = (performance.now() - started) / proofs;
      console.log(
        `proof-size: ${proof.length} bytes (block of ${parsed.blocks.at(-1)?.envelopes.length ?? 0} tx, chain of ${parsed.chain.dataHashes.length} headers, 1 disclosed field)`,
      );
      console.log(`proof-verify-time: ${perProof.toFixed(2)} ms per proof (every check, roots pinned)`);
      const bigStarted = performance.now();
      for (let i = 0; i < 20; i++) verifyProofText(bigProof);
      console.log(
        `proof-verify-time-${values['block-size']}-tx-block: ${((performance.now() - bigStarted) / 20).toFixed(2)} ms per proof`,
      );
    } finally {
      await small.close();
    }
  } finally {
    await scratch.remove();
  }
}

if (require.main === module) {
  auditBenchmark(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

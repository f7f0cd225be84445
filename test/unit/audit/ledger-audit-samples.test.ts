import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { auditBlockfile } from '../../../node/src/audit/verify-ledger';
import { parseSignaturePolicy, evaluateSignaturePolicy, describeSignaturePolicy } from '../../../node/src/audit/policy';
import { conformanceDir } from '../../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const FABRIC = path.join(CONFORMANCE_DIR, 'fabric');

describe('auditBlockfile on Fabric samples (every signature checked)', () => {
  it('finds sample_prod intact: orderer, creator and endorsement signatures under its own genesis config', async () => {
    const report = await auditBlockfile(path.join(FABRIC, 'sample_prod.blockfile_000000'));
    assert.deepEqual(report.faults, []);
    assert.equal(report.transactions.total, 8);
    assert.ok(report.signaturesChecked >= 20);
    assert.equal(report.endorsementPolicies.marbles?.policy, '/Channel/Application/Endorsement');
    assert.match(report.state.message, /no live state/);
  });

  it("reports exactly Fabric's faults for sample_bad_ledger, following its two config updates", async () => {
    const expected: unknown = JSON.parse(
      await readFile(path.join(FABRIC, 'sample_bad_ledger.expected_hash_error_blocks.json'), 'utf8'),
    );
    const report = await auditBlockfile(path.join(FABRIC, 'sample_bad_ledger.blockfile_000000'));
    assert.deepEqual(report.faults, expected);
    assert.deepEqual(
      report.trust.configBlocks.map((c) => c.block),
      [0, 1, 2],
    );
    assert.ok(report.signaturesChecked >= 30);
  });
});

describe('signature policies', () => {
  const signer = (mspId: string, ou: string) => ({ mspId, ou, isAdmin: false, id: `${mspId}/${ou}` });
  it('parses, prints and evaluates AND / OR / OutOf, each signer used once', () => {
    const and = parseSignaturePolicy("AND('CustomsAMSP.peer','CustomsBMSP.peer')");
    assert.equal(describeSignaturePolicy(and), "AND('CustomsAMSP.peer','CustomsBMSP.peer')");
    assert.equal(evaluateSignaturePolicy(and, [signer('CustomsAMSP', 'peer')]), false);
    assert.equal(evaluateSignaturePolicy(and, [signer('CustomsAMSP', 'peer'), signer('CustomsBMSP', 'peer')]), true);
    assert.equal(evaluateSignaturePolicy(and, [signer('CustomsAMSP', 'client'), signer('CustomsBMSP', 'peer')]), false);
    const twice = parseSignaturePolicy("OutOf(2,'A.member','A.member')");
    assert.equal(evaluateSignaturePolicy(twice, [signer('A', 'peer')]), false);
    assert.throws(() => parseSignaturePolicy("AND('A.peer'"), /expected/);
  });
});

import { strict as assert } from 'node:assert';
import path from 'node:path';
import {
  canonicalProofText,
  proveEmbeddedRecord,
  verifyProofText,
  type ProvenanceProof,
} from '../../../node/src/proof';
import type { EmbeddedLedger } from '../../../node/src/ledger/embedded/embedded-ledger';
import { openTestLedger } from '../../support/embedded-ledger-fixture';
import { sampleDeclaration, uniqueId } from '../../support/sample-declaration';
import { createTestOrganizations, temporaryDirectory, type TestOrganizations } from '../../support/test-organizations';

const key = (id: string) => `\u0000declaration\u0000${id}\u0000`;

describe('provenance proofs (embedded ledger)', function () {
  this.timeout(60_000);
  let orgs: TestOrganizations;
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let ledger: EmbeddedLedger;
  let id: string;
  let text: string;
  let roots: string[];

  before(async () => {
    orgs = await createTestOrganizations();
    roots = orgs.organizations.flatMap((o) => [...o.rootCertificatesPem]);
    tmp = await temporaryDirectory('proof');
    ledger = await openTestLedger({
      directory: path.join(tmp.dir, 'ledger'),
      node: orgs.node,
      nodeOrganization: orgs.nodeOrganization,
      organizations: orgs.organizations,
    });
    const window = ledger.client(await orgs.user('customsA', 'single-window'));
    id = uniqueId('DEC');
    const confidential = {
      collection: 'AgreementAB',
      fields: {
        invoiceAmount: { value: '125000.00', salt: '0123456789abcdef0123456789abcdef' },
        'goodsItems[0].customsValue': { value: '999.99', salt: 'fedcba9876543210fedcba9876543210' },
      },
    };
    await window.submit({
      contract: 'Declaration',
      name: 'Lodge',
      args: [JSON.stringify(sampleDeclaration(id))],
      transient: { confidential: Buffer.from(JSON.stringify(confidential)) },
    });
    await ledger
      .client(await orgs.user('customsA', 'officer'))
      .submit({ contract: 'Declaration', name: 'AssignLane', args: [id, 'GREEN'] });
    const proof = await proveEmbeddedRecord(ledger, {
      chaincodeName: 'gnc',
      key: key(id),
      disclose: ['invoiceAmount'],
      confidential: window,
    });
    text = canonicalProofText(proof);
  });
  after(async () => {
    await ledger?.close();
    await tmp?.remove();
  });

  it('verifies offline, check by check, with the roots pinned', () => {
    const result = verifyProofText(text, { trustedRoots: roots });
    assert.equal(result.valid, true, JSON.stringify(result.checks, null, 2));
    assert.equal(result.pinned, true);
    assert.ok(result.checks.every((c) => c.status === 'pass'));
    const byName = Object.fromEntries(result.checks.map((c) => [c.name, c.detail]));
    assert.match(byName.disclosures ?? '', /invoiceAmount = "125000.00"/);
    assert.match(byName.endorsements ?? '', /OR\('CustomsAMSP.peer'\)/);
    assert.equal((result.claim?.value as { lane?: string }).lane, 'GREEN');
  });

  it("says when the roots are only the proof's own", () => {
    const result = verifyProofText(text);
    assert.equal(result.valid, true);
    assert.equal(result.pinned, false);
    assert.match(result.summary, /pin them/);
  });

  it('fails when pinned roots do not include the signers', async () => {
    const other = await createTestOrganizations();
    const result = verifyProofText(text, {
      trustedRoots: other.organizations.flatMap((o) => [...o.rootCertificatesPem]),
    });
    assert.equal(result.valid, false);
    assert.match(result.summary, /pinned roots does not hold: no root of CustomsAMSP/);
  });

  it('fails for a wrong salt, naming the field', () => {
    const proof = JSON.parse(text) as ProvenanceProof;
    (proof.disclosures.invoiceAmount as { salt: string }).salt = '0123456789abcdef0123456789abcdee';
    const result = verifyProofText(canonicalProofText(proof));
    assert.equal(result.valid, false);
    assert.match(result.summary, /disclosures does not hold: invoiceAmount: value and salt do not hash/);
  });

  it('fails for a changed value, status or time, saying what did not hold', () => {
    const cases: Array<[(p: ProvenanceProof) => void, RegExp]> = [
      [
        (p) => ((p.claim.value as { lane: string }).lane = 'RED'),
        /value does not hold: the transaction wrote another value/,
      ],
      [(p) => (p.claim.timestamp = '2020-01-01T00:00:00.000Z'), /transaction does not hold: the transaction time/],
      [(p) => (p.claim.blockNumber -= 1), /header chain does not hold|transaction does not hold/],
      [(p) => (p.endorsementPolicy.policy = "OR('CustomsBMSP.peer')"), /endorsements does not hold: the proof states/],
      [(p) => p.blocks.pop(), /header chain does not hold/],
    ];
    for (const [mutate, expected] of cases) {
      const proof = JSON.parse(text) as ProvenanceProof;
      mutate(proof);
      const result = verifyProofText(canonicalProofText(proof));
      assert.equal(result.valid, false);
      assert.match(result.summary, expected);
      assert.ok(result.checks.some((c) => c.status === 'skipped') || result.checks.at(-1)?.status === 'fail');
    }
  });

  it('fails when any byte of the file is changed (sampled over the whole file)', () => {
    // A deterministic sample: every byte of the claim, and 1,500 positions spread over the rest.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const positions = new Set<number>();
    const claimStart = text.indexOf('"claim"');
    for (let i = claimStart; i < Math.min(text.length, claimStart + 1500); i++) positions.add(i);
    while (positions.size < 3000) positions.add(next() % text.length);
    let survivors = 0;
    for (const pos of positions) {
      const code = text.charCodeAt(pos);
      const replacement = String.fromCharCode(code === 0x41 ? 0x42 : code === 0x20 ? 0x09 : code ^ 0x01);
      const changed = text.slice(0, pos) + replacement + text.slice(pos + 1);
      if (verifyProofText(changed).valid) survivors++;
    }
    assert.equal(survivors, 0, `${survivors} single-byte changes were accepted`);
  });
});

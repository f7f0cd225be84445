import { strict as assert } from 'node:assert';
import path from 'node:path';
import { Anchorer } from '../../../node/src/exchange/anchorer';
import { verifyInclusion } from '../../../node/src/exchange/merkle';
import { MessageStore } from '../../../node/src/exchange/message-store';
import { digestOf } from '../../../node/src/exchange/receipts';
import type { EmbeddedLedger } from '../../../node/src/ledger/embedded/embedded-ledger';
import { openScratchLedger, type ScratchLedger } from '../../support/embedded-ledger-fixture';
import type { TestOrganizations } from '../../support/test-organizations';

describe('Anchorer', function () {
  this.timeout(60_000);
  let scratch: ScratchLedger;
  let orgs: TestOrganizations;
  let ledger: EmbeddedLedger;
  let store: MessageStore;

  before(async () => {
    scratch = await openScratchLedger('anchor');
    ({ orgs, ledger } = scratch);
    store = await MessageStore.open(path.join(scratch.directory, 'exchange'));
  });
  after(async () => {
    await store.close();
    await scratch.remove();
  });

  describe('flush and prove', () => {
    it('anchors the messages of each partner as one Merkle root on the ledger and proves any one of them', async () => {
      const officer = ledger.client(await orgs.user('customsA', 'officer'));
      const anchorer = new Anchorer({ store, ledger: officer, intervalMs: 60_000 });
      await anchorer.start();
      const directionOf = (i: number): 'in' | 'out' => (i % 2 ? 'in' : 'out');
      const messages = Array.from({ length: 25 }, (_, i) => ({
        direction: directionOf(i),
        partnerId: i < 20 ? 'CustomsB' : 'CustomsC',
        messageId: `msg-${i}`,
        bytes: Buffer.from(`message body ${i}`),
        at: Date.now() + i,
      }));
      for (const m of messages) anchorer.add(m);
      await anchorer.stop();

      const proof = await anchorer.prove('in', 'msg-7');
      assert.ok(proof?.anchor, 'the batch of msg-7 is anchored');
      assert.equal(proof.partnerId, 'CustomsB');
      assert.equal(proof.proof.treeSize, 20);
      assert.equal(proof.digest, digestOf(Buffer.from('message body 7')).toString('hex'));

      const onLedger = JSON.parse(
        Buffer.from(
          await officer.evaluate({ contract: 'Anchor', name: 'GetAnchor', args: [proof.batchId] }),
        ).toString(),
      ) as { merkleRoot: string; messageCount: number; txId: string };
      assert.equal(onLedger.merkleRoot, proof.merkleRoot);
      assert.equal(onLedger.messageCount, 20);
      assert.equal(onLedger.txId, proof.anchor.txId);
      assert.ok(
        verifyInclusion(Buffer.from(proof.digest, 'hex'), proof.proof, Buffer.from(onLedger.merkleRoot, 'hex')),
      );
      // The same proof does not hold for other bytes.
      assert.equal(
        verifyInclusion(digestOf(Buffer.from('message body 8')), proof.proof, Buffer.from(onLedger.merkleRoot, 'hex')),
        false,
      );
      assert.equal((await anchorer.prove('out', 'msg-20'))?.proof.treeSize, 5);
      assert.equal(await anchorer.prove('in', 'msg-unknown'), undefined);
    });

    it('anchors on stop the digests that came while a flush was under way', async () => {
      const anchorer = new Anchorer({
        store,
        ledger: ledger.client(await orgs.user('customsA', 'officer')),
        intervalMs: 60_000,
      });
      await anchorer.start();
      const message = (id: string) => ({
        direction: 'out' as const,
        partnerId: 'CustomsD',
        messageId: id,
        bytes: Buffer.from(id),
        at: Date.now(),
      });
      anchorer.add(message('during-1'));
      const flushing = anchorer.flush();
      anchorer.add(message('during-2'));
      await anchorer.stop();
      await flushing;
      assert.ok((await anchorer.prove('out', 'during-1'))?.anchor);
      assert.ok((await anchorer.prove('out', 'during-2'))?.anchor, 'the digest added during the flush is anchored');
    });

    it('keeps digests durable across a restart and anchors them on the next start', async () => {
      const failing = ledger.client(await orgs.user('customsA', 'auditor')); // auditors may not anchor
      const first = new Anchorer({ store, ledger: failing, intervalMs: 60_000 });
      await first.start();
      first.add({
        direction: 'out',
        partnerId: 'CustomsB',
        messageId: 'late-1',
        bytes: Buffer.from('late'),
        at: Date.now(),
      });
      await first.stop();
      assert.equal((await store.anchorOf('out', 'late-1'))?.batch.anchor, undefined);

      const second = new Anchorer({
        store,
        ledger: ledger.client(await orgs.user('customsA', 'officer')),
        intervalMs: 60_000,
      });
      await second.start();
      await second.stop();
      assert.ok((await second.prove('out', 'late-1'))?.anchor);
    });
  });
});

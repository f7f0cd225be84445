import path from 'node:path';
import { parseArgs } from 'node:util';
import { Anchorer } from '../node/src/exchange/anchorer';
import { MessageStore } from '../node/src/exchange/message-store';
import { openScratchLedger } from '../test/support/embedded-ledger-fixture';

/**
 * Message anchoring through the ledger: digests of exchanged messages made durable as pending in
 * the message store, grouped per partner into batches, each batch's Merkle root recorded with
 * Anchor:AnchorBatch on the embedded ledger (endorsed, ordered, fsync'd) and the batch marked
 * anchored in the store. A message counts as anchored when its batch's ledger transaction has
 * committed. The digests are of `--size`-byte messages, hashed here as the exchange node hashes
 * what it sends and receives. The anchorer runs with the node's defaults (a batch when 5,000
 * digests wait, or every second), fed as fast as it takes them.
 *
 * `npm run bench -- anchor [--messages 200000] [--partners 3] [--size 1024] [--max-batch 5000]
 *  [--interval-ms 1000]`
 */
export async function anchorBenchmark(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '200000' },
      partners: { type: 'string', default: '3' },
      size: { type: 'string', default: '1024' },
      'max-batch': { type: 'string', default: '5000' },
      'interval-ms': { type: 'string', default: '1000' },
    },
  });
  const total = Number(values.messages);
  const partners = Array.from({ length: Number(values.partners) }, (_, i) => `Customs${String.fromCharCode(66 + i)}`);
  const scratch = await openScratchLedger('bench-anchor');
  const { orgs, ledger } = scratch;
  const store = await MessageStore.open(path.join(scratch.directory, 'exchange'));
  try {
    const anchorer = new Anchorer({
      store,
      ledger: ledger.client(await orgs.user('customsA', 'officer')),
      maxBatch: Number(values['max-batch']),
      intervalMs: Number(values['interval-ms']),
    });
    await anchorer.start();
    const body = Buffer.alloc(Number(values.size), 0x41);
    const heightBefore = ledger.height;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      // Distinct bytes per message, so every digest is of a different message.
      body.writeUInt32BE(i, 0);
      anchorer.add({
        direction: i % 2 ? 'in' : 'out',
        partnerId: partners[i % partners.length]!,
        messageId: `bench-${i}`,
        bytes: body,
        at: Date.now(),
      });
      // Let flushes run between arrivals, as they do between messages on a running node.
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      if (i % 50_000 === 49_999) process.stderr.write(`  ${i + 1} digests handed to the anchorer\n`);
    }
    await anchorer.stop();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    // Count what really got anchored: every digest must be in a batch the ledger recorded.
    const batches = await store.unanchoredBatches();
    const pending = await store.pendingDigests(1);
    if (batches.length > 0 || pending.length > 0) {
      throw new Error(`${batches.length} batch(es) not anchored and digests still pending: the run is not valid`);
    }
    const lastProof = await anchorer.prove(total % 2 ? 'out' : 'in', `bench-${total - 1}`);
    if (!lastProof?.anchor) throw new Error(`the last message is not anchored: the run is not valid`);
    const blocks = ledger.height - heightBefore;
    console.log(`message anchoring through the embedded ledger: ${Math.round(total / seconds)} messages/s anchored`);
    console.log(
      `messages: ${total} (${values.size} bytes each, ${partners.length} partners) in ${seconds.toFixed(2)} s, ${blocks} ledger blocks`,
    );
    console.log(`resident memory peak: ${Math.round(peakRss / 1048576)} MB`);
  } finally {
    await store.close();
    await scratch.remove();
  }
}

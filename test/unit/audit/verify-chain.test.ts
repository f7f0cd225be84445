import { strict as assert } from 'node:assert';
import { common } from '@hyperledger/fabric-protos';
import {
  formatFabricBlocksJson,
  newChainVerifier,
  verifyBlocks,
  type ChainProgress,
} from '../../../node/src/audit/verify-chain';
import { blockHeaderHash } from '../../../node/src/fabric/block-hash';
import { newBlock } from '../../../node/src/fabric/blockfile';
import { envelope, makeChain } from '../fabric/helpers';

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

describe('verify-chain', () => {
  describe('verifyBlocks', () => {
    it('finds an intact chain intact, from a sync or an async source', async () => {
      const chain = makeChain(5);
      for (const source of [chain, asAsync(chain)]) {
        const report = await verifyBlocks(source);
        assert.deepEqual(report, { blocksChecked: 5, firstBlock: 0n, lastBlock: 4n, intact: true, faults: [] });
      }
    });

    it('reports an empty source as intact with no blocks', async () => {
      const report = await verifyBlocks([]);
      assert.equal(report.intact, true);
      assert.equal(report.firstBlock, undefined);
    });

    it('reports a changed envelope as a DataHash mismatch of that block, and only that', async () => {
      const chain = makeChain(4);
      chain[2]!.getData()!.setDataList([envelope('forged'), envelope('block 2 tx 1')]);
      const report = await verifyBlocks(chain);
      assert.deepEqual(report.faults, [{ blockNum: 2, valid: false, errors: ['DataHash mismatch'] }]);
    });

    it('reports a changed header as a PreviousHash mismatch of the next block', async () => {
      const chain = makeChain(4);
      chain[1]!.getHeader()!.setPreviousHash(Buffer.alloc(32, 1));
      const report = await verifyBlocks(chain);
      assert.deepEqual(report.faults, [
        { blockNum: 1, valid: false, errors: ['PreviousHash mismatch'] },
        { blockNum: 2, valid: false, errors: ['PreviousHash mismatch'] },
      ]);
    });

    it('requires block 0 first unless told otherwise', async () => {
      const tail = makeChain(5).slice(2);
      const strict = await verifyBlocks(tail);
      assert.deepEqual(strict.faults, [
        { blockNum: 2, valid: false, errors: ['The next block is expected to be 0 but got 2'] },
      ]);
      assert.equal((await verifyBlocks(tail, { firstBlock: 'any' })).intact, true);
      assert.equal((await verifyBlocks(tail, { firstBlock: 2n })).intact, true);
    });

    it('reports a gap in the numbers with the link it breaks', async () => {
      const chain = makeChain(5);
      const report = await verifyBlocks([chain[0]!, chain[1]!, chain[3]!, chain[4]!]);
      assert.deepEqual(report.faults, [
        {
          blockNum: 3,
          valid: false,
          errors: ['The next block is expected to be 2 but got 3', 'PreviousHash mismatch'],
        },
      ]);
    });

    it("checks the first block's link when the previous header hash is given", async () => {
      const chain = makeChain(4);
      const previousHash = blockHeaderHash(chain[1]!.getHeader() as common.BlockHeader);
      assert.equal((await verifyBlocks(chain.slice(2), { firstBlock: 2n, previousHash })).intact, true);
      const wrong = await verifyBlocks(chain.slice(2), { firstBlock: 2n, previousHash: Buffer.alloc(32) });
      assert.deepEqual(wrong.faults, [{ blockNum: 2, valid: false, errors: ['PreviousHash mismatch'] }]);
    });

    it('lists the well-formedness error before the DataHash mismatch, as Fabric v3 does', async () => {
      const bad = Buffer.from('0a01aa', 'hex'); // no signature
      const block = newBlock(0n, new Uint8Array(0), [bad]);
      const v3 = await verifyBlocks([block]);
      assert.deepEqual(v3.faults, [
        { blockNum: 0, valid: false, errors: ['transaction 0 has no signature', 'DataHash mismatch'] },
      ]);
      assert.equal((await verifyBlocks([block], { checkTransactionsWellFormed: false })).intact, true);
    });

    it('reports progress every interval and at the end', async () => {
      const seen: ChainProgress[] = [];
      await verifyBlocks(makeChain(7), { progressInterval: 3, onProgress: (p) => seen.push(p) });
      assert.deepEqual(seen, [
        { blocks: 3, lastBlock: 2n },
        { blocks: 6, lastBlock: 5n },
        { blocks: 7, lastBlock: 6n },
      ]);
    });

    it('stops when aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await assert.rejects(verifyBlocks(makeChain(2), { signal: controller.signal }), /stop/);
    });

    it('reports a block without a header instead of throwing', async () => {
      const report = await verifyBlocks([new common.Block()]);
      assert.deepEqual(report.faults, [{ blockNum: 0, valid: false, errors: ['block has no header'] }]);
    });
  });

  describe('newChainVerifier', () => {
    it('returns each fault as it is found', () => {
      const chain = makeChain(3);
      chain[2]!.getHeader()!.setDataHash(Buffer.alloc(32));
      const verifier = newChainVerifier();
      assert.equal(verifier.check(chain[0]!), undefined);
      assert.equal(verifier.check(chain[1]!), undefined);
      assert.deepEqual(verifier.check(chain[2]!)?.errors, ['DataHash mismatch']);
      assert.equal(verifier.report().blocksChecked, 3);
    });
  });

  describe('formatFabricBlocksJson', () => {
    it("writes Fabric's blocks.json layout", () => {
      assert.equal(formatFabricBlocksJson({ faults: [] }), '[\n]\n');
      assert.equal(
        formatFabricBlocksJson({
          faults: [
            { blockNum: 0, valid: false, errors: ['DataHash mismatch'] },
            { blockNum: 1, valid: false, errors: ['a<b'] },
          ],
        }),
        '[\n{"blockNum":0,"valid":false,"errors":["DataHash mismatch"]}\n,\n{"blockNum":1,"valid":false,"errors":["a\\u003cb"]}\n]\n',
      );
    });
  });
});

import { common } from '@hyperledger/fabric-protos';
import { blockHeaderHash } from '../../../node/src/fabric/block-hash';
import { newBlock } from '../../../node/src/fabric/blockfile';

/** A canonical envelope (payload and signature set), as a client would submit it. */
export function envelope(payload: string, signature = `sig-${payload}`): Uint8Array {
  const env = new common.Envelope();
  env.setPayload(Buffer.from(payload));
  env.setSignature(Buffer.from(signature));
  return env.serializeBinary();
}

/** A correctly linked chain of `count` blocks from genesis, `perBlock` envelopes each. */
export function makeChain(count: number, perBlock = 2): common.Block[] {
  const blocks: common.Block[] = [];
  let previousHash: Uint8Array = new Uint8Array(0);
  for (let n = 0; n < count; n++) {
    const envelopes = Array.from({ length: perBlock }, (_, i) => envelope(`block ${n} tx ${i}`));
    const metadata = [
      Buffer.from(`sig ${n}`),
      new Uint8Array(0),
      Buffer.alloc(perBlock),
      new Uint8Array(0),
      Buffer.from('o'),
    ];
    const block = newBlock(BigInt(n), previousHash, envelopes, metadata);
    blocks.push(block);
    previousHash = blockHeaderHash(block.getHeader() as common.BlockHeader);
  }
  return blocks;
}

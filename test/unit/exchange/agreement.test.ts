import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkAgreement, inboundEdges } from '../../../node/src/exchange/agreement';

const examples = path.resolve(__dirname, '../../../../network-config/partners');

describe('checkAgreement', () => {
  for (const file of ['customs-a/CustomsB.json', 'customs-b/CustomsA.json']) {
    it(`accepts the shipped example ${file}, filling defaults`, async () => {
      const { agreement, problems } = checkAgreement(JSON.parse(await readFile(path.join(examples, file), 'utf8')));
      assert.deepEqual(problems, []);
      assert.ok(agreement);
      assert.ok(agreement.utilityBlocks.every((b) => b.pattern === 'push' && b.version === '1'));
    });
  }

  it('lists every problem of a bad agreement', () => {
    const { agreement, problems } = checkAgreement({
      partnerId: 'bad id',
      name: '',
      trustAnchors: [],
      transport: { kind: 'http' },
      security: { scheme: 'jws' },
      format: { kind: 'json' },
      utilityBlocks: [{ id: 'X', direction: 'sideways' }],
      surprise: true,
    });
    assert.equal(agreement, undefined);
    for (const expected of [
      '/partnerId',
      '/name',
      '/trustAnchors',
      '/transport/endpoint',
      '/utilityBlocks/0/id',
      '/utilityBlocks/0/direction',
      '/surprise',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(expected)),
        `expected a problem at ${expected} in ${JSON.stringify(problems)}`,
      );
    }
  });

  it('mirrors the outbound edges when the agreement names no inbound ones', () => {
    const { agreement } = checkAgreement({
      partnerId: 'P',
      name: 'P',
      trustAnchors: ['ca.pem'],
      transport: { kind: 'libp2p', endpoint: '/ip4/127.0.0.1/tcp/1', peerId: 'peer' },
      security: { scheme: 'cms' },
      format: { kind: 'protobuf' },
      utilityBlocks: [{ id: 'inspection-result-sharing', direction: 'send' }],
    });
    assert.ok(agreement);
    assert.deepEqual(inboundEdges(agreement), {
      transport: 'libp2p',
      peerId: 'peer',
      security: 'cms',
      securityOptions: {},
      format: 'protobuf',
      formatOptions: {},
    });
  });
});

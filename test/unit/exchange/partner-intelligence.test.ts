import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gnc } from '../../../node/src/gen/gnc';
import { MessageStore } from '../../../node/src/exchange/message-store';
import { PartnerIntelligence } from '../../../node/src/exchange/partner-intelligence';
import { temporaryDirectory } from '../../support/test-organizations';

describe('PartnerIntelligence', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>;
  let store: MessageStore;
  let intelligence: PartnerIntelligence;

  beforeEach(async () => {
    tmp = await temporaryDirectory('intelligence');
    store = await MessageStore.open(path.join(tmp.dir, 'exchange'));
    intelligence = await PartnerIntelligence.open(store);
  });
  afterEach(async () => {
    await store.close();
    await tmp.remove();
  });

  const inspection = (messageId: string, containerId: string) =>
    gnc.v1.Envelope.fromObject({
      header: { messageId, senderId: 'CustomsA', receiverId: 'CustomsB', utilityBlockId: 'inspection-result-sharing' },
      inspection: {
        inspectionId: `INSP-${messageId}`,
        declarationMrn: 'MRN-1',
        containerId,
        startedAtMs: 1_700_000_000_000,
        method: 'INSPECTION_METHOD_XRAY_CONTAINER_SCAN',
      },
    });
  /** The store accepts `envelope` from CustomsA as the receiving node would, `shared` index and all. */
  const acceptFromCustomsA = async (envelope: gnc.v1.Envelope, shared?: ReturnType<PartnerIntelligence['indexOf']>) => {
    const messageId = envelope.header?.messageId ?? '';
    const raw = Buffer.from(`sealed ${messageId}`);
    await store.acceptInboundBatch(
      'CustomsA',
      [
        {
          messageId,
          utilityBlock: 'inspection-result-sharing',
          raw,
          digest: createHash('sha256').update(raw).digest(),
          envelope: Buffer.from(gnc.v1.Envelope.encode(envelope).finish()),
          receiptInfo: Buffer.from('info'),
          ...(shared ? { shared } : {}),
        },
      ],
      () => Promise.resolve(undefined),
    );
  };
  const expectedContent = {
    inspectionId: 'INSP-m1',
    declarationMrn: 'MRN-1',
    containerId: 'MSKU1234565',
    startedAtMs: '1700000000000',
    method: 'INSPECTION_METHOD_XRAY_CONTAINER_SCAN',
  };

  describe('record', () => {
    it('indexes a message the store accepted by container and declaration, its body read from the store as proto JSON', async () => {
      const envelope = inspection('m1', 'MSKU1234565');
      await acceptFromCustomsA(envelope);
      await intelligence.record('CustomsA', envelope, { inStore: true });
      const [byContainer] = await intelligence.byContainer('MSKU1234565');
      assert.deepEqual(byContainer, {
        partnerId: 'CustomsA',
        messageId: 'm1',
        utilityBlock: 'inspection-result-sharing',
        receivedAt: new Date((await store.status('m1'))!.createdAt).toISOString(),
        body: 'inspection',
        content: expectedContent,
      });
      assert.deepEqual(await intelligence.byDeclaration('MRN-1'), [byContainer]);
    });

    it('keeps the envelope in the record of a message the store does not hold', async () => {
      await intelligence.record('CustomsA', inspection('m1', 'MSKU1234565'));
      assert.deepEqual((await intelligence.byContainer('MSKU1234565'))[0]?.content, expectedContent);
    });

    it('refuses, with a typed error, a record that refers to a message the store does not hold', async () => {
      await intelligence.record('CustomsA', inspection('m1', 'MSKU1234565'), { inStore: true });
      await assert.rejects(intelligence.byContainer('MSKU1234565'), { code: 'GNC_EXCHANGE_STORE_DAMAGED' });
    });
  });

  it('reads records that name a stored message with their header fields, as written before 2026-11', async () => {
    const envelope = inspection('m2', 'MSKU7654321');
    await acceptFromCustomsA(envelope);
    const header = Buffer.from(
      JSON.stringify({
        partnerId: 'CustomsA',
        messageId: 'm2',
        utilityBlock: 'inspection-result-sharing',
        receivedAt: '2026-10-01T00:00:00.000Z',
        body: 'inspection',
        envelopeIn: 'store',
      }),
    );
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    await store.indexSharedRecord(
      [{ index: 'container', value: 'MSKU7654321', messageId: 'm2' }],
      Buffer.concat([length, header]),
    );
    const [record] = await intelligence.byContainer('MSKU7654321');
    assert.equal(record?.receivedAt, '2026-10-01T00:00:00.000Z');
    assert.equal(record?.utilityBlock, 'inspection-result-sharing');
    assert.deepEqual(record?.content, { ...expectedContent, inspectionId: 'INSP-m2', containerId: 'MSKU7654321' });
  });

  describe('indexOf', () => {
    it('gives the entries and record the store writes with an accepted message, read back as record() writes them', async () => {
      const envelope = inspection('m1', 'MSKU1234565');
      const shared = intelligence.indexOf('CustomsA', envelope, { inStore: true });
      assert.deepEqual(shared?.entries, [
        { index: 'declaration', value: 'MRN-1' },
        { index: 'container', value: 'MSKU1234565' },
      ]);
      await acceptFromCustomsA(envelope, shared);
      const [byContainer] = await intelligence.byContainer('MSKU1234565');
      assert.deepEqual(byContainer?.content, expectedContent);
      assert.equal(byContainer?.messageId, 'm1');
      assert.deepEqual(await intelligence.byDeclaration('MRN-1'), [byContainer]);
    });

    it('gives nothing for an envelope that names no container or declaration', () => {
      const envelope = gnc.v1.Envelope.fromObject({
        header: { messageId: 'm2', senderId: 'CustomsA', receiverId: 'CustomsB' },
        inspection: { inspectionId: 'INSP-m2' },
      });
      assert.equal(intelligence.indexOf('CustomsA', envelope), undefined);
    });
  });

  it('reads the JSON records earlier versions wrote, beside new ones', async () => {
    const earlier = {
      partnerId: 'CustomsA',
      messageId: 'old',
      utilityBlock: 'inspection-result-sharing',
      receivedAt: '2026-01-01T00:00:00.000Z',
      body: 'inspection',
      content: { inspectionId: 'INSP-old', containerId: 'MSKU1234565' },
    };
    // How earlier versions wrote a record: its JSON under each index value.
    await store.indexShared([{ index: 'container', value: 'MSKU1234565', messageId: 'old', record: earlier }]);
    await intelligence.record('CustomsA', inspection('m1', 'MSKU1234565'));
    const shared = await intelligence.byContainer('MSKU1234565');
    assert.deepEqual(
      shared.map((record) => record.messageId),
      ['m1', 'old'],
    );
    assert.deepEqual(shared[1], earlier);
  });
});

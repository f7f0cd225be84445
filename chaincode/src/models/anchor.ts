import { Object as DataType, Property } from 'fabric-contract-api';
import { invalidArgument } from '../contract-error';
import { FieldReader } from '../validation';

/** What AnchorBatch takes: the Merkle root over the digests of one batch of exchanged messages. */
@DataType()
export class AnchorInput {
  @Property('batchId', 'string') batchId!: string;
  @Property('merkleRoot', 'string') merkleRoot!: string;
  @Property('messageCount', 'number') messageCount!: number;
  @Property('partnerId', 'string') partnerId!: string;
  @Property('firstMessageAt', 'string') firstMessageAt!: string;
  @Property('lastMessageAt', 'string') lastMessageAt!: string;

  static from(this: void, json: unknown, path = 'batch'): AnchorInput {
    const r = FieldReader.of(json, path);
    const input = Object.assign(new AnchorInput(), {
      batchId: r.string('batchId', { format: 'id' }),
      merkleRoot: r.string('merkleRoot', { format: 'sha256' }),
      messageCount: r.number('messageCount', { integer: true, min: 1 }),
      partnerId: r.string('partnerId', { format: 'id' }),
      firstMessageAt: r.string('firstMessageAt', { format: 'isoTime' }),
      lastMessageAt: r.string('lastMessageAt', { format: 'isoTime' }),
    });
    r.done();
    if (Date.parse(input.firstMessageAt) > Date.parse(input.lastMessageAt)) {
      throw invalidArgument(`${path}.firstMessageAt must not be after lastMessageAt`);
    }
    return input;
  }
}

/** The anchor record. */
@DataType()
export class MessageAnchor extends AnchorInput {
  @Property('docType', 'string') docType!: 'anchor';
  @Property('anchoredByMsp', 'string') anchoredByMsp!: string;
  @Property('anchoredAt', 'string') anchoredAt!: string;
  @Property('txId', 'string') txId!: string;

  static override from(this: void, json: unknown, path = 'batch'): MessageAnchor {
    const r = FieldReader.of(json, path);
    const own = ['docType', 'anchoredByMsp', 'anchoredAt', 'txId'];
    const inputJson = Object.fromEntries(
      Object.entries(json as Record<string, unknown>).filter(([key]) => !own.includes(key)),
    );
    const input = AnchorInput.from(inputJson, path);
    const record = Object.assign(new MessageAnchor(), input, {
      docType: r.enumOf('docType', ['anchor'] as const),
      anchoredByMsp: r.string('anchoredByMsp', { maxLength: 128 }),
      anchoredAt: r.string('anchoredAt', { format: 'isoTime' }),
      txId: r.string('txId', { maxLength: 128 }),
    });
    return record;
  }
}

import { strict as assert } from 'node:assert';
import { common } from '@hyperledger/fabric-protos';
import {
  envelopeFormError,
  isConfigBlockData,
  transactionsWellFormedError,
} from '../../../node/src/fabric/transaction-form';
import { envelope } from './helpers';

function configEnvelope(type: number): Uint8Array {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(type);
  channelHeader.setChannelId('mychannel');
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

describe('transaction-form', () => {
  describe('transactionsWellFormedError', () => {
    it('accepts canonical envelopes', () => {
      assert.equal(transactionsWellFormedError([envelope('a'), envelope('b')]), undefined);
    });

    it("reports an empty block as Fabric does: 'empty block'", () => {
      assert.equal(transactionsWellFormedError([]), 'empty block');
    });

    it('exempts a block of one CONFIG transaction, even unsigned', () => {
      const config = configEnvelope(common.HeaderType.CONFIG);
      assert.ok(isConfigBlockData([config]));
      assert.equal(transactionsWellFormedError([config]), undefined);
    });

    it('does not exempt other types or several transactions', () => {
      assert.equal(isConfigBlockData([configEnvelope(common.HeaderType.ENDORSER_TRANSACTION)]), false);
      assert.equal(isConfigBlockData([configEnvelope(common.HeaderType.CONFIG), envelope('a')]), false);
      assert.equal(
        transactionsWellFormedError([envelope('a'), configEnvelope(common.HeaderType.CONFIG)]),
        'transaction 1 has no signature',
      );
    });
  });

  describe('envelopeFormError', () => {
    it('reports unparseable bytes', () => {
      assert.match(envelopeFormError(Buffer.from('0a05ab', 'hex'), 2) ?? '', /^transaction 2 is invalid: /);
    });

    it('reports a missing payload, then a missing signature', () => {
      assert.equal(envelopeFormError(Buffer.from('1201ff', 'hex'), 0), 'transaction 0 has no payload');
      assert.equal(envelopeFormError(Buffer.from('0a01ff', 'hex'), 0), 'transaction 0 has no signature');
      assert.equal(envelopeFormError(Buffer.from('0a01ff1200', 'hex'), 0), 'transaction 0 has no signature');
    });

    it('reports a repeated field as trailing bytes (Go keeps the last one)', () => {
      assert.equal(
        envelopeFormError(Buffer.from('0a01aa0a01bb1201cc', 'hex'), 4),
        'transaction 4 has 3 trailing bytes',
      );
    });

    it('reports a non-minimal length as trailing bytes', () => {
      assert.equal(envelopeFormError(Buffer.from('0a80001201cc', 'hex'), 0), 'transaction 0 has no payload');
      assert.equal(envelopeFormError(Buffer.from('0a8100aa1201cc', 'hex'), 0), 'transaction 0 has 1 trailing bytes');
    });

    it('reports fields out of order as not matching, with both forms in base64', () => {
      const raw = Buffer.from('1201cc0a01aa', 'hex');
      const expected = Buffer.from('0a01aa1201cc', 'hex');
      assert.equal(
        envelopeFormError(raw, 1),
        `transaction 1 (${expected.toString('base64')}) does not match its raw form (${raw.toString('base64')})`,
      );
    });

    it('accepts unknown fields after the known ones, which Go re-marshals in place', () => {
      assert.equal(envelopeFormError(Buffer.from('0a01aa1201cc1801', 'hex'), 0), undefined);
      assert.match(envelopeFormError(Buffer.from('0a01aa18011201cc', 'hex'), 0) ?? '', /does not match its raw form/);
    });
  });
});

import { strict as assert } from 'node:assert';
import {
  decodeError,
  decodeFrame,
  encodeError,
  encodeFrame,
} from '../../../../../adapters/transport/filedrop/drop-file';
import {
  issueTransportCertificate,
  type TransportCertificate,
} from '../../../../../adapters/transport/tls-certificates';
import { createCertificateAuthority } from '../../../../../node/src/identity';

describe('filedrop drop-file', () => {
  let signer: TransportCertificate;
  before(async () => {
    const ca = await createCertificateAuthority({ mspId: 'AMSP', organization: 'Customs A' });
    signer = await issueTransportCertificate(ca, { commonName: 'node.A' });
  });

  describe('encodeFrame / decodeFrame', () => {
    it('round-trips a binary payload with its signer chain', () => {
      const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
      const frame = decodeFrame(
        encodeFrame({ kind: 'message', name: 'n', createdAt: 't' }, payload, signer),
        'message',
      );
      assert.deepEqual(frame.payload, payload);
      assert.equal(frame.chain.length, 1);
    });

    it('refuses a truncated, altered, re-signed-header or wrong-kind frame', () => {
      const file = encodeFrame({ kind: 'message', name: 'n', createdAt: 't' }, Buffer.from('payload'), signer);
      assert.throws(() => decodeFrame(file.subarray(0, file.length - 1), 'message'), /payload has/);
      const altered = Buffer.from(file);
      altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 1, altered.length - 1);
      assert.throws(() => decodeFrame(altered, 'message'), /digest/);
      const renamed = Buffer.from(file.toString('latin1').replace('"name":"n"', '"name":"m"'), 'latin1');
      assert.throws(() => decodeFrame(renamed, 'message'), /signature/);
      assert.throws(() => decodeFrame(file, 'receipt'), /not that of a receipt/);
      assert.throws(() => decodeFrame(Buffer.from('GNCFD/1\n{'), 'message'), /truncated/);
    });
  });

  describe('encodeError / decodeError', () => {
    it('signs the typed error and refuses an edited one', () => {
      const fields = {
        code: 'GNC_X',
        message: 'm',
        httpStatus: 409,
        transient: false,
        file: 'f',
        fileSha256: 'h',
        at: 't',
      };
      const file = encodeError(fields, signer);
      assert.equal(decodeError(file).error.code, 'GNC_X');
      const edited = Buffer.from(file.toString('utf8').replace('"transient": false', '"transient": true'));
      assert.throws(() => decodeError(edited), /signature/);
    });
  });
});

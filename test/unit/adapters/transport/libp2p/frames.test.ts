import assert from 'node:assert/strict';
import {
  FrameType,
  decodeFrame,
  encodeFrame,
  encodeJsonFrame,
  parseErrorBody,
  parseHello,
} from '../../../../../adapters/transport/libp2p/frames';

describe('libp2p frames', () => {
  describe('encodeFrame / decodeFrame', () => {
    it('round-trips the type and a copy of the body', () => {
      const frame = encodeFrame(FrameType.MESSAGE, new Uint8Array([1, 2, 3]));
      assert.deepEqual([...frame], [FrameType.MESSAGE, 1, 2, 3]);
      const decoded = decodeFrame(frame);
      assert.equal(decoded.type, FrameType.MESSAGE);
      frame[1] = 9;
      assert.deepEqual([...decoded.body], [1, 2, 3]);
    });

    it('refuses an empty frame', () => {
      assert.throws(() => decodeFrame(new Uint8Array()), /empty frame/);
    });
  });

  describe('parseHello', () => {
    it('reads what encodeJsonFrame wrote', () => {
      const frame = decodeFrame(encodeJsonFrame(FrameType.HELLO, { version: 1, certificates: ['PEM'] }));
      assert.deepEqual(parseHello(frame.body), { version: 1, certificates: ['PEM'] });
    });

    it('refuses other versions, no certificates and non-JSON', () => {
      const body = (value: unknown) => Buffer.from(JSON.stringify(value));
      assert.throws(() => parseHello(body({ version: 2, certificates: ['x'] })), /malformed hello/);
      assert.throws(() => parseHello(body({ version: 1, certificates: [] })), /malformed hello/);
      assert.throws(() => parseHello(body({ version: 1, certificates: [1] })), /malformed hello/);
      assert.throws(() => parseHello(Buffer.from('{')));
    });
  });

  describe('parseErrorBody', () => {
    it('reads a well-formed error and degrades gracefully on a broken one', () => {
      const frame = decodeFrame(encodeJsonFrame(FrameType.ERROR, { code: 'GNC_X', message: 'no', transient: true }));
      assert.deepEqual(parseErrorBody(frame.body), { code: 'GNC_X', message: 'no', transient: true });
      assert.equal(parseErrorBody(Buffer.from('nope')).code, 'GNC_TRANSPORT_PROTOCOL');
      assert.equal(parseErrorBody(Buffer.from('{}')).transient, false);
    });
  });
});

import assert from 'node:assert/strict';
import { ConfigError } from '../../../../node/src/errors';
import { transports } from '../../../../adapters/transport';
import { HttpTransportOptions } from '../../../../adapters/transport/http';
import { parseTransportOptions } from '../../../../adapters/transport/transport-options';
import { TransportError, TransportErrorCode, isTransportError } from '../../../../adapters/transport/transport-errors';

describe('transport registry', () => {
  it('offers http and libp2p by agreement name', () => {
    assert.deepEqual(Object.keys(transports).sort(), ['as4', 'filedrop', 'http', 'libp2p']);
    assert.ok(Object.isFrozen(transports));
  });

  describe('options', () => {
    it('fills in defaults and freezes the result', () => {
      const options = parseTransportOptions('http', HttpTransportOptions, {});
      assert.equal(options.host, '127.0.0.1');
      assert.equal(options.port, 0);
      assert.equal(options.maxMessageBytes, 4 * 1024 * 1024);
      assert.ok(Object.isFrozen(options));
    });

    it('lists every problem at once', () => {
      try {
        parseTransportOptions('http', HttpTransportOptions, { port: -1, timeoutMs: 'soon', colour: 'blue' });
        assert.fail('expected a ConfigError');
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.problems.some((p) => p.startsWith('/port')));
        assert.ok(error.problems.some((p) => p.startsWith('/timeoutMs')));
        assert.ok(error.problems.some((p) => p.includes('colour') || p.startsWith('/colour')));
      }
    });

    it('is what the factories validate', () => {
      assert.throws(() => transports.libp2p?.({ listen: 'not a multiaddr' }), ConfigError);
      assert.throws(() => transports.http?.({ maxMessageBytes: 0 }), ConfigError);
    });
  });

  describe('TransportError', () => {
    it('carries code, transient, the remote code and an HTTP status for our own API', () => {
      const error = new TransportError(TransportErrorCode.REMOTE_ERROR, 'no', {
        transient: false,
        partnerId: 'B',
        remoteCode: 'GNC_X',
      });
      assert.equal(error.code, 'GNC_TRANSPORT_REMOTE_ERROR');
      assert.equal(error.httpStatus, 502);
      assert.equal(error.remoteCode, 'GNC_X');
      assert.ok(isTransportError(error, TransportErrorCode.REMOTE_ERROR));
      assert.ok(!isTransportError(error, TransportErrorCode.TIMEOUT));
      assert.equal(new TransportError(TransportErrorCode.TIMEOUT, 't', { transient: true }).httpStatus, 503);
    });
  });
});

import assert from 'node:assert/strict';
import '../../../node/src/ledger/embedded/fabric-logging';

interface WinstonInfo {
  level: string;
  message: unknown;
}
interface TestLogger {
  level: string;
  format: { transform(info: WinstonInfo): unknown };
  debug(message: string): void;
  info(message: string): void;
  error(message: string): void;
}

describe('fabric-logging', function () {
  describe('Fabric loggers', function () {
    for (const id of ['fabric-shim/lib/logger', 'fabric-contract-api/lib/logger']) {
      it(`${id}: formats only messages of enabled levels, following later level changes`, function () {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loggers = require(id) as { getLogger(name: string): TestLogger };
        const logger = loggers.getLogger('fabric-logging-test');
        const { level, format } = logger;
        const formatted: string[] = [];
        // Records what reaches the format chain and drops it (a format returning false filters).
        logger.format = {
          transform: (info) => {
            formatted.push(`${info.level}:${String(info.message)}`);
            return false;
          },
        };
        try {
          logger.level = 'info';
          logger.debug('dropped');
          logger.info('kept');
          logger.error('kept too');
          logger.level = 'debug';
          logger.debug('kept once enabled');
          assert.deepEqual(formatted, ['info:kept', 'error:kept too', 'debug:kept once enabled']);
        } finally {
          logger.format = format;
          logger.level = level;
        }
      });
    }
  });
});

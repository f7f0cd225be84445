/**
 * fabric-shim and fabric-contract-api log every decorator at info level and every refused
 * transaction at error level, to stdout, reading CORE_CHAINCODE_LOGGING_LEVEL when their modules
 * load. In the embedded ledger a refusal already reaches its caller as a typed error, so unless
 * the operator chose a level, only critical messages are shown. Imported before any Fabric module.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';

interface FabricLogger {
  levels: Record<string, number>;
  isLevelEnabled(level: string): boolean;
  [method: string]: unknown;
}

interface FabricLoggerModule {
  getLogger(name?: string): FabricLogger;
}

/**
 * winston (under both Fabric loggers) runs every message through its whole format chain —
 * timestamp, metadata, colours, printf — and only then lets the transport drop it for its level.
 * The shim logs several debug lines per transaction, which cost as much as a LevelDB read. Each
 * level method is therefore guarded by winston's own isLevelEnabled (asked on every call, so a
 * level changed later through setLevel or the environment still applies): the messages shown are
 * exactly those shown before, the ones dropped are no longer formatted.
 */
const guarded = new WeakSet<FabricLogger>();

function skipDisabledLevels(logger: FabricLogger): FabricLogger {
  if (guarded.has(logger)) return logger;
  guarded.add(logger);
  for (const level of Object.keys(logger.levels)) {
    const write = logger[level];
    if (typeof write !== 'function') continue;
    logger[level] = function (this: FabricLogger | undefined, ...args: unknown[]): unknown {
      const self = this ?? logger;
      return self.isLevelEnabled(level) ? (write as (...a: unknown[]) => unknown).apply(self, args) : self;
    };
  }
  return logger;
}

for (const id of ['fabric-shim/lib/logger', 'fabric-contract-api/lib/logger']) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loggers = require(id) as FabricLoggerModule;
  const getLogger = loggers.getLogger.bind(loggers);
  loggers.getLogger = (name?: string) => skipDisabledLevels(getLogger(name));
}

export {};

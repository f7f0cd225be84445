/**
 * fabric-shim and fabric-contract-api log every decorator at info level and every refused
 * transaction at error level, to stdout, reading CORE_CHAINCODE_LOGGING_LEVEL when their modules
 * load. In the embedded ledger a refusal already reaches its caller as a typed error, so unless
 * the operator chose a level, only critical messages are shown. Imported before any Fabric module.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
export {};

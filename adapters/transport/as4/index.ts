/** The `as4` transport: ebMS 3 / AS4 over HTTPS with mutual TLS (see README.md). */
export { as4 } from './as4-transport';
export { As4PMode, As4PModeOverride, As4TransportOptions } from './as4-options';

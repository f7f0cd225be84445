/**
 * Transports: the registry table the node looks a partner's transport up in, by the name its
 * agreement gives, plus the public types. Adding a transport is one folder and one line here.
 */
import { loadOnFirstUse } from '../load-on-first-use';
import { http } from './http';
import { libp2p } from './libp2p';
import type { TransportFactory } from './transport';

/**
 * Every transport this node offers, by agreement name. AS4 and filedrop are loaded when an
 * agreement first names them (AS4 alone brings the XML signature stack).
 */
export const transports: Readonly<Record<string, TransportFactory>> = Object.freeze({
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see loadOnFirstUse
  as4: loadOnFirstUse(() => (require('./as4/as4-transport') as typeof import('./as4/as4-transport')).as4),
  filedrop: loadOnFirstUse(
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see loadOnFirstUse
    () => (require('./filedrop/filedrop-transport') as typeof import('./filedrop/filedrop-transport')).filedrop,
  ),
  http,
  libp2p,
});

export type {
  InboundDelivery,
  InboundHandler,
  SendOptions,
  Transport,
  TransportComponents,
  TransportFactory,
  TransportLogger,
  TransportPeer,
} from './transport';
export { TransportError, TransportErrorCode, isTransportError, type TransportErrorOptions } from './transport-errors';
export {
  issueTransportCertificate,
  peerIdOfEd25519Key,
  type IssuingCa,
  type TransportCertificate,
  type TransportCertificateOptions,
} from './tls-certificates';
export { PEER_ID_URI_PREFIX } from './peer-certificates';
export { HttpTransportOptions, MESSAGES_PATH } from './http';
export { EXCHANGE_PROTOCOL, Libp2pTransportOptions } from './libp2p';
export { As4PMode, As4PModeOverride, As4TransportOptions } from './as4/as4-options';
export { FiledropTransportOptions } from './filedrop/filedrop-options';

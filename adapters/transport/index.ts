/**
 * Transports: the registry table the node looks a partner's transport up in, by the name its
 * agreement gives, plus the public types. Adding a transport is one folder and one line here.
 */
import { as4 } from './as4';
import { filedrop } from './filedrop';
import { http } from './http';
import { libp2p } from './libp2p';
import type { TransportFactory } from './transport';

/** Every transport this node offers, by agreement name. */
export const transports: Readonly<Record<string, TransportFactory>> = Object.freeze({
  as4,
  filedrop,
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
export { As4PMode, As4PModeOverride, As4TransportOptions } from './as4';
export { FiledropTransportOptions } from './filedrop';

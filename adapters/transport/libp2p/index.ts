/** The `libp2p` transport: TCP + Noise + Yamux, protocol '/gnc/exchange/1.0.0'. */
export { libp2p, Libp2pTransportOptions } from './libp2p-transport';
export { EXCHANGE_PROTOCOL } from './frames';

import type { FabricConnectionOptions } from '../fabric-gateway/fabric-connection';

/**
 * A minimal common connection profile for fabric-network: the organisation's own peer (used for
 * discovery, queries and events) and the orderer. Discovery finds the other organisations' peers.
 */
export function connectionProfileOf(options: FabricConnectionOptions): Record<string, unknown> {
  const peerName = options.peerHostname ?? options.peerAddress;
  const grpcOptions = options.peerHostname ? { 'ssl-target-name-override': options.peerHostname } : {};
  return {
    name: `gnc-${options.peerMspId}`,
    version: '1.0.0',
    client: { organization: options.peerMspId, connection: { timeout: { peer: { endorser: '30' } } } },
    organizations: { [options.peerMspId]: { mspid: options.peerMspId, peers: [peerName] } },
    peers: {
      [peerName]: {
        url: `grpcs://${options.peerAddress}`,
        tlsCACerts: { pem: options.tlsRootCertificatePem },
        grpcOptions,
      },
    },
    ...(options.orderer
      ? {
          orderers: {
            orderer: {
              url: `grpcs://${options.orderer.address}`,
              tlsCACerts: { pem: options.orderer.tlsRootCertificatePem },
            },
          },
        }
      : {}),
    channels: {
      [options.channel]: {
        ...(options.orderer ? { orderers: ['orderer'] } : {}),
        peers: {
          [peerName]: { endorsingPeer: true, chaincodeQuery: true, ledgerQuery: true, eventSource: true },
        },
      },
    },
  };
}

import { readFileSync } from 'node:fs';

/**
 * Where a Fabric client finds the network: the peer whose gateway it talks to (its organisation's
 * own peer), that peer's TLS root certificate, the channel and the chaincode.
 */
export interface FabricConnectionOptions {
  /** host:port of the peer, e.g. 127.0.0.1:17051. */
  readonly peerAddress: string;
  /** PEM of the CA that issued the peer's TLS certificate. */
  readonly tlsRootCertificatePem: string;
  /** TLS server name to expect when it differs from the address host. */
  readonly peerHostname?: string;
  readonly channel: string;
  readonly chaincode: string;
  /** The peer's MSP id (fabric-network's connection profile needs it). */
  readonly peerMspId: string;
  /** The orderer, for fabric-network (it sends transactions to the orderer itself). */
  readonly orderer?: { readonly address: string; readonly tlsRootCertificatePem: string };
}

/** The `fabric` section of ledger open options, as the Fabric entries of `ledgerImplementations` read it. */
export interface FabricLedgerOptions {
  fabric?: FabricConnectionOptions;
}

/** The network description `network-config/fabric/up.sh` writes to run/network.json. */
export interface LocalNetworkDescription {
  channel: string;
  chaincode: string;
  orderer: { address: string; tlsCaPath: string };
  organizations: Record<
    string,
    {
      mspId: string;
      peer: {
        name: string;
        address: string;
        hostname: string;
        tlsCaPath: string;
        operations: string;
        blockfileDir: string;
        pidFile: string;
      };
      caCertPath: string;
      caKeyPath: string;
    }
  >;
}

/** Connection options for one organisation of a network described by run/network.json. */
export function connectionFromDescription(network: LocalNetworkDescription, org: string): FabricConnectionOptions {
  const entry = network.organizations[org];
  if (!entry) throw new Error(`organisation '${org}' is not in the network description`);
  return {
    peerAddress: entry.peer.address,
    peerHostname: entry.peer.hostname,
    tlsRootCertificatePem: readFileSync(entry.peer.tlsCaPath, 'utf8'),
    peerMspId: entry.mspId,
    channel: network.channel,
    chaincode: network.chaincode,
    orderer: {
      address: network.orderer.address,
      tlsRootCertificatePem: readFileSync(network.orderer.tlsCaPath, 'utf8'),
    },
  };
}

import { connectionFromDescription } from '../../node/src/ledger/fabric-gateway';
import { createFabricNetworkConnection } from '../../node/src/ledger/fabric-network';
import { runLedgerComplianceSuite } from '../compliance/ledger-suite';
import { fabricFixture } from './local-network';

// The contract compliance suite through fabric-network 2.2.20 (connection profile + discovery),
// against the local Fabric network (npm run fabric:up).
runLedgerComplianceSuite('fabric-network', () =>
  fabricFixture((org, network) =>
    Promise.resolve(createFabricNetworkConnection(connectionFromDescription(network, org))),
  ),
);

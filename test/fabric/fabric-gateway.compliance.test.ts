import { connectionFromDescription, createFabricGatewayConnection } from '../../node/src/ledger/fabric-gateway';
import { runLedgerComplianceSuite } from '../compliance/ledger-suite';
import { fabricFixture } from './local-network';

// The contract compliance suite through @hyperledger/fabric-gateway, against the local Fabric
// network (npm run fabric:up): each organisation's users talk to their own peer's gateway.
runLedgerComplianceSuite('fabric-gateway', () =>
  fabricFixture((org, network) =>
    Promise.resolve(createFabricGatewayConnection(connectionFromDescription(network, org))),
  ),
);

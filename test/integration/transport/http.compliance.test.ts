import { http } from '../../../adapters/transport/http';
import { runTransportSuite } from '../../compliance/transport-suite';

runTransportSuite('http (HTTP/2 + mutual TLS)', { factory: http, keyType: 'P-256', carriesBatches: true });

// The same contract with Ed25519 certificates, the kind the libp2p transport needs, so one
// transport certificate can serve both transports.
runTransportSuite('http with Ed25519 certificates', { factory: http, keyType: 'Ed25519', carriesBatches: true });

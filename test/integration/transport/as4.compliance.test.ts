import { as4 } from '../../../adapters/transport/as4';
import { runTransportSuite } from '../../compliance/transport-suite';

// Signed UserMessages and Receipts (the default P-Mode), P-256 transport certificates.
runTransportSuite('as4 (ebMS 3 / AS4, HTTPS mutual TLS, WS-Security)', {
  factory: as4,
  keyType: 'P-256',
  carriesBatches: false,
});

// Ed25519 certificates sign with EdDSA (RFC 9231): the same contract.
runTransportSuite('as4 with Ed25519 certificates', { factory: as4, keyType: 'Ed25519', carriesBatches: false });

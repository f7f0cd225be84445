import { libp2p } from '../../../adapters/transport/libp2p';
import { runTransportSuite } from '../../compliance/transport-suite';

runTransportSuite('libp2p (TCP + Noise + Yamux)', { factory: libp2p, keyType: 'Ed25519', carriesBatches: true });

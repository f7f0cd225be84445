import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filedrop } from '../../../adapters/transport/filedrop';
import type { TransportFactory } from '../../../adapters/transport/transport';
import { runTransportSuite } from '../../compliance/transport-suite';

/**
 * The shared contract, run on folders. The suite builds every node with the same `init`; each
 * node gets its own inbound folder here (as each http node gets its own port 0).
 *
 * A filedrop node listens on no port, so the suite's port check is not defined for it
 * (listensOnPort: false); its counterpart, that a stopped node picks up nothing, is in
 * filedrop.test.ts.
 */

const roots: string[] = [];
const perNodeFolder: TransportFactory = (init) => {
  const root = mkdtempSync(join(tmpdir(), 'gnc-filedrop-suite-'));
  roots.push(root);
  return filedrop({ inbound: join(root, 'inbound'), pollIntervalMs: 10, fsync: false, ...init });
};

describe('filedrop transport', () => {
  after(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  runTransportSuite('filedrop (signed files in shared folders)', {
    factory: perNodeFolder,
    keyType: 'P-256',
    carriesBatches: false,
    listensOnPort: false,
  });
  runTransportSuite('filedrop with Ed25519 certificates', {
    factory: perNodeFolder,
    keyType: 'Ed25519',
    carriesBatches: false,
    listensOnPort: false,
  });
});

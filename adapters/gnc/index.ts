import type { UtilityBlock } from './utility-block';

export type { UtilityBlock, EnvelopeBodyKind } from './utility-block';

/**
 * The Utility Blocks this node knows, by id. The data set of each (which canonical fields it may
 * carry) and the stripping of fields outside it come with the translation-matrix issue.
 */
export const utilityBlocks: Readonly<Record<string, UtilityBlock>> = {
  'aeo-mutual-recognition': {
    id: 'aeo-mutual-recognition',
    version: '1',
    title: 'AEO mutual-recognition status exchange',
    bodyKind: 'aeoCertificate',
    pattern: 'push',
  },
  'export-import-prearrival': {
    id: 'export-import-prearrival',
    version: '1',
    title: 'Export declaration data as pre-arrival information for the import administration',
    bodyKind: 'declaration',
    pattern: 'push',
  },
  'certificate-of-origin': {
    id: 'certificate-of-origin',
    version: '1',
    title: 'Certificate-of-origin data',
    bodyKind: 'declaration',
    pattern: 'push',
  },
  'inspection-result-sharing': {
    id: 'inspection-result-sharing',
    version: '1',
    title: 'Inspection results (mutual recognition of controls)',
    bodyKind: 'inspection',
    pattern: 'push',
  },
  'transit-seal-events': {
    id: 'transit-seal-events',
    version: '1',
    title: 'Electronic seal custody events in transit',
    bodyKind: 'sealEvent',
    pattern: 'push',
  },
  'message-batch-anchor': {
    id: 'message-batch-anchor',
    version: '1',
    title: 'Merkle roots of exchanged message batches',
    bodyKind: 'batchAnchor',
    pattern: 'push',
  },
};

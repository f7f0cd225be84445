import { aeoMutualRecognition } from './aeo-mutual-recognition';
import { certificateOfOrigin } from './certificate-of-origin';
import { exportImportPrearrival } from './export-import-prearrival';
import { inspectionResultSharing } from './inspection-result-sharing';
import { messageBatchAnchor } from './message-batch-anchor';
import { transitSealEvents } from './transit-seal-events';
import type { UtilityBlock } from './utility-block';

export type { UtilityBlock, EnvelopeBodyKind } from './utility-block';
export { checkDataSet, minimiseBody } from './data-set';

/** The Utility Blocks this node knows, by id: the one table the agreements refer to. */
export const utilityBlocks: Readonly<Record<string, UtilityBlock>> = Object.freeze(
  Object.fromEntries(
    [
      aeoMutualRecognition,
      exportImportPrearrival,
      certificateOfOrigin,
      inspectionResultSharing,
      transitSealEvents,
      messageBatchAnchor,
    ].map((block) => [block.id, block]),
  ),
);

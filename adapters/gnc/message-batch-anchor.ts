import type { UtilityBlock } from './utility-block';

/** Merkle roots of exchanged message batches, so both sides can anchor the same exchange. */
export const messageBatchAnchor: UtilityBlock = {
  id: 'message-batch-anchor',
  version: '1',
  title: 'Merkle roots of exchanged message batches',
  bodyKind: 'batchAnchor',
  pattern: 'push',
  dataSet: [
    'batchId',
    'merkleRoot',
    'digestAlgorithm',
    'messageCount',
    'partnerId',
    'firstMessageAtMs',
    'lastMessageAtMs',
    'administrationId',
  ],
};

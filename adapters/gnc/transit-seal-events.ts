import type { UtilityBlock } from './utility-block';

/** Electronic seal custody events along a transit: affixed, checked intact or broken, removed. */
export const transitSealEvents: UtilityBlock = {
  id: 'transit-seal-events',
  version: '1',
  title: 'Electronic seal custody events in transit',
  bodyKind: 'sealEvent',
  pattern: 'push',
  dataSet: [
    'eventId',
    'sealId',
    'type',
    'occurredAtMs',
    'siteId',
    'deviceId',
    'containerId',
    'declarationMrn',
    'position',
    'administrationId',
    'previousEventId',
  ],
};

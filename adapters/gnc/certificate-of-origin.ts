import type { UtilityBlock } from './utility-block';

/** Certificate-of-origin data: what was exported, by whom, to whom, and where it originates. */
export const certificateOfOrigin: UtilityBlock = {
  id: 'certificate-of-origin',
  version: '1',
  title: 'Certificate-of-origin data',
  bodyKind: 'declaration',
  pattern: 'push',
  dataSet: [
    'lrn',
    'mrn',
    'type',
    'issuedAtMs',
    'administrationId',
    'exporter.id',
    'exporter.idScheme',
    'exporter.name',
    'exporter.address',
    'importer.id',
    'importer.idScheme',
    'importer.name',
    'importer.address',
    'goodsShipment.exportCountryCode',
    'goodsShipment.destinationCountryCode',
    'goodsShipment.goodsItems.sequenceNumeric',
    'goodsShipment.goodsItems.commodity',
    'goodsShipment.goodsItems.quantity',
    'goodsShipment.goodsItems.originCountryCode',
  ],
};

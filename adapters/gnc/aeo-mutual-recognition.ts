import type { UtilityBlock } from './utility-block';

/** AEO mutual-recognition status exchange: which operators hold which status, under which MRA. */
export const aeoMutualRecognition: UtilityBlock = {
  id: 'aeo-mutual-recognition',
  version: '1',
  title: 'AEO mutual-recognition status exchange',
  bodyKind: 'aeoCertificate',
  pattern: 'push',
  dataSet: [
    'certificateId',
    'holder.id',
    'holder.idScheme',
    'holder.name',
    'holder.address',
    'issuingAdministrationId',
    'status',
    'typeCode',
    'issuedAtMs',
    'statusChangedAtMs',
    'statusReason',
    'mraPartnerIds',
    'roleCode',
  ],
};

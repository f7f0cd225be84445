import type { UtilityBlock } from './utility-block';

/**
 * Inspection results for mutual recognition of controls: method, scans (digest and location),
 * image-recognition findings, the declared-versus-detected comparison and the verdict. The
 * officer's identity stays home.
 */
export const inspectionResultSharing: UtilityBlock = {
  id: 'inspection-result-sharing',
  version: '1',
  title: 'Inspection results (mutual recognition of controls)',
  bodyKind: 'inspection',
  pattern: 'push',
  dataSet: [
    'inspectionId',
    'declarationMrn',
    'method',
    'officeId',
    'startedAtMs',
    'completedAtMs',
    'containerId',
    'transportMeansId',
    'scanImages',
    'findings',
    'comparison',
    'verdict.verdict',
    'verdict.remarks',
    'verdict.decidedAtMs',
    'administrationId',
  ],
};

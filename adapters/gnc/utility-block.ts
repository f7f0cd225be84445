/**
 * A GNC Utility Block: the agreed data set, direction and message exchange pattern of one kind
 * of exchange between administrations (WCO Globally Networked Customs). One module per block in
 * this folder, registered in adapters/gnc/index.ts; the agreement names which blocks a partner
 * may send or receive, and on what legal basis.
 */

/** Which body of gnc.v1.Envelope the block carries. */
export type EnvelopeBodyKind = 'declaration' | 'inspection' | 'sealEvent' | 'aeoCertificate' | 'batchAnchor';

export interface UtilityBlock {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly bodyKind: EnvelopeBodyKind;
  readonly pattern: 'push' | 'request-response';
  /**
   * The data set: the canonical fields (proto JSON names, dotted, arrays transparent) the block
   * may carry. An entry allows the field and everything under it. Anything else is stripped
   * before sending and makes an inbound message be refused (data minimisation).
   */
  readonly dataSet: readonly string[];
}

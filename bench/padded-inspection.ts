import type { MessageFormat } from '../adapters/format';
import { gnc } from '../node/src/gen/gnc';

/**
 * The message the exchange benches send: an inspection result (Utility Block
 * inspection-result-sharing, within its data set), its remarks padded so that the envelope, with
 * the header ExchangeNode.submit fills in, encodes to `size` bytes in `format`. One definition, so
 * bench exchange (two nodes) and bench message-path (each step on one core) measure the same bytes.
 */
export function paddedInspectionBody(format: MessageFormat, size: number): Omit<gnc.v1.IEnvelope, 'header'> {
  const make = (remarks: string): Omit<gnc.v1.IEnvelope, 'header'> => ({
    inspection: {
      inspectionId: 'INSP-2026-000001',
      declarationMrn: '26NL000000000000A1',
      method: gnc.v1.InspectionMethod.INSPECTION_METHOD_XRAY_CONTAINER_SCAN,
      officeId: 'NL000396',
      startedAtMs: Date.now(),
      completedAtMs: Date.now(),
      containerId: 'MSCU1234565',
      administrationId: 'CustomsA',
      verdict: {
        officerId: 'officer-17',
        verdict: gnc.v1.InspectionVerdict.INSPECTION_VERDICT_CONSISTENT,
        remarks,
        decidedAtMs: Date.now(),
      },
    },
  });
  const header = benchHeader();
  const length = (remarks: string) => format.encode(gnc.v1.Envelope.create({ ...make(remarks), header })).length;
  let remarks = 'x'.repeat(Math.max(0, size - length('')));
  // Protobuf length prefixes grow with the text: trim until it fits.
  while (remarks.length > 0 && length(remarks) > size) remarks = remarks.slice(1);
  return make(remarks);
}

/** The header fields ExchangeNode.submit sets, with the values of administration A sending to B. */
export function benchHeader(): gnc.v1.IMessageHeader {
  return {
    messageId: '00000000-0000-4000-8000-000000000000',
    correlationId: '',
    senderId: 'CustomsA',
    receiverId: 'CustomsB',
    utilityBlockId: 'inspection-result-sharing',
    utilityBlockVersion: '1',
    createdAtMs: Date.now(),
  };
}

import { lastBytesField } from '../fabric/wire';

/** The last length-delimited value of field `number` (empty when absent). @throws Error if `bytes` does not parse. */
export function wireBytes(bytes: Uint8Array, number: number): Uint8Array {
  const value = lastBytesField(bytes, number);
  if (value === undefined) throw new Error(`bytes do not parse as a protobuf message (looking for field ${number})`);
  return value;
}

/**
 * JSON text of a decoded object with the keys of every plain object sorted: two decoders may set
 * an object's fields in another order and still give the same object. Byte arrays are left as
 * they are (JSON.stringify writes their indices in order).
 */
export function keySortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

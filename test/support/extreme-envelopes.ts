/** JSON objects of a gnc.v1 message with every field at the edge of what its type allows. */
import type { MessageRule } from '../../adapters/format/json/json-schema';

type FieldRule = MessageRule['fields'] extends ReadonlyMap<string, infer F> ? F : never;

/**
 * The JSON object of `rule` with every field set to an extreme value its kind allows (the last
 * enum name, the largest and smallest integers, NaN, base64 bytes), or to its smallest one when
 * `low`; of each oneof only the member at position `pick` (modulo) is set; messages down to `depth`.
 */
export function extremeObject(rule: MessageRule, low: boolean, pick: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = [...new Set(rule.fields.values())];
  const oneofMembers = new Map<string, FieldRule[]>();
  for (const f of fields) if (f.oneof) oneofMembers.set(f.oneof, [...(oneofMembers.get(f.oneof) ?? []), f]);
  for (const f of fields) {
    if (f.oneof) {
      const members = oneofMembers.get(f.oneof)!;
      if (members[pick % members.length] !== f) continue;
    }
    let value: unknown;
    switch (f.kind) {
      case 'string':
        value = low ? '' : 'x\u00e9\u{1f600}';
        break;
      case 'bool':
        value = !low;
        break;
      case 'int32':
        value = low ? -(2 ** 31) : 2 ** 31 - 1;
        break;
      case 'uint32':
        value = low ? 0 : 2 ** 32 - 1;
        break;
      case 'int64':
        value = low ? '-9223372036854775808' : '9223372036854775807';
        break;
      case 'uint64':
        value = low ? '0' : '18446744073709551615';
        break;
      case 'double':
      case 'float':
        value = low ? '-Infinity' : 'NaN';
        break;
      case 'bytes':
        value = low ? '' : 'AAEC/w==';
        break;
      case 'enum':
        value = [...f.enumValues!][low ? 0 : f.enumValues!.size - 1];
        break;
      case 'message':
        if (depth === 0) continue;
        value = extremeObject(f.message!, low, pick, depth - 1);
        break;
    }
    out[f.name] = f.repeated ? [value, value] : value;
  }
  return out;
}

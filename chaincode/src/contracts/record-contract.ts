import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorize, READ_ROLES } from '../access';
import { invalidArgument } from '../contract-error';
import { historyOf, parseRecordKey, printableKey, RECORD_KINDS, recordsOfKind, type RecordKind } from '../ledger-state';
import { canonicalJson } from '../serializer';
import { checkString } from '../validation';

/** Queries common to every record kind: history of a key, listing keys. */
@Info({ title: 'Record', description: 'History and key listing for every record kind' })
export class RecordContract extends Contract {
  constructor() {
    super('Record');
  }

  /**
   * Every version of a record, oldest first: [{ txId, timestamp, isDelete, value }]. The key is
   * '<kind>/<id>' (e.g. 'declaration/DEC-1') or the composite key itself.
   */
  @Transaction(false)
  @Returns('string')
  async History(ctx: Context, key: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'read history');
    checkString(key, 'key', { maxLength: 256 });
    return canonicalJson(await historyOf(ctx, parseRecordKey(ctx, key)));
  }

  /**
   * Printable keys ('<kind>/<id>') of one kind, optionally narrowed to ids starting with a
   * prefix: ListKeys('declaration') or ListKeys('declaration/DEC-2025').
   */
  @Transaction(false)
  @Returns('string')
  async ListKeys(ctx: Context, prefix: string): Promise<string> {
    authorize(ctx, READ_ROLES, 'list keys');
    checkString(prefix, 'prefix', { maxLength: 256 });
    const slash = prefix.indexOf('/');
    const kind = slash >= 0 ? prefix.slice(0, slash) : prefix;
    const idPrefix = slash >= 0 ? prefix.slice(slash + 1) : '';
    if (!(RECORD_KINDS as readonly string[]).includes(kind)) {
      throw invalidArgument(`prefix must start with one of ${RECORD_KINDS.join(', ')} (got '${prefix}')`);
    }
    const records = await recordsOfKind(ctx, kind as RecordKind);
    const keys = records.map((r) => printableKey(ctx, r.key)).filter((k) => k.startsWith(`${kind}/${idPrefix}`));
    return canonicalJson(keys);
  }
}

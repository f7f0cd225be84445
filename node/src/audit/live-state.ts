/**
 * The live world states an audit compares its replay with: the embedded ledger's LevelDB, or a
 * Fabric peer's state read through the client. A peer offers no raw key listing to clients, so
 * through the client only the records are compared (listed with Record:ListKeys, their current
 * value read as the last entry of Record:History); index keys are replayed but not compared.
 */
import { canonicalBytes } from '../../../chaincode/src/serializer';
import type { LedgerClient } from '../ledger/ledger-client';
import type { StateStore } from '../ledger/embedded/state-store';
import type { LiveState } from './verify-ledger';

const RECORD_KINDS = ['declaration', 'inspection', 'seal', 'aeo', 'anchor'] as const;
const RECORD_KEY = new RegExp(`^\\u0000(${RECORD_KINDS.join('|')})\\u0000[^\\u0000]+\\u0000$`);

/** The embedded ledger's state database, every key of the chaincode namespace. */
export function embeddedLiveState(state: StateStore, namespace: string, description: string): LiveState {
  return {
    description,
    namespaces: [namespace],
    entries: (ns) => state.entries(ns),
  };
}

/** A Fabric peer's records through the client of an identity allowed to read them (an auditor). */
export function clientLiveState(client: LedgerClient, namespace: string, description: string): LiveState {
  return {
    description,
    namespaces: [namespace],
    covers: (_ns, key) => RECORD_KEY.test(key),
    async *entries() {
      for (const kind of RECORD_KINDS) {
        const listed = await client.evaluate({ contract: 'Record', name: 'ListKeys', args: [kind] });
        const keys = JSON.parse(Buffer.from(listed).toString('utf8')) as string[];
        for (const printable of keys) {
          const history = JSON.parse(
            Buffer.from(await client.evaluate({ contract: 'Record', name: 'History', args: [printable] })).toString(
              'utf8',
            ),
          ) as Array<{ isDelete: boolean; value: unknown }>;
          const last = history[history.length - 1];
          if (!last || last.isDelete) continue;
          const slash = printable.indexOf('/');
          const key = `\u0000${printable.slice(0, slash)}\u0000${printable.slice(slash + 1)}\u0000`;
          yield { key, value: canonicalBytes(last.value) };
        }
      }
    },
  };
}

import type { OutboxEntry } from './message-store';

interface PartnerOutbox {
  /** Every outbox entry on disk with a sequence number above this one is in `entries`. */
  from: number;
  /** In sequence order. */
  entries: Map<number, OutboxEntry>;
  /** The highest sequence number added. */
  newest: number;
  bytes: number;
}

/**
 * The queued outbound messages this process wrote, per partner, so the sender takes its window
 * from memory instead of reading back (and decoding) what was just written. The outbox on disk
 * stays the authority: a partner's cache holds exactly the outbox entries on disk with a sequence
 * number above its `from`, each change applied once it is durable; a read of what lies at or below
 * `from` (entries of an earlier run, or a rewind to retry one) goes to disk. Past its bounds, the
 * oldest entries leave the cache and `from` moves past them, so a partner down for hours costs
 * disk reads, not memory.
 */
export class OutboxCache {
  private readonly partners = new Map<string, PartnerOutbox>();

  /** `from`: the store's sequence number when it opened (entries written before are read from disk). */
  constructor(
    private readonly from: number,
    private readonly bounds = { entries: 10_000, bytes: 16 * 1024 * 1024 },
  ) {}

  /** A new entry is durable: its sequence number was taken after those of the partner's other entries. */
  added(entry: OutboxEntry): void {
    const partner = this.partner(entry.partnerId);
    if (entry.seq <= partner.from) return;
    partner.entries.set(entry.seq, entry);
    partner.bytes += entry.bytes.length;
    // Writes become durable in the order their sequence numbers were taken; should one not, the order is restored.
    if (partner.newest > entry.seq) partner.entries = new Map([...partner.entries].sort(([a], [b]) => a - b));
    else partner.newest = entry.seq;
    while (partner.entries.size > this.bounds.entries || partner.bytes > this.bounds.bytes) {
      const oldest = partner.entries.entries().next().value;
      if (!oldest) break;
      partner.entries.delete(oldest[0]);
      partner.bytes -= oldest[1].bytes.length;
      partner.from = oldest[0];
    }
  }

  /** An entry was rewritten durably (a failed attempt: its attempts and next attempt time). */
  updated(entry: OutboxEntry): void {
    const partner = this.partners.get(entry.partnerId);
    const old = partner?.entries.get(entry.seq);
    if (!partner || !old) return;
    partner.entries.set(entry.seq, entry);
    partner.bytes += entry.bytes.length - old.bytes.length;
  }

  /** An entry left the outbox durably (receipted, or a dead letter). */
  removed(partnerId: string, seq: number): void {
    const partner = this.partners.get(partnerId);
    const old = partner?.entries.get(seq);
    if (!partner || !old) return;
    partner.entries.delete(seq);
    partner.bytes -= old.bytes.length;
  }

  /**
   * The partner's entries after sequence number `after`, oldest first, up to `limit`; undefined
   * when they are not all here (the disk must be read).
   */
  read(partnerId: string, limit: number, after: number): OutboxEntry[] | undefined {
    const partner = this.partner(partnerId);
    if (after < partner.from) return undefined;
    const out: OutboxEntry[] = [];
    if (limit <= 0) return out;
    // Keys, then a lookup for the few taken: no [seq, entry] pair for every entry passed over.
    for (const seq of partner.entries.keys()) {
      if (seq <= after) continue;
      out.push(partner.entries.get(seq)!);
      if (out.length >= limit) break;
    }
    return out;
  }

  private partner(partnerId: string): PartnerOutbox {
    let partner = this.partners.get(partnerId);
    if (!partner) {
      partner = { from: this.from, entries: new Map(), newest: this.from, bytes: 0 };
      this.partners.set(partnerId, partner);
    }
    return partner;
  }
}

/**
 * Exchange metrics in Prometheus' text format: messages and bytes per partner and direction,
 * failures and rejections by reason, latency histograms, and queue depths read at scrape time.
 */

const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  count = 0;
  observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += ms;
    this.count += 1;
  }
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Counted for every message: a label without anything to escape (nearly all) is returned as it is. */
function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ExchangeMetrics {
  private readonly counters = new Map<string, number>();
  private readonly latencies = new Map<string, Histogram>();

  /**
   * The series key of a counter per name and label values, made once: counters move for every
   * message, with the few label sets of a node's partners and reasons.
   */
  private readonly keys = new Map<string, Map<string, string>>();

  private add(name: string, labels: Record<string, string>, value = 1): void {
    let byLabels = this.keys.get(name);
    if (!byLabels) this.keys.set(name, (byLabels = new Map<string, string>()));
    // Label values joined by a character no label holds unescaped (the key is only for lookup).
    const values = Object.values(labels).join('\u0000');
    let key = byLabels.get(values);
    if (key === undefined) {
      key = `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',')}}`;
      byLabels.set(values, key);
    }
    this.counters.set(key, (this.counters.get(key) ?? 0) + value);
  }

  private latency(direction: string, partner: string, ms: number): void {
    const key = `direction="${direction}",partner="${escapeLabel(partner)}"`;
    let histogram = this.latencies.get(key);
    if (!histogram) {
      histogram = new Histogram();
      this.latencies.set(key, histogram);
    }
    histogram.observe(ms);
  }

  queued(partner: string): void {
    this.add('gnc_messages_queued_total', { partner });
  }
  sent(partner: string, bytes: number, ms: number): void {
    this.add('gnc_messages_total', { partner, direction: 'out' });
    this.add('gnc_message_bytes_total', { partner, direction: 'out' }, bytes);
    this.latency('out', partner, ms);
  }
  received(partner: string, bytes: number, ms: number): void {
    this.add('gnc_messages_total', { partner, direction: 'in' });
    this.add('gnc_message_bytes_total', { partner, direction: 'in' }, bytes);
    this.latency('in', partner, ms);
  }
  duplicate(partner: string): void {
    this.add('gnc_messages_duplicate_total', { partner });
  }
  failed(partner: string, reason: string): void {
    this.add('gnc_send_failures_total', { partner, reason });
  }
  rejected(partner: string, reason: string): void {
    this.add('gnc_messages_rejected_total', { partner, reason });
  }

  /** The exposition text, with queue depths supplied by the caller. */
  render(depths: { outbox: Record<string, number>; inbox: number; deadLetters: number }): string {
    const lines: string[] = [];
    const help = (name: string, type: string, text: string) =>
      lines.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);
    const byName = new Map<string, string[]>();
    for (const [key, value] of this.counters) {
      const name = key.slice(0, key.indexOf('{'));
      byName.set(name, [...(byName.get(name) ?? []), `${key} ${value}`]);
    }
    const descriptions: Record<string, string> = {
      gnc_messages_queued_total: 'Messages queued for a partner',
      gnc_messages_total: 'Messages exchanged, by partner and direction',
      gnc_message_bytes_total: 'Bytes exchanged, by partner and direction',
      gnc_messages_duplicate_total: 'Inbound duplicates answered with the first receipt',
      gnc_send_failures_total: 'Failed send attempts, by reason',
      gnc_messages_rejected_total: 'Inbound messages rejected, by reason',
    };
    for (const [name, samples] of byName) {
      help(name, 'counter', descriptions[name] ?? name);
      lines.push(...samples);
    }
    help('gnc_outbox_depth', 'gauge', 'Messages waiting in the outbox, by partner');
    for (const [partner, depth] of Object.entries(depths.outbox))
      lines.push(`gnc_outbox_depth{partner="${escapeLabel(partner)}"} ${depth}`);
    help('gnc_inbox_depth', 'gauge', 'Messages received and not yet acknowledged by the domestic side');
    lines.push(`gnc_inbox_depth ${depths.inbox}`);
    help('gnc_dead_letters', 'gauge', 'Messages given up on, waiting for an operator');
    lines.push(`gnc_dead_letters ${depths.deadLetters}`);
    help('gnc_message_latency_ms', 'histogram', 'Time to receipt (out) or to durable acceptance (in)');
    for (const [labels, histogram] of this.latencies) {
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((bound, i) => {
        cumulative += histogram.counts[i] ?? 0;
        lines.push(`gnc_message_latency_ms_bucket{${labels},le="${bound}"} ${cumulative}`);
      });
      lines.push(`gnc_message_latency_ms_bucket{${labels},le="+Inf"} ${histogram.count}`);
      lines.push(`gnc_message_latency_ms_sum{${labels}} ${histogram.sum}`);
      lines.push(`gnc_message_latency_ms_count{${labels}} ${histogram.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

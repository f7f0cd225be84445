/**
 * Offers `rate` operations a second for `seconds`, whatever the system under test answers (an
 * open loop: a slow answer does not slow the offer), and returns each operation's latency in ms
 * measured from when it was due, so queueing delay counts.
 */
export async function openLoop(operation: () => Promise<unknown>, rate: number, seconds: number): Promise<number[]> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent / rate) * 1000;
      inFlight.push(operation().then(() => void latencies.push(performance.now() - dueAt)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  return latencies;
}

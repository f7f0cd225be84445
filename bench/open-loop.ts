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
  // The first failed operation stops the offer and is thrown once those in flight settle (a
  // rejection left unhandled until the end would kill the process before the caller cleans up).
  let failure: { error: unknown } | undefined;
  while (sent < total && !failure) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent / rate) * 1000;
      inFlight.push(
        operation().then(
          () => void latencies.push(performance.now() - dueAt),
          (error: unknown) => void (failure ??= { error }),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return latencies;
}

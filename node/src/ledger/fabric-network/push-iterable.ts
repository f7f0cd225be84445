import type { CloseableAsyncIterable } from '../ledger-client';

/**
 * Turns a listener API (fabric-network's addBlockListener / addContractListener) into a
 * CloseableAsyncIterable. `subscribe` starts listening at once and resolves with the function that
 * stops it; items arriving before they are read wait in a queue.
 */
export function pushIterable<T>(
  subscribe: (push: (item: T) => void) => Promise<() => void>,
  signal?: AbortSignal,
): CloseableAsyncIterable<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    notify();
  };
  signal?.addEventListener('abort', close, { once: true });
  const subscribed = subscribe((item) => {
    if (closed) return;
    queue.push(item);
    notify();
  }).then(
    (stop) => {
      unsubscribe = stop;
      if (closed) stop();
    },
    (error: unknown) => {
      failure = error instanceof Error ? error : new Error(String(error));
      notify();
    },
  );
  return {
    close,
    async *[Symbol.asyncIterator]() {
      await subscribed;
      try {
        for (;;) {
          if (failure !== undefined) throw failure;
          const item = queue.shift();
          if (item !== undefined) {
            yield item;
            continue;
          }
          if (closed) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        signal?.removeEventListener('abort', close);
      }
    },
  };
}

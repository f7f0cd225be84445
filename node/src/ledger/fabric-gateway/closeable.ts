import type { CloseableAsyncIterable } from '../ledger-client';

/**
 * Adapts a source of items (opened lazily, possibly asynchronously) into the LedgerClient's
 * CloseableAsyncIterable: maps each item, and close() (or an aborted signal) ends the iteration
 * and releases the source.
 */
export function closeableMap<S, T>(
  open: () => Promise<AsyncIterable<S> & { close(): void }>,
  map: (item: S) => T | undefined,
  signal?: AbortSignal,
): CloseableAsyncIterable<T> {
  let source: (AsyncIterable<S> & { close(): void }) | undefined;
  let opening: Promise<AsyncIterable<S> & { close(): void }> | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    source?.close();
  };
  signal?.addEventListener('abort', close, { once: true });
  const ensureOpen = async () => {
    opening ??= open().then((opened) => {
      source = opened;
      if (closed) opened.close();
      return opened;
    });
    return opening;
  };
  // Open at once, so events committed after this call (and before the first next()) are seen.
  void ensureOpen().catch(() => undefined);
  return {
    close,
    async *[Symbol.asyncIterator]() {
      if (closed) return;
      const opened = await ensureOpen();
      try {
        for await (const item of opened) {
          if (closed) return;
          const mapped = map(item);
          if (mapped !== undefined) yield mapped;
        }
      } catch (error) {
        if (!closed) throw error;
      } finally {
        signal?.removeEventListener('abort', close);
      }
    },
  };
}

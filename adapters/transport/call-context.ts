import { asError } from '../../node/src/errors';
import { TransportError, TransportErrorCode } from './transport-errors';

/** One send's combined cancellation: the caller's signal, its deadline and the transport's stop(). */
export interface CallContext {
  /** Aborts when any of the three fires; its `reason` is the TransportError to reject with. */
  readonly signal: AbortSignal;
  /** The TransportError for whatever aborted the call, or undefined while it runs. */
  failure(): TransportError | undefined;
  /** Clears the timer and the listeners; call in `finally`. */
  dispose(): void;
}

/**
 * Merges the caller's AbortSignal, the deadline and the transport's lifetime into one signal
 * whose reason already says which of them fired, so every await in a send can race against one
 * thing and the error the caller sees names the real cause (ABORTED, TIMEOUT or STOPPED).
 */
export function openCall(options: {
  lifetime: AbortSignal;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  partnerId: string;
}): CallContext {
  const controller = new AbortController();
  const { partnerId } = options;
  const cleanups: Array<() => void> = [];
  const fail = (error: TransportError) => {
    if (!controller.signal.aborted) controller.abort(error);
  };
  const follow = (source: AbortSignal, toError: () => TransportError) => {
    if (source.aborted) return fail(toError());
    const listener = () => fail(toError());
    source.addEventListener('abort', listener, { once: true });
    cleanups.push(() => source.removeEventListener('abort', listener));
  };
  follow(
    options.lifetime,
    () =>
      new TransportError(TransportErrorCode.STOPPED, 'the transport is stopped', {
        transient: true,
        partnerId,
      }),
  );
  if (options.signal) {
    const caller = options.signal;
    follow(
      caller,
      () =>
        new TransportError(TransportErrorCode.ABORTED, `send to ${partnerId} was aborted`, {
          transient: true,
          partnerId,
          cause: caller.reason,
        }),
    );
  }
  if (!controller.signal.aborted) {
    const timer = setTimeout(
      () =>
        fail(
          new TransportError(TransportErrorCode.TIMEOUT, `no answer from ${partnerId} within ${options.timeoutMs} ms`, {
            transient: true,
            partnerId,
          }),
        ),
      options.timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
  }
  return {
    signal: controller.signal,
    failure: () => (controller.signal.aborted ? (controller.signal.reason as TransportError) : undefined),
    dispose: () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}

/** Resolves or rejects with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(asError(error));
      },
    );
  });
}

/** Counts free slots; `acquire` waits (abortably) when none is free. Bounds streams per connection. */
export class Slots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const granted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        // Not granted yet (release() removes a waiter before calling it), so no slot to give back.
        const index = this.waiters.indexOf(granted);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal.reason as Error);
      };
      this.waiters.push(granted);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * The frame every transport's send() shares: one CallContext for the caller's signal, the
 * deadline and stop(); an early failure and an oversize message refused before any I/O; any
 * error turned into the call's own failure (ABORTED, TIMEOUT, STOPPED) or the transport's
 * classification; `onFailure` for clean-up before the error is thrown; the context disposed.
 */
export async function runSend<T>(
  options: {
    lifetime: AbortSignal;
    signal?: AbortSignal | undefined;
    timeoutMs: number;
    partnerId: string;
    bytes: Uint8Array;
    maxMessageBytes: number;
  },
  classify: (error: unknown) => TransportError,
  body: (call: CallContext) => Promise<T>,
  onFailure?: (failure: TransportError) => Promise<void>,
): Promise<T> {
  const { partnerId, bytes, maxMessageBytes } = options;
  const call = openCall(options);
  try {
    const early = call.failure();
    if (early) throw early;
    if (bytes.byteLength > maxMessageBytes) {
      throw new TransportError(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `message of ${bytes.byteLength} bytes exceeds the maximum of ${maxMessageBytes}`,
        { transient: false, partnerId },
      );
    }
    return await body(call);
  } catch (error) {
    const failure = call.failure() ?? classify(error);
    await onFailure?.(failure);
    throw failure;
  } finally {
    call.dispose();
  }
}

/**
 * The error of send({ batch: true }) on a transport whose partners do not speak the batch frame
 * (carriesBatches false): a mistake of the caller, never retried.
 */
export function batchNotCarried(transportName: string, partnerId: string): TransportError {
  return new TransportError(
    TransportErrorCode.BAD_CONFIGURATION,
    `the ${transportName} transport does not carry batch frames: send ${partnerId} one message per call`,
    { transient: false, partnerId },
  );
}

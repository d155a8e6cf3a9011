import { Cancellation, type CancelSignal } from '../engine/cancel';
import { GuardError } from './types';

/** Thrown when the request itself was cancelled (the client left) during a guard call: never a fail-open. */
export class GuardCancelledError extends Error {
  constructor(public readonly reason: unknown) {
    super('the request was cancelled during its guard check');
    this.name = 'GuardCancelledError';
  }
}

/**
 * Runs one guard call with its own cancel signal, aborted after `timeoutMs` or when `parent`
 * aborts. The wait ends at that moment even if the adapter ignores its signal, so a guard that
 * never answers costs the request `timeoutMs` and no more.
 */
export function guardCall<T>(call: (signal: CancelSignal) => Promise<T>, timeoutMs: number, parent?: CancelSignal): Promise<T> {
  if (parent?.aborted) return Promise.reject(new GuardCancelledError(parent.reason));
  const cancel = new Cancellation();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
      fn();
    };
    const timer = setTimeout(() => {
      const error = new GuardError('timeout', `no guard verdict within ${timeoutMs} ms`);
      finish(() => reject(error));
      abortQuietly(cancel, error);
    }, timeoutMs);
    const onParent = () => {
      finish(() => reject(new GuardCancelledError(parent?.reason)));
      abortQuietly(cancel, parent?.reason);
    };
    parent?.addEventListener('abort', onParent, { once: true });
    let pending: Promise<T>;
    try {
      pending = call(cancel.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => finish(() => resolve(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

/** A listener that throws while the call is cancelled must not escape a timer callback. */
function abortQuietly(cancel: Cancellation, reason: unknown): void {
  try {
    cancel.abort(reason);
  } catch {
    // the call's own failure, if any, is already ignored: the wait is over
  }
}

import { FleetError, MAX_MESSAGE_CHARS } from './errors';
import type { FleetRef } from './types';

export interface RetryOptions {
  /**
   * Attempts per call, the first included. A stop must not hang on a throttled API, and must not give
   * up on the first 429 either: a handful of attempts spans a few seconds of backoff.
   * @default 5
   */
  readonly attempts?: number;
  /** First backoff; each retry doubles it, with full jitter. @default 250 */
  readonly baseDelayMs?: number;
  /** Longest wait between attempts, a cloud's Retry-After included. @default 10_000 */
  readonly maxDelayMs?: number;
  /** Waits `ms` or rejects when `signal` aborts (tests pass one that records and returns at once). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1); @default Math.random */
  readonly random?: () => number;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The FleetError a caller's abort becomes, wherever it interrupted the adapter. */
export function abortedError(cloud: FleetRef['cloud'], what: string, signal: AbortSignal): FleetError {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  const why = reason?.name === 'TimeoutError' ? 'the caller\'s deadline passed' : 'the caller aborted';
  return new FleetError(cloud, 'aborted', 'Aborted', `${cloud}: ${what}: ${why}`);
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable error, or `attempts` run out. Only
 * throttling and transient failures are retried: every call the adapters make is safe to repeat
 * (reads, absolute sizes, and Compute requests carrying a requestId).
 */
export async function withRetry<T>(
  cloud: FleetRef['cloud'],
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortedError(cloud, what, signal);
    try {
      return await call();
    } catch (error) {
      if (signal?.aborted) throw abortedError(cloud, what, signal);
      if (!(error instanceof FleetError) || !error.retryable) throw error;
      if (attempt >= attempts) throw gaveUp(error, attempts);
      const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * random();
      const delay = Math.min(cap, Math.max(backoff, error.retryAfterMs ?? 0));
      try {
        await sleep(delay, signal);
      } catch {
        throw signal?.aborted ? abortedError(cloud, what, signal) : error;
      }
    }
  }
}

/** The last retryable error, saying it was not the first: the suffix survives the message cut. */
function gaveUp(error: FleetError, attempts: number): FleetError {
  const suffix = ` (gave up after ${attempts} attempts)`;
  const head = error.message.length + suffix.length > MAX_MESSAGE_CHARS ? error.message.slice(0, MAX_MESSAGE_CHARS - suffix.length - 1) + '…' : error.message;
  return new FleetError(error.cloud, error.kind, error.code, head + suffix, error.status, error.retryAfterMs);
}

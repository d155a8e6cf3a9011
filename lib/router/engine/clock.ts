import { performance } from 'node:perf_hooks';
import type { CancelSignal } from './cancel';

/**
 * Time and randomness the engine depends on, injectable so unit tests run backoffs, timeouts,
 * breaker cooldowns and A/B splits deterministically and without real sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock (sub-millisecond resolution); used for durations. */
  now(): number;
  /** Wall-clock epoch milliseconds; used for the budget month and rate-limit windows. */
  epochMs(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when `signal` aborts first. */
  sleep(ms: number, signal?: CancelSignal): Promise<void>;
  /**
   * Arms `onTimeout` to run after `ms`; returns the function that disarms it. Attempt timeouts use
   * this so a fake clock can fire them.
   */
  setTimer(ms: number, onTimeout: () => void): () => void;
}

/** A uniform random number in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer(ms, onTimeout) {
    const timer = setTimeout(onTimeout, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * Mulberry32: a tiny seeded PRNG, so tests (and anyone wanting reproducible A/B assignment) get the
 * same sequence for the same seed.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `YYYY-MM` (UTC) of an epoch time: the budget period a request is charged to. */
export function budgetMonth(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

import type { Random } from './clock';

/** First retry waits up to this long; each further retry doubles it. */
export const BACKOFF_BASE_MS = 100;
/** No computed backoff exceeds this (a provider's Retry-After may ask for more). */
export const BACKOFF_CAP_MS = 5000;

/**
 * Delay before retry number `retry` (0 for the first retry): "equal jitter" exponential backoff, i.e.
 * half the exponential step plus a random half, so concurrent retries spread out but never retry
 * immediately. A provider's Retry-After is a floor: we never call back sooner than it asked.
 */
export function backoffMs(retry: number, random: Random, retryAfterMs?: number): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  const jittered = step / 2 + random() * (step / 2);
  return Math.ceil(Math.max(jittered, retryAfterMs ?? 0));
}

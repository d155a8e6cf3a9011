import { WINDOW_MS, type AdmitResult } from '../rate-limiter';

/**
 * The shared rate-limit window: a ring of SLOTS buckets of BUCKET_MS each, stored in one record per
 * tenant. At time t in bucket j the window is buckets j-6 … j, i.e. between 60 and 70 s long, so a
 * request counts for at least a full minute: no 60 s interval ever admits more than the limit (the
 * exact guarantee of the in-memory sliding window), and a request may be refused up to one bucket
 * (10 s) earlier than an exact sliding window would allow (the bounded error, on the safe side).
 *
 * A bucket number instead of a timestamp per request keeps the record a fixed ~250 bytes (one
 * DynamoDB write unit) whatever the traffic.
 */
export const BUCKET_MS = 10_000;
export const SLOTS = WINDOW_MS / BUCKET_MS + 1;

export interface Slot {
  /** Bucket number: floor(epoch ms / BUCKET_MS). */
  b: number;
  /** Requests admitted in the bucket. */
  n: number;
  /** Tokens admitted in the bucket. */
  t: number;
}

/** `n` and `t` are the sums over the slots: what the admission check compares with the limits. */
export interface Ring {
  readonly slots: Slot[];
  n: number;
  t: number;
}

export function bucketOf(epochMs: number): number {
  return Math.floor(epochMs / BUCKET_MS);
}

/** The bucket slot `i` holds while the current bucket is `j`: the one of j-6 … j congruent to i. */
export function expectedBucket(i: number, j: number): number {
  return j - ((((j - i) % SLOTS) + SLOTS) % SLOTS);
}

export function slotOf(j: number): number {
  return ((j % SLOTS) + SLOTS) % SLOTS;
}

export function emptyRing(j: number): Ring {
  return { slots: Array.from({ length: SLOTS }, (_, i) => ({ b: expectedBucket(i, j), n: 0, t: 0 })), n: 0, t: 0 };
}

/** The newest bucket in the ring: an instance whose clock lags never moves the window backwards. */
export function latestBucket(r: Ring): number {
  return Math.max(...r.slots.map((s) => s.b));
}

/** True when every slot already holds its bucket of the window ending at `j`. */
export function isCurrent(r: Ring, j: number): boolean {
  return r.slots.every((s, i) => s.b === expectedBucket(i, j));
}

/** A copy of `r` with the buckets that left the window emptied and reassigned. */
export function rolled(r: Ring, j: number): Ring {
  const out: Ring = { slots: r.slots.map((s) => ({ ...s })), n: r.n, t: r.t };
  out.slots.forEach((s, i) => {
    const b = expectedBucket(i, j);
    if (s.b === b) return;
    out.n -= s.n;
    out.t -= s.t;
    s.b = b;
    s.n = 0;
    s.t = 0;
  });
  return out;
}

export interface AdmitCheck {
  readonly tokens: number;
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
  readonly nowMs: number;
}

/** The decision for a ring that is current at `j`; refusals carry when enough will have left. */
export function decide(r: Ring, j: number, c: AdmitCheck): AdmitResult {
  if (r.n + 1 > c.requestsPerMinute) {
    return { ok: false, limit: 'requests', limitValue: c.requestsPerMinute, used: r.n, retryAfterMs: retryAfter(r, j, c.nowMs, 'n', r.n + 1 - c.requestsPerMinute) };
  }
  if (r.t + c.tokens > c.tokensPerMinute) {
    const retryAfterMs = c.tokens > c.tokensPerMinute ? WINDOW_MS : retryAfter(r, j, c.nowMs, 't', r.t + c.tokens - c.tokensPerMinute);
    return { ok: false, limit: 'tokens', limitValue: c.tokensPerMinute, used: r.t, retryAfterMs };
  }
  return { ok: true };
}

export function admitInto(r: Ring, j: number, tokens: number): void {
  const s = r.slots[slotOf(j)];
  s.n += 1;
  s.t += tokens;
  r.n += 1;
  r.t += tokens;
}

/** Bucket k leaves the window when bucket k + SLOTS begins. */
function retryAfter(r: Ring, j: number, nowMs: number, of: 'n' | 't', amount: number): number {
  let freed = 0;
  for (let k = j - SLOTS + 1; k <= j; k++) {
    freed += r.slots[slotOf(k)][of];
    if (freed >= amount) return Math.max(1, (k + SLOTS) * BUCKET_MS - nowMs);
  }
  return WINDOW_MS + BUCKET_MS;
}

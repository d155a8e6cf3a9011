import { WINDOW_MS, type AdmitRequest, type AdmitResult, type RateLimiter } from './rate-limiter';

const INITIAL_CAPACITY = 64;

/**
 * Requests of one tenant in the last minute, oldest first, with their token sum: a ring buffer over
 * two typed arrays. Each admitted request stays counted for a full minute, so an object per request
 * would outlive every young-generation collection, be copied twice and promoted; at a few thousand
 * requests a second that made the router's scavenges take 2-3 ms and filled old space until a
 * mark-compact every few seconds (bench/router.js p99). Numbers in typed arrays cost the collector
 * nothing.
 */
class Window {
  private at = new Float64Array(INITIAL_CAPACITY);
  private cost = new Float64Array(INITIAL_CAPACITY);
  /** Index of the oldest entry. */
  private head = 0;
  count = 0;
  tokens = 0;

  /** Drops the entries that are a minute old or more at `now`. */
  evict(now: number): void {
    const since = now - WINDOW_MS;
    const mask = this.at.length - 1;
    while (this.count > 0 && this.at[this.head] <= since) {
      this.tokens -= this.cost[this.head];
      this.head = (this.head + 1) & mask;
      this.count--;
    }
  }

  push(at: number, tokens: number): void {
    if (this.count === this.at.length) this.grow();
    const i = (this.head + this.count) & (this.at.length - 1);
    this.at[i] = at;
    this.cost[i] = tokens;
    this.count++;
    this.tokens += tokens;
  }

  /** Milliseconds until enough of the oldest entries leave the window to free `amount` requests or tokens. */
  waitFor(now: number, of: 'requests' | 'tokens', amount: number): number {
    const mask = this.at.length - 1;
    let freed = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & mask;
      freed += of === 'requests' ? 1 : this.cost[i];
      if (freed >= amount) return Math.max(1, this.at[i] + WINDOW_MS - now);
    }
    return WINDOW_MS;
  }

  /** Doubles the capacity (a power of two, so indices wrap with a mask), oldest entry first. */
  private grow(): void {
    const at = new Float64Array(this.at.length * 2);
    const cost = new Float64Array(this.at.length * 2);
    const tail = this.at.length - this.head;
    at.set(this.at.subarray(this.head));
    at.set(this.at.subarray(0, this.head), tail);
    cost.set(this.cost.subarray(this.head));
    cost.set(this.cost.subarray(0, this.head), tail);
    this.at = at;
    this.cost = cost;
    this.head = 0;
  }
}

/**
 * Sliding one-minute window per tenant in process memory: exact (a request counts for exactly 60 s),
 * 16 bytes per admitted request of the last minute, outside the JavaScript heap.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();

  async admit(r: AdmitRequest): Promise<AdmitResult> {
    let w = this.windows.get(r.tenant);
    if (!w) {
      w = new Window();
      this.windows.set(r.tenant, w);
    }
    w.evict(r.nowMs);
    if (w.count + 1 > r.requestsPerMinute) {
      return { ok: false, limit: 'requests', limitValue: r.requestsPerMinute, used: w.count, retryAfterMs: w.waitFor(r.nowMs, 'requests', w.count + 1 - r.requestsPerMinute) };
    }
    if (w.tokens + r.tokens > r.tokensPerMinute) {
      const retryAfterMs = r.tokens > r.tokensPerMinute ? WINDOW_MS : w.waitFor(r.nowMs, 'tokens', w.tokens + r.tokens - r.tokensPerMinute);
      return { ok: false, limit: 'tokens', limitValue: r.tokensPerMinute, used: w.tokens, retryAfterMs };
    }
    w.push(r.nowMs, r.tokens);
    return { ok: true };
  }
}

import { WINDOW_MS, type AdmitRequest, type AdmitResult, type RateLimiter } from './rate-limiter';

interface Entry {
  readonly at: number;
  readonly tokens: number;
}

/** Requests of one tenant in the last minute, oldest first, with their token sum. */
class Window {
  entries: Entry[] = [];
  head = 0;
  tokens = 0;

  evict(now: number): void {
    const since = now - WINDOW_MS;
    while (this.head < this.entries.length && this.entries[this.head].at <= since) {
      this.tokens -= this.entries[this.head].tokens;
      this.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  get count(): number {
    return this.entries.length - this.head;
  }

  /** Milliseconds until enough of the oldest entries leave the window to free `need` of a quantity. */
  waitFor(now: number, need: (e: Entry) => number, amount: number): number {
    let freed = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      freed += need(this.entries[i]);
      if (freed >= amount) return Math.max(1, this.entries[i].at + WINDOW_MS - now);
    }
    return WINDOW_MS;
  }
}

/**
 * Sliding one-minute window per tenant in process memory: exact (a request counts for exactly 60 s),
 * one entry per admitted request.
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
      return { ok: false, limit: 'requests', limitValue: r.requestsPerMinute, used: w.count, retryAfterMs: w.waitFor(r.nowMs, () => 1, w.count + 1 - r.requestsPerMinute) };
    }
    if (w.tokens + r.tokens > r.tokensPerMinute) {
      const retryAfterMs = r.tokens > r.tokensPerMinute ? WINDOW_MS : w.waitFor(r.nowMs, (e) => e.tokens, w.tokens + r.tokens - r.tokensPerMinute);
      return { ok: false, limit: 'tokens', limitValue: r.tokensPerMinute, used: w.tokens, retryAfterMs };
    }
    w.entries.push({ at: r.nowMs, tokens: r.tokens });
    w.tokens += r.tokens;
    return { ok: true };
  }
}

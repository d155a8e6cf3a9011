import { sleep } from './retry';

/**
 * Spaces requests evenly so a run stays under the project's requests-per-minute quota instead of
 * living on 429s. Sequential callers only (the run embeds one batch at a time).
 */
export class RateLimiter {
  private next = 0;
  private readonly intervalMs: number;

  constructor(
    requestsPerMinute: number,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<void> = sleep,
  ) {
    if (!(requestsPerMinute > 0)) throw new Error(`requestsPerMinute must be > 0 (got ${requestsPerMinute})`);
    this.intervalMs = 60_000 / requestsPerMinute;
  }

  async take(): Promise<void> {
    const t = this.now();
    if (t < this.next) await this.wait(this.next - t);
    this.next = Math.max(t, this.next) + this.intervalMs;
  }
}

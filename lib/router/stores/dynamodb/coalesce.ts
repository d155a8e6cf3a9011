/**
 * Per-key helpers that keep one process's burst on one tenant-month from becoming a burst of
 * requests on one DynamoDB item (a router on Cloud Run-style concurrency serves hundreds at once).
 */

/** At most `limit` holders per key at a time; the others wait in arrival order. */
export class KeyedGate {
  private readonly held = new Map<string, { count: number; waiting: (() => void)[] }>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let g = this.held.get(key);
    if (!g) {
      g = { count: 0, waiting: [] };
      this.held.set(key, g);
    }
    if (g.count >= this.limit) await new Promise<void>((resolve) => g!.waiting.push(resolve));
    else g.count++;
    try {
      return await fn();
    } finally {
      const next = g.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else if (--g.count === 0) this.held.delete(key);
    }
  }
}

/**
 * Strongly consistent reads shared by the callers that asked while the previous read of the key was
 * in flight: they all get the next read, which starts after each of them asked, so every caller
 * still sees a state no older than its own call (what an exact refusal needs).
 */
export class GroupRead<T> {
  private readonly pending = new Map<string, { next: { resolve: (v: T) => void; reject: (e: unknown) => void }[] }>();

  constructor(private readonly read: (key: string) => Promise<T>) {}

  get(key: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p = this.pending.get(key);
      if (p) {
        p.next.push({ resolve, reject });
        return;
      }
      const state = { next: [] as { resolve: (v: T) => void; reject: (e: unknown) => void }[] };
      this.pending.set(key, state);
      void this.loop(key, state, [{ resolve, reject }]);
    });
  }

  private async loop(key: string, state: { next: { resolve: (v: T) => void; reject: (e: unknown) => void }[] }, batch: { resolve: (v: T) => void; reject: (e: unknown) => void }[]): Promise<void> {
    while (batch.length > 0) {
      try {
        const v = await this.read(key);
        for (const b of batch) b.resolve(v);
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
      batch = state.next.splice(0);
    }
    this.pending.delete(key);
  }
}

import type { SpendStopState, SpendStopStore } from '../stores/spend-stop';
import type { Clock } from './clock';
import { RouterError } from './errors';

/** Default longest time an instance goes on serving after the stop was set: one read per this interval. */
export const DEFAULT_SPEND_STOP_REFRESH_MS = 10_000;
/** After a failed read, the next request tries again no sooner than this. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * The router's view of the stack's spend stop. The record is read at most once per `refreshMs` per
 * instance (one read serves every request waiting on it), so an instance refuses paid calls at most
 * `refreshMs` plus one read after the stop function set it. A failed read keeps the last state it
 * knew: the ledger lives in the same store, so a store outage refuses paid calls at the reservation
 * anyway.
 */
export class SpendStopGate {
  private state: SpendStopState | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly store: SpendStopStore,
    private readonly clock: Clock,
    private readonly refreshMs: number = DEFAULT_SPEND_STOP_REFRESH_MS,
  ) {
    if (!Number.isFinite(refreshMs) || refreshMs < 0) throw new Error(`spend stop: refreshMs must be a number of milliseconds >= 0 (got ${refreshMs})`);
  }

  /** Throws the 402 `budget_stop_active` while the stop is active. */
  async check(): Promise<void> {
    if (this.clock.now() - this.readAt >= this.refreshMs) await (this.pending ??= this.refresh());
    const s = this.state;
    if (s?.active) {
      throw new RouterError(
        402,
        'insufficient_quota',
        'budget_stop_active',
        `the stack's budget stop is active${s.since ? ` since ${s.since}` : ''}${s.reason ? ` (${s.reason})` : ''}: every paid call is refused until an operator resumes the stack`,
      );
    }
  }

  private async refresh(): Promise<void> {
    try {
      const read = await this.store.read();
      this.state = read?.state;
      this.readAt = this.clock.now();
    } catch {
      this.readAt = this.clock.now() - this.refreshMs + RETRY_AFTER_FAILURE_MS;
    } finally {
      this.pending = undefined;
    }
  }
}

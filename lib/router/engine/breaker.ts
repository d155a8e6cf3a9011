import type { BreakerConfig } from '../config';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Whether an attempt may go to a target now; `probe` marks the single half-open trial call. */
export type Admission = { readonly allowed: true; readonly probe: boolean } | { readonly allowed: false; readonly retryInMs: number };

/**
 * Circuit breaker of one target, per router instance:
 * - closed: calls flow; `failureThreshold` failures within `windowMs` open it;
 * - open: calls are refused for `cooldownMs`, then the breaker is half-open;
 * - half-open: exactly one probe call is let through; its success closes the breaker, its failure
 *   opens it for another cooldown. Other calls are refused while the probe is in flight.
 * Only failures that say something about the target count (throttled, server, timeout, auth), never
 * failures caused by the request (bad_request, context_length, content_filter).
 */
export class CircuitBreaker {
  private failures: number[] = [];
  private openedAt = 0;
  private isOpen = false;
  private probing = false;

  constructor(private readonly config: BreakerConfig) {}

  state(now: number): BreakerState {
    if (!this.isOpen) return 'closed';
    return now - this.openedAt >= this.config.cooldownMs ? 'half-open' : 'open';
  }

  admit(now: number): Admission {
    const state = this.state(now);
    if (state === 'closed') return { allowed: true, probe: false };
    if (state === 'open') return { allowed: false, retryInMs: this.openedAt + this.config.cooldownMs - now };
    if (this.probing) return { allowed: false, retryInMs: 0 };
    this.probing = true;
    return { allowed: true, probe: true };
  }

  success(): void {
    // Called on every served request: allocate nothing when there is nothing to forget.
    if (this.failures.length > 0) this.failures = [];
    this.isOpen = false;
    this.probing = false;
  }

  failure(now: number): void {
    if (this.isOpen) {
      // A failed probe (or a straggler from before the circuit opened) restarts the cooldown.
      this.openedAt = now;
      this.probing = false;
      return;
    }
    const since = now - this.config.windowMs;
    this.failures = this.failures.filter((t) => t > since);
    this.failures.push(now);
    if (this.failures.length >= this.config.failureThreshold) {
      this.isOpen = true;
      this.openedAt = now;
      this.failures = [];
    }
  }

  /** The probe ended without a verdict (the client went away): let the next call probe. */
  abandon(probe: boolean): void {
    if (probe) this.probing = false;
  }
}

/** One breaker per target id, created on first use. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly config: BreakerConfig) {}

  for(target: string): CircuitBreaker {
    let b = this.breakers.get(target);
    if (!b) {
      b = new CircuitBreaker(this.config);
      this.breakers.set(target, b);
    }
    return b;
  }
}

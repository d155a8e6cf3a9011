import type { BreakerConfig } from '../config';
import type { ProviderErrorKind } from '../providers/types';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Whether an attempt may go to a target now; `probe` marks the single half-open trial call. */
export type Admission = { readonly allowed: true; readonly probe: boolean } | { readonly allowed: false; readonly retryInMs: number };

/** The last failure that counted against a target: what the client is told when its circuit is open. */
export interface BreakerCause {
  readonly kind: ProviderErrorKind;
  readonly message: string;
}

/**
 * Circuit breaker of one target, per router instance:
 * - closed: calls flow; it opens when `failureThreshold` failures fall within any `windowMs`
 *   (a sliding window over failure times). Successes in between do not reset the count: a target
 *   failing 30% of its calls opens as surely as one failing them all, once enough failures pile up
 *   within the window. (The count is absolute, not a rate: a high-volume target needs a threshold
 *   sized to its traffic.)
 * - open: calls are refused for `cooldownMs`, then the breaker is half-open;
 * - half-open: exactly one probe call is let through; its success closes the breaker (and forgets
 *   the failures), its failure opens it for another cooldown. Other calls are refused meanwhile.
 * Only failures that say something about the target count (throttled, server, timeout, auth), never
 * failures caused by the request (bad_request, context_length, content_filter).
 *
 * The window keeps the last `failureThreshold` failure times in a ring (a Float64Array): the
 * breaker opens when the oldest of them is within `windowMs` of the newest. Nothing is allocated
 * per call.
 */
export class CircuitBreaker {
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;
  private openedAt = 0;
  private isOpen = false;
  private probing = false;
  /** The latest failure that counted (kept after the circuit closes, for logs). */
  lastFailure: BreakerCause | undefined;

  constructor(private readonly config: BreakerConfig) {
    this.times = new Float64Array(Math.max(1, config.failureThreshold));
  }

  state(now: number): BreakerState {
    if (!this.isOpen) return 'closed';
    return now - this.openedAt >= this.config.cooldownMs ? 'half-open' : 'open';
  }

  admit(now: number): Admission {
    const state = this.state(now);
    if (state === 'closed') return ADMIT;
    if (state === 'open') return { allowed: false, retryInMs: this.openedAt + this.config.cooldownMs - now };
    if (this.probing) return PROBE_IN_FLIGHT;
    this.probing = true;
    return PROBE;
  }

  success(): void {
    // Called on every served request: allocates nothing. Only a probe's success forgets failures.
    if (!this.isOpen) return;
    this.isOpen = false;
    this.probing = false;
    this.count = 0;
  }

  failure(now: number, cause?: BreakerCause): void {
    if (cause) this.lastFailure = cause;
    if (this.isOpen) {
      // A failed probe (or a straggler from before the circuit opened) restarts the cooldown.
      this.openedAt = now;
      this.probing = false;
      return;
    }
    const n = this.times.length;
    this.times[this.next] = now;
    this.next = (this.next + 1) % n;
    if (this.count < n) this.count++;
    // Full ring: `next` now points at the oldest of the last n failures.
    if (this.count === n && now - this.times[this.next] < this.config.windowMs) {
      this.isOpen = true;
      this.openedAt = now;
      this.count = 0;
    }
  }

  /** The probe ended without a verdict (the client went away): let the next call probe. */
  abandon(probe: boolean): void {
    if (probe) this.probing = false;
  }
}

const ADMIT: Admission = { allowed: true, probe: false };
const PROBE: Admission = { allowed: true, probe: true };
const PROBE_IN_FLIGHT: Admission = { allowed: false, retryInMs: 0 };

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

/**
 * The expiry rule shared by the cloud ledgers. A reservation belongs to one request; the request
 * cannot outlive its function's timeout, so once reserved-at + the longest request + a margin for
 * clock skew between instances has passed, nobody can still settle it: its instance has crashed or
 * was killed. Any instance that then reads the balance (a refused reserve, `spent`) releases it.
 *
 * Expiry never depends on the database's own TTL process (DynamoDB TTL deletes up to days late and
 * Azure Tables has none): it is a field of the reservation compared with the reader's clock.
 */
export interface ExpiryOptions {
  /**
   * The longest a request may run (the function or request timeout of the deployment).
   * @default 900_000 (15 min, the Lambda maximum)
   */
  readonly maxRequestMs?: number;
  /**
   * Added to `maxRequestMs` to absorb clock skew between the reserving and the sweeping instance.
   * @default 60_000
   */
  readonly marginMs?: number;
  /**
   * How long an expired-and-released reservation is remembered, so that a settle arriving late (the
   * rule was violated, e.g. a skewed clock) still charges the real cost once instead of losing it.
   * @default 3_600_000 (1 h)
   */
  readonly lateSettleGraceMs?: number;
}

export const DEFAULT_MAX_REQUEST_MS = 900_000;
export const DEFAULT_EXPIRY_MARGIN_MS = 60_000;
export const DEFAULT_LATE_SETTLE_GRACE_MS = 3_600_000;

export interface ExpiryRule {
  readonly lifetimeMs: number;
  readonly lateSettleGraceMs: number;
}

export function expiryRule(o: ExpiryOptions = {}): ExpiryRule {
  const maxRequestMs = o.maxRequestMs ?? DEFAULT_MAX_REQUEST_MS;
  const marginMs = o.marginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
  const lateSettleGraceMs = o.lateSettleGraceMs ?? DEFAULT_LATE_SETTLE_GRACE_MS;
  for (const [name, v] of [['maxRequestMs', maxRequestMs], ['marginMs', marginMs], ['lateSettleGraceMs', lateSettleGraceMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`ledger: ${name} must be a whole number of milliseconds >= 0 (got ${v})`);
  }
  return { lifetimeMs: maxRequestMs + marginMs, lateSettleGraceMs };
}

/** An open reservation is expired once the reader's clock is past this instant. */
export function isExpired(expiresAtMs: number, nowMs: number): boolean {
  return expiresAtMs < nowMs;
}

/** A released-by-expiry tombstone may be forgotten once the late-settle grace has passed too. */
export function isForgettable(expiresAtMs: number, nowMs: number, rule: ExpiryRule): boolean {
  return expiresAtMs + rule.lateSettleGraceMs < nowMs;
}

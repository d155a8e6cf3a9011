/**
 * The stack's spend stop: one record in the router's ledger store that the budget's stop function
 * sets at the hard-stop threshold and clears on resume. While it is active the router refuses every
 * paid call with 402 `budget_stop_active` (lib/router/engine/spend-stop-gate.ts). The record also
 * keeps what the stop replaced (each GPU fleet's capacity), so that resume can put it back exactly.
 *
 * Writes are compare-and-set on the version that was read: two stop runs at once (a retried
 * notification, an alarm and a budget together) can never record a fleet's capacity after the other
 * one scaled it to zero.
 */
export interface SpendStopState {
  readonly active: boolean;
  /** When the stop was first set, ISO 8601. */
  readonly since?: string;
  /** What triggered it, for the 402 message and the operator (at most 200 characters). */
  readonly reason?: string;
  /** What the stop function replaced, JSON-safe, read back by resume. The router ignores it. */
  readonly replaced?: readonly unknown[];
}

export interface VersionedSpendStop {
  readonly state: SpendStopState;
  /** Opaque: the store's item version, ETag or update time. */
  readonly version: string;
}

export interface SpendStopStore {
  /** The record, strongly consistent; undefined when no stop was ever set. */
  read(): Promise<VersionedSpendStop | undefined>;
  /**
   * Writes `state` if the stored version is still `expected` (undefined: nothing stored yet).
   * False when another writer won: read again and re-decide.
   */
  write(state: SpendStopState, expected: string | undefined): Promise<boolean>;
}

/** Key of the record in the ledger's table or collection: tenant ids are `[a-z0-9-]`, so no tenant-month shares it. */
export const SPEND_STOP_KEY = '$stop';

/** Longest `reason` kept. */
export const SPEND_STOP_REASON_MAX = 200;

/** The record as one JSON string (each store keeps it in one attribute beside its version). */
export function encodeSpendStop(state: SpendStopState): string {
  const reason = state.reason === undefined ? undefined : state.reason.slice(0, SPEND_STOP_REASON_MAX);
  return JSON.stringify({ active: state.active === true, ...(state.since ? { since: state.since } : {}), ...(reason ? { reason } : {}), ...(state.replaced ? { replaced: state.replaced } : {}) });
}

export function decodeSpendStop(text: unknown, where: string): SpendStopState {
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { active?: unknown }).active !== 'boolean') {
    throw new Error(`spend stop: the record in ${where} is not a spend-stop record (expected JSON with a boolean "active")`);
  }
  const p = parsed as { active: boolean; since?: unknown; reason?: unknown; replaced?: unknown };
  return {
    active: p.active,
    ...(typeof p.since === 'string' ? { since: p.since } : {}),
    ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
    ...(Array.isArray(p.replaced) ? { replaced: p.replaced } : {}),
  };
}

/** The record in process memory: `ai-stack serve`, tests, one-instance deployments. */
export class MemorySpendStop implements SpendStopStore {
  private record: { text: string; version: number } | undefined;

  async read(): Promise<VersionedSpendStop | undefined> {
    return this.record ? { state: decodeSpendStop(this.record.text, 'memory'), version: String(this.record.version) } : undefined;
  }

  async write(state: SpendStopState, expected: string | undefined): Promise<boolean> {
    const current = this.record === undefined ? undefined : String(this.record.version);
    if (current !== expected) return false;
    this.record = { text: encodeSpendStop(state), version: (this.record?.version ?? 0) + 1 };
    return true;
  }
}

import { isExpired, isForgettable, type ExpiryRule } from './expiry';
import { mismatch } from './amounts';

/** An open reservation, or an expired one kept for a late settle: amount and expiry instant. */
export interface Entry {
  readonly amountNanoUsd: number;
  readonly expiresAtMs: number;
}

/**
 * One tenant-month as a record that a store reads, changes with these functions and writes back
 * under optimistic concurrency (Azure Tables ETag). Open reservations live inside the record, so a
 * reserve, settle or release is one atomic write of one record, and a retried operation finds the
 * result of its first attempt there (the idempotency key is the reservation id).
 */
export interface LedgerState {
  spentNanoUsd: number;
  reservedNanoUsd: number;
  readonly open: Map<string, Entry>;
  /** Released by the expiry rule; a late settle still charges them once. */
  readonly expired: Map<string, Entry>;
}

export function emptyLedgerState(): LedgerState {
  return { spentNanoUsd: 0, reservedNanoUsd: 0, open: new Map(), expired: new Map() };
}

/** Releases open reservations past their expiry and forgets old tombstones; true if anything changed. */
export function sweep(s: LedgerState, nowMs: number, rule: ExpiryRule): boolean {
  let changed = false;
  for (const [id, e] of s.open) {
    if (!isExpired(e.expiresAtMs, nowMs)) continue;
    s.open.delete(id);
    s.reservedNanoUsd -= e.amountNanoUsd;
    s.expired.set(id, e);
    changed = true;
  }
  for (const [id, e] of s.expired) {
    if (!isForgettable(e.expiresAtMs, nowMs, rule)) continue;
    s.expired.delete(id);
    changed = true;
  }
  return changed;
}

export interface ReserveOp {
  readonly id: string;
  readonly amountNanoUsd: number;
  readonly limitNanoUsd: number;
  readonly expiresAtMs: number;
}

export type ReserveOutcome = { readonly ok: true; readonly committedNanoUsd: number } | { readonly ok: false; readonly spentNanoUsd: number; readonly reservedNanoUsd: number };

/** The budget check; a retry of an applied reserve (same id) succeeds without reserving twice. */
export function applyReserve(s: LedgerState, op: ReserveOp): ReserveOutcome {
  if (s.open.has(op.id)) return { ok: true, committedNanoUsd: s.spentNanoUsd + s.reservedNanoUsd };
  if (s.spentNanoUsd + s.reservedNanoUsd + op.amountNanoUsd > op.limitNanoUsd) {
    return { ok: false, spentNanoUsd: s.spentNanoUsd, reservedNanoUsd: s.reservedNanoUsd };
  }
  s.open.set(op.id, { amountNanoUsd: op.amountNanoUsd, expiresAtMs: op.expiresAtMs });
  s.reservedNanoUsd += op.amountNanoUsd;
  return { ok: true, committedNanoUsd: s.spentNanoUsd + s.reservedNanoUsd };
}

export interface CloseOp {
  readonly id: string;
  readonly tenant: string;
  readonly amountNanoUsd: number;
}

/**
 * 'settled': charged and freed. 'late': it had expired and been freed, so only the charge is added.
 * 'closed': already settled or released (a retry, or settle after release): nothing changes.
 */
export type SettleOutcome = 'settled' | 'late' | 'closed';

export function applySettle(s: LedgerState, op: CloseOp, actualNanoUsd: number): SettleOutcome {
  const open = s.open.get(op.id);
  if (open) {
    if (open.amountNanoUsd !== op.amountNanoUsd) throw mismatch('settle', op.id, op.tenant, op.amountNanoUsd, open.amountNanoUsd);
    s.open.delete(op.id);
    s.reservedNanoUsd -= open.amountNanoUsd;
    s.spentNanoUsd += actualNanoUsd;
    return 'settled';
  }
  const expired = s.expired.get(op.id);
  if (expired) {
    if (expired.amountNanoUsd !== op.amountNanoUsd) throw mismatch('settle', op.id, op.tenant, op.amountNanoUsd, expired.amountNanoUsd);
    s.expired.delete(op.id);
    s.spentNanoUsd += actualNanoUsd;
    return 'late';
  }
  return 'closed';
}

export type ReleaseOutcome = 'released' | 'forgotten' | 'closed';

export function applyRelease(s: LedgerState, op: CloseOp): ReleaseOutcome {
  const open = s.open.get(op.id);
  if (open) {
    if (open.amountNanoUsd !== op.amountNanoUsd) throw mismatch('release', op.id, op.tenant, op.amountNanoUsd, open.amountNanoUsd);
    s.open.delete(op.id);
    s.reservedNanoUsd -= open.amountNanoUsd;
    return 'released';
  }
  // Already freed by expiry: drop the tombstone so a later settle cannot charge it.
  if (s.expired.delete(op.id)) return 'forgotten';
  return 'closed';
}

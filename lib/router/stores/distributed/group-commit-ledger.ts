import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from '../ledger';
import { checkLimit, checkReserveAmount, checkSettleAmount, newReservationId } from './amounts';
import { expiryRule, type ExpiryOptions, type ExpiryRule } from './expiry';
import type { Commits } from './group-commit';
import { applyRelease, applyReserve, applySettle, sweep, type LedgerState } from './ledger-state';

/** The key of a tenant-month in a store's group commit (inside this process only, never stored). */
export const tenantMonthKey = (tenant: string, month: string): string => `${tenant}\u0000${month}`;

export const splitTenantMonthKey = (key: string): [tenant: string, month: string] => key.split('\u0000') as [string, string];

export interface GroupCommitLedgerOptions extends ExpiryOptions {
  /** Epoch milliseconds; injectable for tests. @default Date.now */
  readonly clock?: () => number;
}

/**
 * A `Ledger` on one record per tenant-month holding the balance and the open reservations (the
 * state machine of `ledger-state.ts`), changed through a store's group commit. The stores that
 * extend it (Azure Tables, Firestore) give it their commits, keyed by `tenantMonthKey`, and a check that
 * refuses tenant-months they cannot store, before anything is queued.
 */
export class GroupCommitLedger implements Ledger {
  private readonly clock: () => number;
  private readonly rule: ExpiryRule;

  constructor(
    private readonly commits: Commits<LedgerState>,
    private readonly checkKeys: (tenant: string, month: string) => void,
    o: GroupCommitLedgerOptions,
  ) {
    this.clock = o.clock ?? Date.now;
    this.rule = expiryRule(o);
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    checkReserveAmount(r.amountNanoUsd);
    checkLimit(r.limitNanoUsd);
    const id = newReservationId();
    const op = { id, amountNanoUsd: r.amountNanoUsd, limitNanoUsd: r.limitNanoUsd, expiresAtMs: this.clock() + this.rule.lifetimeMs };
    const outcome = await this.commits.run(this.key(r.tenant, r.month), (s) => {
      // Sweeping first is what releases a crashed instance's reservations before the budget check.
      const swept = sweep(s, this.clock(), this.rule);
      const result = applyReserve(s, op);
      return { result, changed: swept || result.ok };
    });
    if (outcome.ok) return { ok: true, reservation: { id, tenant: r.tenant, month: r.month, amountNanoUsd: r.amountNanoUsd }, committedNanoUsd: outcome.committedNanoUsd };
    return { ok: false, limitNanoUsd: r.limitNanoUsd, spentNanoUsd: outcome.spentNanoUsd, reservedNanoUsd: outcome.reservedNanoUsd };
  }

  async settle(res: Reservation, actualNanoUsd: number): Promise<void> {
    checkSettleAmount(actualNanoUsd);
    await this.commits.run(this.key(res.tenant, res.month), (s) => {
      const result = applySettle(s, res, actualNanoUsd);
      return { result, changed: result !== 'closed' };
    });
  }

  async release(res: Reservation): Promise<void> {
    await this.commits.run(this.key(res.tenant, res.month), (s) => {
      const result = applyRelease(s, res);
      return { result, changed: result !== 'closed' };
    });
  }

  async spent(tenant: string, month: string): Promise<LedgerBalance> {
    return this.commits.run(this.key(tenant, month), (s) => {
      const changed = sweep(s, this.clock(), this.rule);
      return { result: { spentNanoUsd: s.spentNanoUsd, reservedNanoUsd: s.reservedNanoUsd }, changed };
    });
  }

  private key(tenant: string, month: string): string {
    this.checkKeys(tenant, month);
    return tenantMonthKey(tenant, month);
  }
}

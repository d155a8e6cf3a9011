import { randomUUID } from 'node:crypto';
import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from './ledger';

/**
 * A ledger in process memory: for `ai-stack serve`, tests, and single-instance deployments. Each
 * method does its read-check-write without awaiting in between, which on Node's single thread is
 * the same atomicity a cloud store gets from a conditional write.
 */
export class MemoryLedger implements Ledger {
  private readonly balances = new Map<string, { spent: number; reserved: number }>();
  private readonly open = new Map<string, Reservation>();

  private balance(tenant: string, month: string) {
    const key = `${tenant}\u0000${month}`;
    let b = this.balances.get(key);
    if (!b) {
      b = { spent: 0, reserved: 0 };
      this.balances.set(key, b);
    }
    return b;
  }

  async reserve(r: ReserveRequest): Promise<ReserveResult> {
    if (!Number.isSafeInteger(r.amountNanoUsd) || r.amountNanoUsd < 0) throw new Error(`ledger: reservation amount must be a whole number of nano-dollars >= 0 (got ${r.amountNanoUsd})`);
    const b = this.balance(r.tenant, r.month);
    if (b.spent + b.reserved + r.amountNanoUsd > r.limitNanoUsd) {
      return { ok: false, limitNanoUsd: r.limitNanoUsd, spentNanoUsd: b.spent, reservedNanoUsd: b.reserved };
    }
    b.reserved += r.amountNanoUsd;
    const reservation: Reservation = { id: randomUUID(), tenant: r.tenant, month: r.month, amountNanoUsd: r.amountNanoUsd };
    this.open.set(reservation.id, reservation);
    return { ok: true, reservation, committedNanoUsd: b.spent + b.reserved };
  }

  private close(reservation: Reservation, operation: string) {
    if (!this.open.delete(reservation.id)) {
      throw new Error(`ledger: ${operation} of reservation ${reservation.id} (tenant '${reservation.tenant}'), which is not open: it was already settled or released`);
    }
    const b = this.balance(reservation.tenant, reservation.month);
    b.reserved -= reservation.amountNanoUsd;
    return b;
  }

  async settle(reservation: Reservation, actualNanoUsd: number): Promise<void> {
    if (!Number.isSafeInteger(actualNanoUsd) || actualNanoUsd < 0) throw new Error(`ledger: settled amount must be a whole number of nano-dollars >= 0 (got ${actualNanoUsd})`);
    this.close(reservation, 'settle').spent += actualNanoUsd;
  }

  async release(reservation: Reservation): Promise<void> {
    this.close(reservation, 'release');
  }

  async spent(tenant: string, month: string): Promise<LedgerBalance> {
    const b = this.balances.get(`${tenant}\u0000${month}`);
    return { spentNanoUsd: b?.spent ?? 0, reservedNanoUsd: b?.reserved ?? 0 };
  }
}

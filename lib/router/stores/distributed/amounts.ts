import { randomBytes } from 'node:crypto';

/** The same refusals as `MemoryLedger`, so every ledger rejects a bad amount the same way. */
export function checkReserveAmount(amountNanoUsd: number): void {
  if (!Number.isSafeInteger(amountNanoUsd) || amountNanoUsd < 0) throw new Error(`ledger: reservation amount must be a whole number of nano-dollars >= 0 (got ${amountNanoUsd})`);
}

export function checkSettleAmount(actualNanoUsd: number): void {
  if (!Number.isSafeInteger(actualNanoUsd) || actualNanoUsd < 0) throw new Error(`ledger: settled amount must be a whole number of nano-dollars >= 0 (got ${actualNanoUsd})`);
}

export function checkLimit(limitNanoUsd: number): void {
  if (!Number.isSafeInteger(limitNanoUsd) || limitNanoUsd < 0) throw new Error(`ledger: limit must be a whole number of nano-dollars >= 0 (got ${limitNanoUsd})`);
}

/**
 * 96 random bits, 16 characters: ids live inside the balance record (one attribute or JSON entry
 * per open reservation), so their length is paid on every write of that record.
 */
export function newReservationId(): string {
  return randomBytes(12).toString('base64url');
}

export function mismatch(operation: string, id: string, tenant: string, passed: number, stored: number): Error {
  return new Error(`ledger: ${operation} of reservation ${id} (tenant '${tenant}') with amount ${passed}, but it was reserved for ${stored}`);
}

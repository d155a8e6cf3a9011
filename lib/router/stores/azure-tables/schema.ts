/**
 * The two tables, as the construct must create them (Azure Tables has no schema beyond the keys).
 *
 * Ledger entity, one per tenant and month: PartitionKey = tenant, RowKey = `YYYY-MM`.
 *   spent, reserved (Edm.Int64)  integer nano-dollars
 *   open0…openN (Edm.String)     JSON [[id, amount, expiresAtMs], …] of the open reservations, split
 *                                into properties of at most 30,000 characters (a string property
 *                                holds 64 KiB = 32 Ki UTF-16 units; an entity 1 MiB)
 *   expired0…expiredN            the same for reservations released by the expiry rule
 *
 * Rate entity, one per tenant: PartitionKey = tenant, RowKey = 'rate'.
 *   ring (Edm.String)            JSON of the bucket ring (distributed/rate-window.ts), ~300 bytes
 *
 * Every change is a Replace with If-Match on the ETag that was read (or an insert that fails with
 * 409 if someone inserted first), so concurrent writers cannot lose each other's updates.
 */
export const AZURE_LEDGER_TABLE = { partitionKey: 'tenant', rowKey: 'month (YYYY-MM)' } as const;
export const AZURE_RATE_TABLE = { partitionKey: 'tenant', rowKey: 'rate' } as const;
export const RATE_ROW_KEY = 'rate';

/** Characters Azure Tables refuses in PartitionKey and RowKey. */
const FORBIDDEN = /[\\/#?\u0000-\u001f\u007f-\u009f]/;

export function checkKey(what: string, value: string): void {
  if (value.length === 0 || value.length > 512 || FORBIDDEN.test(value)) {
    throw new Error(`azure tables: ${what} '${value}' cannot be a table key (1-512 characters, none of / \\ # ? or control characters)`);
  }
}

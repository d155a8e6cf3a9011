/**
 * The budget ledger: what each tenant has spent this month and what in-flight requests have
 * reserved. Amounts are integer nano-dollars (1e-9 USD) so that sums are exact.
 *
 * The protocol, per request: `reserve` the most the request can cost before any paid call (refused
 * if spent + reserved + amount would pass the limit), then exactly one of `settle` (charge the real
 * cost, free the reservation) or `release` (free it, charge nothing). Every method is async and each
 * change is one conditional write, so DynamoDB (`UpdateItem` with a `ConditionExpression`),
 * Firestore (transaction) and Azure Tables (ETag `If-Match`) implementations fit the same interface.
 */
export interface Ledger {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Charges `actualNanoUsd` (which may differ from the reserved amount) and frees the reservation. */
  settle(reservation: Reservation, actualNanoUsd: number): Promise<void>;
  /** Frees the reservation without charging anything. */
  release(reservation: Reservation): Promise<void>;
  /** What a tenant has spent and has reserved in a month. */
  spent(tenant: string, month: string): Promise<LedgerBalance>;
}

export interface ReserveRequest {
  readonly tenant: string;
  /** Budget period, `YYYY-MM` (UTC). */
  readonly month: string;
  readonly amountNanoUsd: number;
  /** The tenant's monthly budget; spent + reserved may never exceed it. */
  readonly limitNanoUsd: number;
}

export interface Reservation {
  /** Unique id; cloud ledgers use it to make settle and release idempotent. */
  readonly id: string;
  readonly tenant: string;
  readonly month: string;
  readonly amountNanoUsd: number;
}

export interface LedgerBalance {
  readonly spentNanoUsd: number;
  readonly reservedNanoUsd: number;
}

export type ReserveResult =
  | {
      readonly ok: true;
      readonly reservation: Reservation;
      /**
       * The tenant-month's spent + reserved right after this reservation (it included), when the
       * store returns it with the write at no extra cost; the router logs the budget used from it.
       */
      readonly committedNanoUsd?: number;
    }
  | ({ readonly ok: false; readonly limitNanoUsd: number } & LedgerBalance);

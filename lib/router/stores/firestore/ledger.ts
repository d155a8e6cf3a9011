import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from '../ledger';
import { checkLimit, checkReserveAmount, checkSettleAmount, newReservationId } from '../distributed/amounts';
import { expiryRule, type ExpiryOptions, type ExpiryRule } from '../distributed/expiry';
import { applyRelease, applyReserve, applySettle, emptyLedgerState, sweep, type Entry, type LedgerState } from '../distributed/ledger-state';
import { GroupCommit, type Codec, type GroupCommitOptions } from './group-commit';
import { FirestoreRest, type FirestoreConnectionOptions } from './rest';
import { FIRESTORE_LEDGER_COLLECTION, ledgerDocumentId } from './schema';
import { int, map, readInt, readMap, readTimestampMs, str, timestamp, type Fields, type Value } from './values';

export interface FirestoreLedgerOptions extends FirestoreConnectionOptions, ExpiryOptions, GroupCommitOptions {
  /** Epoch milliseconds; injectable for tests. @default Date.now */
  readonly clock?: () => number;
}

const entries = (m: Map<string, Entry>): Value => map(Object.fromEntries([...m].map(([id, e]) => [id, map({ a: int(e.amountNanoUsd), e: timestamp(e.expiresAtMs) })])));

function readEntries(v: Value | undefined, what: string): Map<string, Entry> {
  return new Map(
    Object.entries(readMap(v, what)).map(([id, e]) => {
      const f = readMap(e, `${what}.${id}`);
      return [id, { amountNanoUsd: readInt(f.a, `${what}.${id}.a`, NaN), expiresAtMs: readTimestampMs(f.e, `${what}.${id}.e`) }];
    }),
  );
}

/** Keys are `tenant\u0000month` inside this process only; the document is `{tenant}_{month}`. */
const split = (key: string): [string, string] => key.split('\u0000') as [string, string];

const codec: Codec<LedgerState> = {
  decode(name, fields) {
    if (!fields) return emptyLedgerState();
    const s = {
      spentNanoUsd: readInt(fields.spent, `${name}: spent`),
      reservedNanoUsd: readInt(fields.reserved, `${name}: reserved`),
      open: readEntries(fields.open, `${name}: open`),
      expired: readEntries(fields.expired, `${name}: expired`),
    };
    for (const [id, e] of [...s.open, ...s.expired]) if (Number.isNaN(e.amountNanoUsd)) throw new Error(`firestore: ${name}: reservation ${id} has no amount`);
    return s;
  },
  encode(key, s): Fields {
    const [tenant, month] = split(key);
    return { tenant: str(tenant), month: str(month), spent: int(s.spentNanoUsd), reserved: int(s.reservedNanoUsd), open: entries(s.open), expired: entries(s.expired) };
  },
};

/**
 * The ledger on Firestore: one document per tenant-month holding the balance and the open
 * reservations (the state machine of `distributed/ledger-state.ts`), changed by a strongly
 * consistent read and a `commit` conditional on the `updateTime` read. Operations of this process
 * on the same tenant-month are group-committed. See docs/router-ledgers.md.
 */
export class FirestoreLedger implements Ledger {
  private readonly clock: () => number;
  private readonly rule: ExpiryRule;
  private readonly commits: GroupCommit<LedgerState>;

  constructor(o: FirestoreLedgerOptions) {
    this.clock = o.clock ?? Date.now;
    this.rule = expiryRule(o);
    const rest = new FirestoreRest(o);
    const collection = o.collection ?? FIRESTORE_LEDGER_COLLECTION;
    this.commits = new GroupCommit<LedgerState>(rest, (key) => rest.documentName(collection, ledgerDocumentId(...split(key))), codec, o);
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
    if (outcome.ok) return { ok: true, reservation: { id, tenant: r.tenant, month: r.month, amountNanoUsd: r.amountNanoUsd } };
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
    ledgerDocumentId(tenant, month); // refuses ids Firestore cannot store, before anything is queued
    return `${tenant}\u0000${month}`;
  }
}

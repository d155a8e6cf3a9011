import type { ExpiryOptions } from '../distributed/expiry';
import { GroupCommitLedger, splitTenantMonthKey } from '../distributed/group-commit-ledger';
import { emptyLedgerState, type Entry, type LedgerState } from '../distributed/ledger-state';
import { documentCommits, type Codec, type FirestoreCommitOptions } from './documents';
import { FirestoreRest, type FirestoreConnectionOptions } from './rest';
import { FIRESTORE_LEDGER_COLLECTION, ledgerDocumentId } from './schema';
import { int, map, readInt, readMap, readTimestampMs, str, timestamp, type Fields, type Value } from './values';

export interface FirestoreLedgerOptions extends FirestoreConnectionOptions, ExpiryOptions, FirestoreCommitOptions {
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
    const [tenant, month] = splitTenantMonthKey(key);
    return { tenant: str(tenant), month: str(month), spent: int(s.spentNanoUsd), reserved: int(s.reservedNanoUsd), open: entries(s.open), expired: entries(s.expired) };
  },
};

/**
 * The ledger on Firestore: one document `{tenant}_{month}` per tenant-month holding the balance and
 * the open reservations (the state machine of `distributed/ledger-state.ts`), changed by a strongly
 * consistent read and a `commit` conditional on the `updateTime` read. Operations of this process
 * on the same tenant-month are group-committed (`distributed/group-commit-ledger.ts`). See
 * docs/router-ledgers.md.
 */
export class FirestoreLedger extends GroupCommitLedger {
  constructor(o: FirestoreLedgerOptions) {
    const rest = new FirestoreRest(o);
    const collection = o.collection ?? FIRESTORE_LEDGER_COLLECTION;
    super(
      documentCommits(rest, (key) => rest.documentName(collection, ledgerDocumentId(...splitTenantMonthKey(key))), codec, o),
      // Refuses ids Firestore cannot store, before anything is queued.
      (tenant, month) => void ledgerDocumentId(tenant, month),
      o,
    );
  }
}

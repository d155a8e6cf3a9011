import type { TableClient } from '@azure/data-tables';
import type { Ledger, LedgerBalance, Reservation, ReserveRequest, ReserveResult } from '../ledger';
import { checkLimit, checkReserveAmount, checkSettleAmount, newReservationId } from '../distributed/amounts';
import { expiryRule, type ExpiryOptions, type ExpiryRule } from '../distributed/expiry';
import { applyRelease, applyReserve, applySettle, emptyLedgerState, sweep, type Entry, type LedgerState } from '../distributed/ledger-state';
import { readChunks, writeChunks } from './chunks';
import { readEntity, writeEntity, type Props } from './entity-io';
import { GroupCommit, type GroupCommitOptions, type Stored } from './group-commit';
import { checkKey } from './schema';

export interface AzureTablesLedgerOptions extends ExpiryOptions, GroupCommitOptions {
  /** A client of the ledger table (the construct's table; the identity needs Table Data Contributor). */
  readonly client: TableClient;
  /** Epoch milliseconds; injectable for tests. @default Date.now */
  readonly clock?: () => number;
}

type Row = [id: string, amountNanoUsd: number, expiresAtMs: number];

const toRows = (m: Map<string, Entry>): Row[] => [...m].map(([id, e]) => [id, e.amountNanoUsd, e.expiresAtMs]);
const fromRows = (json: string | undefined): Map<string, Entry> => new Map((json ? (JSON.parse(json) as Row[]) : []).map(([id, a, e]) => [id, { amountNanoUsd: a, expiresAtMs: e }]));
const int = (v: unknown): number => (v === undefined ? 0 : Number(v));

function decode(props: Props | undefined): LedgerState {
  if (!props) return emptyLedgerState();
  return { spentNanoUsd: int(props.spent), reservedNanoUsd: int(props.reserved), open: fromRows(readChunks(props, 'open')), expired: fromRows(readChunks(props, 'expired')) };
}

function encode(s: LedgerState): Props {
  const props: Props = { spent: BigInt(s.spentNanoUsd), reserved: BigInt(s.reservedNanoUsd) };
  writeChunks(props, 'open', JSON.stringify(toRows(s.open)));
  writeChunks(props, 'expired', JSON.stringify(toRows(s.expired)));
  return props;
}

/** Keys are `tenant\u0000month` inside this process only; the entity is (tenant, month). */
const split = (key: string): [string, string] => key.split('\u0000') as [string, string];

/**
 * The ledger on Azure Table storage: one entity per tenant-month holding the balance and the open
 * reservations (the state machine of `distributed/ledger-state.ts`), changed by read + Replace with
 * If-Match. Operations of this process on the same tenant-month are group-committed. See
 * docs/router-ledgers.md.
 */
export class AzureTablesLedger implements Ledger {
  private readonly clock: () => number;
  private readonly rule: ExpiryRule;
  private readonly commits: GroupCommit<LedgerState>;

  constructor(o: AzureTablesLedgerOptions) {
    this.clock = o.clock ?? Date.now;
    this.rule = expiryRule(o);
    const client = o.client;
    this.commits = new GroupCommit<LedgerState>(
      {
        async read(key): Promise<Stored<LedgerState>> {
          const [tenant, month] = split(key);
          const { props, etag } = await readEntity(client, tenant, month);
          return { state: decode(props), etag };
        },
        write: (key, state, etag) => {
          const [tenant, month] = split(key);
          return writeEntity(client, tenant, month, encode(state), etag);
        },
      },
      o,
    );
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
    checkKey('tenant', tenant);
    checkKey('month', month);
    return `${tenant}\u0000${month}`;
  }
}

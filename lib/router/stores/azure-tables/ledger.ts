import type { TableClient } from '@azure/data-tables';
import type { ExpiryOptions } from '../distributed/expiry';
import type { GroupCommitOptions } from '../distributed/group-commit';
import { GroupCommitLedger, splitTenantMonthKey } from '../distributed/group-commit-ledger';
import { emptyLedgerState, type Entry, type LedgerState } from '../distributed/ledger-state';
import { readChunks, writeChunks } from './chunks';
import { entityCommits, type EntityCodec, type Props } from './entity-io';
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

const codec: EntityCodec<LedgerState> = {
  decode(props) {
    if (!props) return emptyLedgerState();
    return { spentNanoUsd: int(props.spent), reservedNanoUsd: int(props.reserved), open: fromRows(readChunks(props, 'open')), expired: fromRows(readChunks(props, 'expired')) };
  },
  encode(s) {
    const props: Props = { spent: BigInt(s.spentNanoUsd), reserved: BigInt(s.reservedNanoUsd) };
    writeChunks(props, 'open', JSON.stringify(toRows(s.open)));
    writeChunks(props, 'expired', JSON.stringify(toRows(s.expired)));
    return props;
  },
};

/**
 * The ledger on Azure Table storage: one entity (tenant, month) per tenant-month holding the balance
 * and the open reservations (the state machine of `distributed/ledger-state.ts`), changed by read +
 * Replace with If-Match. Operations of this process on the same tenant-month are group-committed
 * (`distributed/group-commit-ledger.ts`). See docs/router-ledgers.md.
 */
export class AzureTablesLedger extends GroupCommitLedger {
  constructor(o: AzureTablesLedgerOptions) {
    super(
      entityCommits(o.client, splitTenantMonthKey, codec, o),
      (tenant, month) => {
        checkKey('tenant', tenant);
        checkKey('month', month);
      },
      o,
    );
  }
}

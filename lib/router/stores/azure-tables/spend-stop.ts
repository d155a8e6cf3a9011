import type { TableClient } from '@azure/data-tables';
import { decodeSpendStop, encodeSpendStop, SPEND_STOP_KEY, type SpendStopState, type SpendStopStore, type VersionedSpendStop } from '../spend-stop';
import { readEntity, writeEntity } from './entity-io';

export interface AzureTablesSpendStopOptions {
  /** The ledger table: the record is its entity PartitionKey `$stop`, RowKey `stack`. */
  readonly client: TableClient;
}

const ROW_KEY = 'stack';

/** The spend-stop record as one entity of the ledger table (`record`: the JSON), written with If-Match on its ETag. */
export class AzureTablesSpendStop implements SpendStopStore {
  private readonly client: TableClient;

  constructor(o: AzureTablesSpendStopOptions) {
    this.client = o.client;
  }

  async read(): Promise<VersionedSpendStop | undefined> {
    const { props, etag } = await readEntity(this.client, SPEND_STOP_KEY, ROW_KEY);
    if (!props || etag === undefined) return undefined;
    return { state: decodeSpendStop(props.record, `table ${this.client.tableName}, entity ${SPEND_STOP_KEY}/${ROW_KEY}`), version: etag };
  }

  write(state: SpendStopState, expected: string | undefined): Promise<boolean> {
    return writeEntity(this.client, SPEND_STOP_KEY, ROW_KEY, { record: encodeSpendStop(state) }, expected);
  }
}

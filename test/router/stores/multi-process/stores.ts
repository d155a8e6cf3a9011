import type { Ledger } from '../../../../lib/router/stores/ledger';
import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { FirestoreLedger } from '../../../../lib/router/stores/firestore/ledger';
import { dynamoClient } from '../support/dynalite';
import { tableClient } from '../support/azurite';

/** What a worker needs to reach the shared emulator: plain data, passed on its command line. */
export type StoreConfig =
  | { readonly kind: 'dynamodb'; readonly endpoint: string; readonly table: string }
  | { readonly kind: 'azure-tables'; readonly connectionString: string; readonly table: string }
  | { readonly kind: 'firestore'; readonly baseUrl: string; readonly database: string; readonly collection: string };

export function ledgerFor(store: StoreConfig, expiry: { maxRequestMs: number; marginMs: number }): Ledger {
  switch (store.kind) {
    case 'dynamodb':
      return new DynamoDbLedger({ client: dynamoClient(store.endpoint), tableName: store.table, ...expiry });
    case 'azure-tables':
      return new AzureTablesLedger({ client: tableClient(store.connectionString, store.table), ...expiry });
    case 'firestore':
      return new FirestoreLedger({ baseUrl: store.baseUrl, database: store.database, collection: store.collection, getAccessToken: async () => 'multi-process-token', ...expiry });
  }
}

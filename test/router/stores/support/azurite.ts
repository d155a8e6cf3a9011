import { TableClient, TableServiceClient } from '@azure/data-tables';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzuriteService } from '../../../support/azurite-process';

export interface Azurite {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** azurite-table in a child process, in memory, on a free port (test/support/azurite-process.ts). */
export async function startAzurite(): Promise<Azurite> {
  const { port, stop } = await startAzuriteService('table');
  return { connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`, stop };
}

export function tableClient(connectionString: string, table: string): TableClient {
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
}

export async function createAzureTable(connectionString: string, table: string): Promise<void> {
  await TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true }).createTable(table);
}

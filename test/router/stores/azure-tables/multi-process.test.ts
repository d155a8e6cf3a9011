import type { ChildProcess } from 'node:child_process';
import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { expectExactScenario, figures, runScenario, stopAll } from '../multi-process/scenario';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../support/azurite';

let az: Azurite;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  az = await startAzurite();
  await createAzureTable(az.connectionString, 'ledger');
}, 30_000);
afterAll(async () => {
  stopAll(workers);
  await az.stop();
});

test('4 processes, 1,000 concurrent flows, a budget for ~100: exact spend, and a killed process\'s reservations expire', async () => {
  const observer = new AzureTablesLedger({ client: tableClient(az.connectionString, 'ledger') });
  const r = await runScenario({ kind: 'azure-tables', connectionString: az.connectionString, table: 'ledger' }, observer, workers);
  if (process.env.LEDGER_FIGURES) console.info(figures('AzureTablesLedger on azurite', r));

  expectExactScenario(r);
});

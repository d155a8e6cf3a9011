import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { AzureTablesRateLimiter } from '../../../../lib/router/stores/azure-tables/rate-limiter';
import { AzureTablesSpendStop } from '../../../../lib/router/stores/azure-tables/spend-stop';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
import { spendStopConformance } from '../conformance/spend-stop-suite';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../support/azurite';

let az: Azurite;

beforeAll(async () => {
  az = await startAzurite();
  await createAzureTable(az.connectionString, 'ledger');
  await createAzureTable(az.connectionString, 'rate');
}, 30_000);
afterAll(() => az.stop());

// Each instance has its own client and its own group-commit queue: only the table is shared.
ledgerConformance('AzureTablesLedger', { retriedCloseResolves: true, expires: true }, () => ({
  instance: (o = {}) => new AzureTablesLedger({ client: tableClient(az.connectionString, 'ledger'), ...o }),
}));

rateLimiterConformance('AzureTablesRateLimiter', () => ({
  instance: () => new AzureTablesRateLimiter({ client: tableClient(az.connectionString, 'rate') }),
}));

let stopTables = 0;
// A table per test: the record is one per stack.
spendStopConformance('AzureTablesSpendStop', async () => {
  const table = `stop${++stopTables}`;
  await createAzureTable(az.connectionString, table);
  return {
    instance: () => new AzureTablesSpendStop({ client: tableClient(az.connectionString, table) }),
    ledger: () => new AzureTablesLedger({ client: tableClient(az.connectionString, table) }),
  };
});

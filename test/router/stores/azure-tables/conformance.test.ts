import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { AzureTablesRateLimiter } from '../../../../lib/router/stores/azure-tables/rate-limiter';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
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

export { AzureTablesLedger, type AzureTablesLedgerOptions } from './ledger';
export { AzureTablesRateLimiter, type AzureTablesRateLimiterOptions } from './rate-limiter';
export { AzureTablesSpendStop, type AzureTablesSpendStopOptions } from './spend-stop';
export { AZURE_LEDGER_TABLE, AZURE_RATE_TABLE, RATE_ROW_KEY } from './schema';

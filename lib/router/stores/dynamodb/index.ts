export { DynamoDbLedger, type DynamoDbLedgerOptions } from './ledger';
export { DynamoDbRateLimiter, type DynamoDbRateLimiterOptions } from './rate-limiter';
export { DynamoDbSpendStop, type DynamoDbSpendStopOptions } from './spend-stop';
export { LEDGER_TABLE_SCHEMA, RATE_TABLE_SCHEMA, createTableInput, ledgerKey } from './schema';

import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { DynamoDbRateLimiter } from '../../../../lib/router/stores/dynamodb/rate-limiter';
import { DynamoDbSpendStop } from '../../../../lib/router/stores/dynamodb/spend-stop';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
import { spendStopConformance } from '../conformance/spend-stop-suite';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;

beforeAll(async () => {
  db = await startDynalite();
  const c = dynamoClient(db.endpoint);
  await createTable(c, 'ledger');
  await createTable(c, 'rate');
  c.destroy();
});
afterAll(() => db.stop());

// Each instance has its own client: nothing is shared but the tables.
ledgerConformance('DynamoDbLedger', { retriedCloseResolves: true, expires: true }, () => ({
  instance: (o = {}) => new DynamoDbLedger({ client: dynamoClient(db.endpoint), tableName: 'ledger', ...o }),
}));

rateLimiterConformance('DynamoDbRateLimiter', () => ({
  instance: () => new DynamoDbRateLimiter({ client: dynamoClient(db.endpoint), tableName: 'rate' }),
}));

let stopTables = 0;
// A table per test: the record is one per stack.
spendStopConformance('DynamoDbSpendStop', async () => {
  const tableName = `stop-${++stopTables}`;
  const c = dynamoClient(db.endpoint);
  await createTable(c, tableName);
  c.destroy();
  return {
    instance: () => new DynamoDbSpendStop({ client: dynamoClient(db.endpoint), tableName }),
    ledger: () => new DynamoDbLedger({ client: dynamoClient(db.endpoint), tableName }),
  };
});

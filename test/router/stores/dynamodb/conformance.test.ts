import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { DynamoDbRateLimiter } from '../../../../lib/router/stores/dynamodb/rate-limiter';
import { ledgerConformance } from '../conformance/ledger-suite';
import { rateLimiterConformance } from '../conformance/rate-limiter-suite';
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

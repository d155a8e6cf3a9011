import type { ChildProcess } from 'node:child_process';
import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { expectExactScenario, figures, runScenario, stopAll } from '../multi-process/scenario';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await createTable(dynamoClient(db.endpoint), 'ledger');
});
afterAll(async () => {
  stopAll(workers);
  await db.stop();
});

test('4 processes, 1,000 concurrent flows, a budget for ~100: exact spend, and a killed process\'s reservations expire', async () => {
  const observer = new DynamoDbLedger({ client: dynamoClient(db.endpoint), tableName: 'ledger' });
  const r = await runScenario({ kind: 'dynamodb', endpoint: db.endpoint, table: 'ledger' }, observer, workers);
  if (process.env.LEDGER_FIGURES) console.info(figures('DynamoDbLedger on dynalite', r));

  expectExactScenario(r);
});

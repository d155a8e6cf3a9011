import type { ChildProcess } from 'node:child_process';
import { DynamoDbLedger } from '../../../../lib/router/stores/dynamodb/ledger';
import { AMOUNT, LIMIT, figures, runScenario, stopAll } from '../multi-process/scenario';
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

  expect(r.heldByKilled).toBe(30);
  expect(r.reservedAfterKill).toBe(30 * AMOUNT); // outstanding until the expiry rule frees them
  expect(r.workers.flatMap((w) => w.errors)).toEqual([]);
  const granted = r.workers.reduce((s, w) => s + w.granted, 0);
  const settled = r.workers.reduce((s, w) => s + w.settledNanoUsd, 0);
  expect(r.final).toEqual({ spentNanoUsd: settled, reservedNanoUsd: 0 });
  expect(r.final.spentNanoUsd).toBeLessThanOrEqual(LIMIT);
  expect(r.peakCommittedNanoUsd).toBeLessThanOrEqual(LIMIT);
  // Without the release the live workers could hold only 70 reservations at a time, and each
  // settle frees at most a tenth of one: the killed worker's 30 were reused.
  expect(granted).toBeGreaterThanOrEqual(100);
  expect(r.workers.reduce((s, w) => s + w.granted + w.refused, 0)).toBe(1000);
});

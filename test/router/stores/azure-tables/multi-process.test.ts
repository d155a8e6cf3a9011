import type { ChildProcess } from 'node:child_process';
import { AzureTablesLedger } from '../../../../lib/router/stores/azure-tables/ledger';
import { AMOUNT, LIMIT, figures, runScenario, stopAll } from '../multi-process/scenario';
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

import type { ChildProcess } from 'node:child_process';
import { FirestoreLedger } from '../../../../lib/router/stores/firestore/ledger';
import { expectExactScenario, figures, runScenario, stopAll } from '../multi-process/scenario';
import { startFirestoreFakeProcess, type FirestoreFakeProcess } from '../support/firestore-fake';

let fs: FirestoreFakeProcess;
const workers: ChildProcess[] = [];
const store = { kind: 'firestore', database: 'projects/multi-process/databases/(default)', collection: 'ai-stack-ledger' } as const;

// The fake runs in a process of its own, like an emulator: the 4 workers and this process share it.
beforeAll(async () => {
  fs = await startFirestoreFakeProcess();
}, 30_000);
afterAll(async () => {
  stopAll(workers);
  await fs.stop();
});

test('4 processes, 1,000 concurrent flows, a budget for ~100: exact spend, and a killed process\'s reservations expire', async () => {
  const observer = new FirestoreLedger({ baseUrl: fs.baseUrl, database: store.database, collection: store.collection, getAccessToken: async () => 'observer-token' });
  const r = await runScenario({ ...store, baseUrl: fs.baseUrl }, observer, workers);
  if (process.env.LEDGER_FIGURES) console.info(figures('FirestoreLedger on the fake', r));

  expectExactScenario(r);
});

// Issue #14 end to end: the router under load against a tiny stack budget on the real ledger engine
// (dynalite), the stop function's watch running on its schedule (sped up), the hard stop firing at
// the threshold. Measured: how far spend went past the threshold before the stop took effect, and
// that no paid call succeeded after a caller had seen the stop.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetDepsFromEnv } from '../../../lib/budget/handlers/from-env';
import type { FleetScaler } from '../../../lib/budget/fleets/types';
import { runBudgetAction } from '../../../lib/budget/run';
import { budgetMonth } from '../../../lib/router/engine/clock';
import { deployedRouter } from '../../../lib/router/handlers/from-env';
import { silentLogger } from '../../../lib/router/log';
import { fileSecretReader } from '../../../lib/router/secrets';
import { DynamoDbLedger } from '../../../lib/router/stores/dynamodb/ledger';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../../router/stores/support/dynalite';
import { chatBody, deployedConfig, hash, KEYS } from '../../router/deploy/support/config';
import { KeyedUpstream } from '../../router/deploy/support/upstream';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** 11 prompt + 7 completion tokens at 0.001 / 0.002 USD per 1,000: 25,000 nano-dollars a request. */
const REQUEST_NANO = 25_000;
const LIMIT_USD = 0.005; // 200 requests
const HARD_STOP_PERCENT = 100;
const WATCH_EVERY_MS = 100; // the deployed schedule runs every 5 minutes
const REFRESH_MS = 200; // the router's default is 10 s
const CLIENTS = 16;

let db: Dynalite;
let upstream: KeyedUpstream;
beforeAll(async () => {
  [db, upstream] = await Promise.all([startDynalite(), KeyedUpstream.start('ok')]);
  const c = dynamoClient(db.endpoint);
  await Promise.all([createTable(c, 'ledger'), createTable(c, 'rate')]);
  c.destroy();
});
afterAll(async () => {
  await Promise.all([db?.stop(), upstream?.close()]);
});

test('under load, spend past the hard stop stays within one watch interval and one refresh of traffic, and no paid call succeeds after a caller saw the stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'overshoot-'));
  writeFileSync(join(dir, 'hashes.json'), JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
  const env = { AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'ledger', AI_STACK_RATE_TABLE: 'rate', AWS_REGION: 'us-east-1' };
  const stores = { dynamoDb: { endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } };
  const router = deployedRouter({
    env: { ...env, AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()), AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url, AI_STACK_KEY_HASHES: `file:${join(dir, 'hashes.json')}` },
    logger: silentLogger,
    log: () => undefined,
    secretReaders: { file: fileSecretReader() },
    stores,
    spendStopRefreshMs: REFRESH_MS,
  });
  const fleet = { size: 3 };
  const scaler: FleetScaler = {
    capture: async (ref) => ({ ref, min: fleet.size, max: fleet.size, desired: fleet.size }),
    scaleToZero: async () => void (fleet.size = 0),
    restore: async (c) => void (fleet.size = c.desired),
  };
  const deps = budgetDepsFromEnv({
    env: { ...env, AI_STACK_BUDGET_FLEETS: JSON.stringify([{ cloud: 'aws', id: 'gpu' }]), AI_STACK_BUDGET_TENANTS: JSON.stringify(['team-a', 'team-b']), AI_STACK_BUDGET_MONTHLY_LIMIT_USD: String(LIMIT_USD), AI_STACK_BUDGET_HARD_STOP_PERCENT: String(HARD_STOP_PERCENT) },
    scaler,
    stores,
  });

  const results: { start: number; end: number; status: number; code?: string }[] = [];
  let stopAt: number | undefined;
  let spentAtStopNano = 0;
  let firstRefusedAt = Number.POSITIVE_INFINITY;
  let done = false;
  const watch = (async () => {
    while (!done) {
      const r = await runBudgetAction({ kind: 'watch' }, deps);
      if (r.kind === 'watch' && r.report && stopAt === undefined) {
        stopAt = Date.now();
        spentAtStopNano = Math.round(r.watch.spentUsd * 1e9);
      }
      await new Promise((res) => setTimeout(res, WATCH_EVERY_MS));
    }
  })();
  const client = async () => {
    while (!done) {
      const start = Date.now();
      const res = await router.pipeline('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` }, chatBody);
      const end = Date.now();
      const code = res.status === 200 ? undefined : (JSON.parse(res.body!).error.code as string);
      results.push({ start, end, status: res.status, ...(code ? { code } : {}) });
      if (code === 'budget_stop_active') firstRefusedAt = Math.min(firstRefusedAt, end);
      // Run on for a while after the stop, to show nothing gets through.
      if (firstRefusedAt !== Number.POSITIVE_INFINITY && end - firstRefusedAt > 3 * REFRESH_MS) done = true;
    }
  };
  const deadline = setTimeout(() => (done = true), 30_000);
  await Promise.all([...Array.from({ length: CLIENTS }, client), watch]);
  clearTimeout(deadline);
  router.close();

  const ledger = new DynamoDbLedger({ client: dynamoClient(db.endpoint), tableName: 'ledger' });
  const finalNano = (await ledger.spent('team-a', budgetMonth(Date.now()))).spentNanoUsd;
  const limitNano = LIMIT_USD * 1e9;
  const served = results.filter((r) => r.status === 200);
  const elapsedS = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
  const rate = served.length / elapsedS;

  expect(stopAt).toBeDefined();
  expect(fleet.size).toBe(0);
  expect(results.some((r) => r.code === 'budget_stop_active')).toBe(true);
  expect(results.filter((r) => r.status !== 200 && r.code !== 'budget_stop_active')).toEqual([]);
  // No request that started after a caller had seen the stop was served (every instance here is one router).
  expect(served.filter((r) => r.start > firstRefusedAt)).toEqual([]);
  expect(finalNano).toBe(served.length * REQUEST_NANO);
  expect(spentAtStopNano).toBeGreaterThanOrEqual(limitNano);
  // Past the threshold: what the watch saw when it stopped, plus what ran until the routers saw the
  // flag. Bounded by the traffic of one watch interval, one refresh and the requests in flight.
  const overshootNano = finalNano - limitNano;
  const bound = (rate * (WATCH_EVERY_MS + REFRESH_MS)) / 1000 + 2 * CLIENTS;
  expect(overshootNano / REQUEST_NANO).toBeLessThanOrEqual(bound);
  console.log(
    `budget overshoot: limit ${LIMIT_USD} USD, spent ${(finalNano / 1e9).toFixed(6)} USD at the end (${((overshootNano / limitNano) * 100).toFixed(1)}% over; ` +
      `${(spentAtStopNano / 1e9).toFixed(6)} USD when the watch stopped), ${served.length} requests served at ${rate.toFixed(0)}/s by ${CLIENTS} clients, ` +
      `watch every ${WATCH_EVERY_MS} ms, flag refresh ${REFRESH_MS} ms`,
  );
}, 60_000);

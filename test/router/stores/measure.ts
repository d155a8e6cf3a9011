/**
 * Sequential reserve → settle latency and DynamoDB write units against the emulators (not a test):
 *   npx tsx test/router/stores/measure.ts [flows]
 * Emulator latency is not the cloud's, but the relative costs (requests per flow) carry over.
 */
import { performance } from 'node:perf_hooks';
import type { Ledger } from '../../../lib/router/stores/ledger';
import { DynamoDbLedger } from '../../../lib/router/stores/dynamodb/ledger';
import { AzureTablesLedger } from '../../../lib/router/stores/azure-tables/ledger';
import { DynamoDbRateLimiter } from '../../../lib/router/stores/dynamodb/rate-limiter';
import { AzureTablesRateLimiter } from '../../../lib/router/stores/azure-tables/rate-limiter';
import type { RateLimiter } from '../../../lib/router/stores/rate-limiter';
import { createTable, dynamoClient, startDynalite } from './support/dynalite';
import { createAzureTable, startAzurite, tableClient } from './support/azurite';

const FLOWS = Number(process.argv[2] ?? 300);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(name: string, ledger: Ledger, limiter: RateLimiter, units?: () => number): Promise<void> {
  const flow: number[] = [];
  const admit: number[] = [];
  const before = units?.() ?? 0;
  for (let i = 0; i < FLOWS; i++) {
    const t0 = performance.now();
    await limiter.admit({ tenant: 'm', tokens: 100, requestsPerMinute: 1e6, tokensPerMinute: 1e9, nowMs: Date.now() });
    const t1 = performance.now();
    const r = await ledger.reserve({ tenant: 'm', month: '2026-12', amountNanoUsd: 1000, limitNanoUsd: 1e15 });
    if (!r.ok) throw new Error('refused');
    await ledger.settle(r.reservation, 900);
    flow.push(performance.now() - t1);
    admit.push(t1 - t0);
  }
  const wcu = units ? ` write units per request (admit + reserve + settle): ${((units() - before) / FLOWS).toFixed(2)}` : '';
  console.log(`${name}: reserve+settle p50 ${pct(flow, 50).toFixed(2)} ms p99 ${pct(flow, 99).toFixed(2)} ms; admit p50 ${pct(admit, 50).toFixed(2)} ms p99 ${pct(admit, 99).toFixed(2)} ms (${FLOWS} sequential requests)${wcu}`);
}

async function main() {
  const db = await startDynalite();
  const client = dynamoClient(db.endpoint);
  await createTable(client, 'ledger');
  await createTable(client, 'rate');
  let wcu = 0;
  // Count the write units DynamoDB reports for every successful write of these requests.
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      wcu += (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0;
      return out;
    },
    { step: 'initialize' },
  );
  await measure('DynamoDB (dynalite)', new DynamoDbLedger({ client, tableName: 'ledger' }), new DynamoDbRateLimiter({ client, tableName: 'rate' }), () => wcu);
  await db.stop();
  client.destroy();

  const az = await startAzurite();
  await createAzureTable(az.connectionString, 'ledger');
  await createAzureTable(az.connectionString, 'rate');
  await measure('Azure Tables (azurite)', new AzureTablesLedger({ client: tableClient(az.connectionString, 'ledger') }), new AzureTablesRateLimiter({ client: tableClient(az.connectionString, 'rate') }));
  await az.stop();
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

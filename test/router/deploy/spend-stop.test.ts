// A deployed router over the real ledger engines sees the stack's spend stop that the stop function
// writes into the same table, refuses every paid call with 402 while it is active, keeps /healthz
// up, and serves again once it is cleared.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureNamedKeyCredential } from '@azure/data-tables';
import { deployedRouter, type DeployedRouter } from '../../../lib/router/handlers/from-env';
import type { StoresFromEnvOptions } from '../../../lib/router/handlers/stores-from-env';
import { silentLogger } from '../../../lib/router/log';
import { fileSecretReader } from '../../../lib/router/secrets';
import { AzureTablesSpendStop } from '../../../lib/router/stores/azure-tables/spend-stop';
import { DynamoDbSpendStop } from '../../../lib/router/stores/dynamodb/spend-stop';
import type { SpendStopStore } from '../../../lib/router/stores/spend-stop';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../stores/support/azurite';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../stores/support/dynalite';
import { chatBody, deployedConfig, hash, KEYS } from './support/config';
import { KeyedUpstream } from './support/upstream';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const REFRESH_MS = 200;

let upstream: KeyedUpstream;
let hashesFile: string;
beforeAll(async () => {
  upstream = await KeyedUpstream.start('served');
  hashesFile = join(mkdtempSync(join(tmpdir(), 'spend-stop-')), 'hashes.json');
  writeFileSync(hashesFile, JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
});
afterAll(() => upstream.close());

function start(env: Record<string, string>, stores: StoresFromEnvOptions): DeployedRouter {
  return deployedRouter({
    env: { AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()), AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url, AI_STACK_KEY_HASHES: `file:${hashesFile}`, ...env },
    logger: silentLogger,
    log: () => undefined,
    secretReaders: { file: fileSecretReader() },
    stores,
    spendStopRefreshMs: REFRESH_MS,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stopSeenWithinRefresh(router: DeployedRouter, stop: SpendStopStore): Promise<void> {
  const p = router.pipeline;
  const chat = () => p('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` }, chatBody);
  expect((await chat()).status).toBe(200);
  const calls = upstream.bodies.length;

  expect(await stop.write({ active: true, since: '2026-12-01T10:00:00.000Z', reason: 'stack budget at 100%' }, (await stop.read())?.version)).toBe(true);
  const setAt = Date.now();
  let refused: { status: number; body?: string } | undefined;
  while (Date.now() - setAt < 5 * REFRESH_MS) {
    const r = await chat();
    if (r.status !== 200) {
      refused = r;
      break;
    }
    await sleep(10);
  }
  const seenAfterMs = Date.now() - setAt;
  expect(refused?.status).toBe(402);
  expect(JSON.parse(refused!.body!).error).toMatchObject({ code: 'budget_stop_active', type: 'insufficient_quota' });
  // Documented delay: refreshMs plus one read (and this loop's own 10 ms step).
  expect(seenAfterMs).toBeLessThanOrEqual(REFRESH_MS + 150);
  const callsWhenSeen = upstream.bodies.length;
  for (let i = 0; i < 20; i++) expect((await chat()).status).toBe(402);
  expect(upstream.bodies.length).toBe(callsWhenSeen);
  expect(callsWhenSeen - calls).toBeLessThanOrEqual(Math.ceil(REFRESH_MS / 10) + 1);

  const health = await p('GET', '/healthz', {}, undefined);
  expect(health.status).toBe(200);

  expect(await stop.write({ active: false }, (await stop.read())!.version)).toBe(true);
  await sleep(REFRESH_MS + 20);
  expect((await chat()).status).toBe(200);
}

describe('the spend stop through a deployed router', () => {
  test('DynamoDB (dynalite): the record in the ledger table', async () => {
    const db: Dynalite = await startDynalite();
    try {
      const client = dynamoClient(db.endpoint);
      await Promise.all([createTable(client, 'router-ledger'), createTable(client, 'router-rate')]);
      const r = start(
        { AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'router-ledger', AI_STACK_RATE_TABLE: 'router-rate', AWS_REGION: 'us-east-1' },
        { dynamoDb: { endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } },
      );
      try {
        await stopSeenWithinRefresh(r, new DynamoDbSpendStop({ client, tableName: 'router-ledger' }));
      } finally {
        r.close();
        client.destroy();
      }
    } finally {
      await db.stop();
    }
  });

  test('Azure Tables (azurite): the record in the ledger table', async () => {
    const az: Azurite = await startAzurite();
    try {
      await Promise.all([createAzureTable(az.connectionString, 'routerledger'), createAzureTable(az.connectionString, 'routerrate')]);
      const r = start(
        { AI_STACK_ROUTER_STORE: 'azure-tables', AI_STACK_TABLES_ENDPOINT: /TableEndpoint=([^;]+);/.exec(az.connectionString)![1], AI_STACK_LEDGER_TABLE: 'routerledger', AI_STACK_RATE_TABLE: 'routerrate' },
        { azureTablesCredential: new AzureNamedKeyCredential('devstoreaccount1', AZURITE_KEY) },
      );
      try {
        await stopSeenWithinRefresh(r, new AzureTablesSpendStop({ client: tableClient(az.connectionString, 'routerledger') }));
      } finally {
        r.close();
      }
    } finally {
      await az.stop();
    }
  }, 30_000);
});

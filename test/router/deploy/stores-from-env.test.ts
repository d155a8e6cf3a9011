import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AzureNamedKeyCredential } from '@azure/data-tables';
import { budgetMonth } from '../../../lib/router/engine/clock';
import { deployedRouter } from '../../../lib/router/handlers/from-env';
import { storesFromEnv, type StoresFromEnvOptions } from '../../../lib/router/handlers/stores-from-env';
import { silentLogger } from '../../../lib/router/log';
import { fileSecretReader } from '../../../lib/router/secrets';
import type { Ledger } from '../../../lib/router/stores/ledger';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { createAzureTable, startAzurite, tableClient, type Azurite } from '../stores/support/azurite';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../stores/support/dynalite';
import { startFirestoreFake, type FirestoreFake } from '../stores/support/firestore-fake';
import { chatBody, deployedConfig, hash, KEYS } from './support/config';
import { KeyedUpstream } from './support/upstream';

/** Azurite's well-known development account (public, documented by Microsoft). */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const MAX_REQUEST_MS = 120_000;
const MARGIN_MS = 60_000;

let upstream: KeyedUpstream;
let hashesFile: string;
beforeAll(async () => {
  upstream = await KeyedUpstream.start('stored');
  hashesFile = join(mkdtempSync(join(tmpdir(), 'stores-env-')), 'hashes.json');
  writeFileSync(hashesFile, JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
});
afterAll(() => upstream.close());

/** One chat request through a deployed router built from `env`: its ledger must then hold the spend. */
async function servedThrough(env: Record<string, string>, stores: StoresFromEnvOptions): Promise<void> {
  const r = deployedRouter({
    env: { AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()), AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url, AI_STACK_KEY_HASHES: `file:${hashesFile}`, ...env },
    logger: silentLogger,
    log: () => undefined,
    secretReaders: { file: fileSecretReader() },
    stores,
  });
  try {
    const res = await r.pipeline('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` }, chatBody);
    expect(res.status).toBe(200);
    expect(r.store).toBe(env.AI_STACK_ROUTER_STORE);
  } finally {
    r.close();
  }
}

/** Reserves through the store's ledger and returns how far in the future the reservation expires. */
async function reservationLifetime(ledger: Ledger, expiresAt: (id: string) => Promise<number>): Promise<number> {
  const before = Date.now();
  const r = await ledger.reserve({ tenant: 'team-b', month: budgetMonth(before), amountNanoUsd: 5, limitNanoUsd: 1000 });
  if (!r.ok) throw new Error('expected a reservation');
  return (await expiresAt(r.reservation.id)) - before;
}

describe('AI_STACK_ROUTER_STORE=dynamodb (dynalite)', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
    const client = dynamoClient(db.endpoint);
    await Promise.all([createTable(client, 'router-ledger'), createTable(client, 'router-rate')]);
  });
  afterAll(() => db.stop());
  const env = { AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'router-ledger', AI_STACK_RATE_TABLE: 'router-rate', AWS_REGION: 'us-east-1', AI_STACK_MAX_REQUEST_MS: String(MAX_REQUEST_MS) };
  const seams = () => ({ dynamoDb: { endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } });

  test('a request is charged in the ledger table and counted in the rate table', async () => {
    await servedThrough(env, seams());
    const client = dynamoClient(db.endpoint);
    const ledger = await client.send(new GetItemCommand({ TableName: 'router-ledger', Key: { pk: { S: `team-a#${budgetMonth(Date.now())}` } }, ConsistentRead: true }));
    expect(Number(ledger.Item?.spent?.N)).toBeGreaterThan(0);
    const rate = await client.send(new GetItemCommand({ TableName: 'router-rate', Key: { pk: { S: 'team-a' } }, ConsistentRead: true }));
    expect(Number(rate.Item?.wn?.N)).toBe(1);
  });

  test('AI_STACK_MAX_REQUEST_MS is the expiry of the ledger reservations', async () => {
    const stores = storesFromEnv(env, seams());
    const client = dynamoClient(db.endpoint);
    const lifetime = await reservationLifetime(stores.ledger, async (id) => {
      const out = await client.send(new GetItemCommand({ TableName: 'router-ledger', Key: { pk: { S: `team-b#${budgetMonth(Date.now())}` } }, ConsistentRead: true }));
      return Number(out.Item?.[`o:${id}`]?.M?.e?.N);
    });
    expect(lifetime).toBeGreaterThanOrEqual(MAX_REQUEST_MS + MARGIN_MS - 5000);
    expect(lifetime).toBeLessThanOrEqual(MAX_REQUEST_MS + MARGIN_MS + 5000);
  });

  test('missing table or region variables are named', () => {
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_RATE_TABLE: 'r', AWS_REGION: 'us-east-1' })).toThrow('AI_STACK_ROUTER_STORE=dynamodb needs AI_STACK_LEDGER_TABLE: the DynamoDB ledger table name');
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'l', AI_STACK_RATE_TABLE: 'r' })).toThrow(/needs AWS_REGION/);
  });
});

describe('AI_STACK_ROUTER_STORE=azure-tables (azurite)', () => {
  let az: Azurite;
  let endpoint: string;
  beforeAll(async () => {
    az = await startAzurite();
    endpoint = /TableEndpoint=([^;]+);/.exec(az.connectionString)![1];
    await Promise.all([createAzureTable(az.connectionString, 'routerledger'), createAzureTable(az.connectionString, 'routerrate')]);
  }, 60_000);
  afterAll(() => az?.stop());
  const env = () => ({ AI_STACK_ROUTER_STORE: 'azure-tables', AI_STACK_TABLES_ENDPOINT: endpoint, AI_STACK_LEDGER_TABLE: 'routerledger', AI_STACK_RATE_TABLE: 'routerrate', AI_STACK_MAX_REQUEST_MS: String(MAX_REQUEST_MS) });
  const seams = () => ({ azureTablesCredential: new AzureNamedKeyCredential('devstoreaccount1', AZURITE_KEY) });

  test('a request is charged in the ledger table and counted in the rate table', async () => {
    await servedThrough(env(), seams());
    const ledger = await tableClient(az.connectionString, 'routerledger').getEntity<{ spent: number | bigint }>('team-a', budgetMonth(Date.now()));
    expect(Number(ledger.spent)).toBeGreaterThan(0);
    const rate = await tableClient(az.connectionString, 'routerrate').getEntity<{ ring: string }>('team-a', 'rate');
    expect(rate.ring).toBeDefined();
  });

  test('AI_STACK_MAX_REQUEST_MS is the expiry of the ledger reservations', async () => {
    const stores = storesFromEnv(env(), seams());
    const lifetime = await reservationLifetime(stores.ledger, async (id) => {
      const e = await tableClient(az.connectionString, 'routerledger').getEntity<{ open0: string }>('team-b', budgetMonth(Date.now()));
      return (JSON.parse(e.open0) as [string, number, number][]).find(([i]) => i === id)![2];
    });
    expect(lifetime).toBeGreaterThanOrEqual(MAX_REQUEST_MS + MARGIN_MS - 5000);
    expect(lifetime).toBeLessThanOrEqual(MAX_REQUEST_MS + MARGIN_MS + 5000);
  });

  test('a missing endpoint is named', () => {
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'azure-tables', AI_STACK_LEDGER_TABLE: 'l', AI_STACK_RATE_TABLE: 'r' })).toThrow('AI_STACK_ROUTER_STORE=azure-tables needs AI_STACK_TABLES_ENDPOINT: the Table storage endpoint, https://<account>.table.core.windows.net');
  });
});

describe('AI_STACK_ROUTER_STORE=firestore (REST fake)', () => {
  let fs: FirestoreFake;
  beforeAll(async () => {
    fs = await startFirestoreFake();
  });
  afterAll(() => fs.stop());
  const database = 'projects/acme/databases/(default)';
  const env = { AI_STACK_ROUTER_STORE: 'firestore', AI_STACK_FIRESTORE_DATABASE: database, AI_STACK_LEDGER_COLLECTION: 'router-ledger', AI_STACK_RATE_COLLECTION: 'router-rate', AI_STACK_MAX_REQUEST_MS: String(MAX_REQUEST_MS) };
  const seams = () => ({ firestore: { baseUrl: fs.baseUrl, getAccessToken: async () => 'fs-token' } });
  const doc = async (path: string) => (await (await fetch(`${fs.baseUrl}/v1/${database}/documents/${path}`, { headers: { authorization: 'Bearer fs-token' } })).json()) as { fields: Record<string, { integerValue?: string; mapValue?: { fields: Record<string, { mapValue: { fields: { e: { timestampValue: string } } } }> } }> };

  test('a request is charged in the ledger collection and counted in the rate collection', async () => {
    await servedThrough(env, seams());
    const ledger = await doc(`router-ledger/team-a_${budgetMonth(Date.now())}`);
    expect(Number(ledger.fields.spent.integerValue)).toBeGreaterThan(0);
    expect((await doc('router-rate/team-a')).fields).toBeDefined();
  });

  test('AI_STACK_MAX_REQUEST_MS is the expiry of the ledger reservations', async () => {
    const stores = storesFromEnv(env, seams());
    const lifetime = await reservationLifetime(stores.ledger, async (id) => Date.parse((await doc(`router-ledger/team-b_${budgetMonth(Date.now())}`)).fields.open.mapValue!.fields[id].mapValue.fields.e.timestampValue));
    expect(lifetime).toBeGreaterThanOrEqual(MAX_REQUEST_MS + MARGIN_MS - 5000);
    expect(lifetime).toBeLessThanOrEqual(MAX_REQUEST_MS + MARGIN_MS + 5000);
  });
});

describe('choosing the store', () => {
  test('memory when unset, with a warning that budgets are per instance', () => {
    const logs: string[] = [];
    const s = storesFromEnv({}, { log: (m) => logs.push(m) });
    expect(s.store).toBe('memory');
    expect(s.ledger).toBeInstanceOf(MemoryLedger);
    expect(logs).toEqual([expect.stringContaining('budgets and rate limits are kept per instance, so each instance lets a tenant spend its whole budget')]);
  });

  test('an unknown store, a store this bundle does not carry, a bad AI_STACK_MAX_REQUEST_MS', () => {
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'redis' })).toThrow('AI_STACK_ROUTER_STORE must be one of memory, dynamodb, azure-tables, firestore (got \'redis\')');
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'firestore' }, { carried: { stores: ['memory', 'dynamodb'], where: 'the AWS router bundle' } })).toThrow(
      'AI_STACK_ROUTER_STORE=firestore: the AWS router bundle carries only the stores memory, dynamodb; deploy the router bundle of the store\'s cloud',
    );
    expect(() => storesFromEnv({ AI_STACK_MAX_REQUEST_MS: '1.5' })).toThrow(/AI_STACK_MAX_REQUEST_MS must be a whole number of milliseconds >= 1/);
  });

  test("a store's missing package is one npm i line", () => {
    const none = () => false;
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'l', AI_STACK_RATE_TABLE: 'r', AWS_REGION: 'x' }, { resolvePackage: none })).toThrow(
      'AI_STACK_ROUTER_STORE=dynamodb needs the package @aws-sdk/client-dynamodb, which is not installed; run: npm i @aws-sdk/client-dynamodb',
    );
    expect(() => storesFromEnv({ AI_STACK_ROUTER_STORE: 'azure-tables', AI_STACK_TABLES_ENDPOINT: 'https://a.table.core.windows.net', AI_STACK_LEDGER_TABLE: 'l', AI_STACK_RATE_TABLE: 'r' }, { resolvePackage: none })).toThrow(
      'AI_STACK_ROUTER_STORE=azure-tables needs the packages @azure/data-tables and @azure/identity, which are not installed; run: npm i @azure/data-tables @azure/identity',
    );
  });
});

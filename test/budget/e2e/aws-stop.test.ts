// The AWS stop function as shipped (the bundle, in its own Node process, with the real AWS SDK)
// against dynalite (the router's ledger table) and a local Auto Scaling service speaking the Query
// protocol, beside a deployed router over the same table: the budget notification stops paid calls
// and empties the fleet, a second notification changes nothing, resume restores the exact sizes.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { deployedRouter } from '../../../lib/router/handlers/from-env';
import { silentLogger } from '../../../lib/router/log';
import { fileSecretReader } from '../../../lib/router/secrets';
import { createTable, dynamoClient, startDynalite, type Dynalite } from '../../router/stores/support/dynalite';
import { chatBody, deployedConfig, hash, KEYS } from '../../router/deploy/support/config';
import { KeyedUpstream } from '../../router/deploy/support/upstream';
import { FakeAutoScaling } from '../fleets/support/aws-autoscaling';
import { LocalServer } from '../fleets/support/local-server';

const { BUDGET_TARGETS, bundle } = require('../../../scripts/build-router.js') as {
  BUDGET_TARGETS: { cloud: string }[];
  bundle: (target: unknown, dir: string) => Promise<{ file: string }>;
};

const ROOT = resolve(__dirname, '../../..');
const run = promisify(execFile);
const GROUP = 'support-ai-llama-8b';
const REFRESH_MS = 200;

let db: Dynalite;
let asg: FakeAutoScaling;
let asgServer: LocalServer;
let upstream: KeyedUpstream;
let handlerFile: string;
let hashesFile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'budget-aws-'));
  [db, upstream] = await Promise.all([startDynalite(), KeyedUpstream.start('served')]);
  const client = dynamoClient(db.endpoint);
  await Promise.all([createTable(client, 'router-ledger'), createTable(client, 'router-rate')]);
  client.destroy();
  asg = new FakeAutoScaling();
  asg.addGroup(GROUP, { min: 1, max: 4, desired: 2 }, [{ name: 'weekday-morning', MinSize: 2, MaxSize: 4 }]);
  asgServer = await LocalServer.start((req) => asg.queryAnswer(req));
  handlerFile = resolve((await bundle(BUDGET_TARGETS.find((t) => t.cloud === 'aws'), dir)).file);
  hashesFile = join(dir, 'hashes.json');
  writeFileSync(hashesFile, JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.stop(), asgServer?.close(), upstream?.close()]);
});

const storeEnv = { AI_STACK_ROUTER_STORE: 'dynamodb', AI_STACK_LEDGER_TABLE: 'router-ledger', AI_STACK_RATE_TABLE: 'router-rate', AWS_REGION: 'us-east-1' };

/** One Lambda invocation of the bundled handler, in a fresh process with the function's environment. */
async function invoke(event: unknown): Promise<Record<string, unknown>> {
  const script = `require(${JSON.stringify(handlerFile)}).handler(${JSON.stringify(event)}).then((r) => process.stdout.write('\\n' + JSON.stringify(r)), (e) => { process.stdout.write('\\n' + JSON.stringify({ failed: e.message })); })`;
  const { stdout } = await run(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(ROOT, 'node_modules'),
      ...storeEnv,
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_AUTO_SCALING: asgServer.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AI_STACK_BUDGET_FLEETS: JSON.stringify([{ cloud: 'aws', id: GROUP }]),
      AI_STACK_BUDGET_TENANTS: JSON.stringify(['team-a', 'team-b']),
      AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '500',
      AI_STACK_BUDGET_HARD_STOP_PERCENT: '100',
    },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const budgetNotification = {
  Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: { Type: 'Notification', Subject: 'AWS Budgets: support-ai has exceeded your alert threshold', Message: 'AWS Budget Notification December 01, 2026\nAWS Account 123456789012\n...' } }],
};

const size = () => {
  const g = asg.groups.get(GROUP)!;
  return { min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, scheduledActionsSuspended: g.suspended.has('ScheduledActions') };
};

test('stop, stop again, resume: the router refuses paid calls within its refresh, the fleet is empty, and resume restores the exact sizes', async () => {
  const router = deployedRouter({
    env: { AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()), AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url, AI_STACK_KEY_HASHES: `file:${hashesFile}`, ...storeEnv },
    logger: silentLogger,
    log: () => undefined,
    secretReaders: { file: fileSecretReader() },
    stores: { dynamoDb: { endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } },
    spendStopRefreshMs: REFRESH_MS,
  });
  const chat = () => router.pipeline('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` }, chatBody);
  try {
    expect((await chat()).status).toBe(200);

    const stopped = await invoke(budgetNotification);
    expect(stopped).toMatchObject({ kind: 'stop', report: { already: false, changed: [GROUP], failures: [] } });
    expect(size()).toEqual({ min: 0, max: 0, desired: 0, scheduledActionsSuspended: true });
    // The schedule and target tracking cannot bring it back while stopped.
    asg.load = 4;
    asg.tick?.();
    expect(size()).toMatchObject({ desired: 0 });
    await new Promise((r) => setTimeout(r, REFRESH_MS + 20));
    const refused = await chat();
    expect(refused.status).toBe(402);
    expect(JSON.parse(refused.body!).error.code).toBe('budget_stop_active');
    expect((await router.pipeline('GET', '/healthz', {}, undefined)).status).toBe(200);

    const writesBefore = asg.writes().length;
    const again = await invoke(budgetNotification);
    expect(again).toMatchObject({ kind: 'stop', report: { already: true, replaced: [{ ref: { cloud: 'aws', id: GROUP }, min: 1, max: 4, desired: 2 }] } });
    expect(size()).toEqual({ min: 0, max: 0, desired: 0, scheduledActionsSuspended: true });
    expect(asg.writes().length - writesBefore).toBeLessThanOrEqual(2);

    expect(await invoke({ action: 'resume' })).toMatchObject({ kind: 'resume', report: { already: false, changed: [GROUP], failures: [] } });
    expect(size()).toEqual({ min: 1, max: 4, desired: 2, scheduledActionsSuspended: false });
    await new Promise((r) => setTimeout(r, REFRESH_MS + 20));
    expect((await chat()).status).toBe(200);
    expect(await invoke({ action: 'resume' })).toMatchObject({ kind: 'resume', report: { already: true } });
  } finally {
    router.close();
  }
}, 60_000);

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashKey } from '../../../lib/router/engine/keys';
import { OpenAiUpstream } from '../e2e/upstream';

// The build script is plain JS (run by node); its bundle() is what `npm run build:router` runs.
const { TARGETS, bundle } = require('../../../scripts/build-router.js') as {
  TARGETS: { cloud: string; entry: string; external: string[]; limit?: number }[];
  bundle: (target: unknown, dir: string) => Promise<{ cloud: string; file: string; bytes: number }>;
};

const run = promisify(execFile);
const KEY = 'bundle-test-key-0123456789';

/** Each cloud bundle, built as shipped and loaded in a fresh Node process, serves a chat request. */
describe('handler bundles', () => {
  let upstream: OpenAiUpstream;
  const dir = mkdtempSync(join(tmpdir(), 'router-bundles-'));

  beforeAll(async () => {
    upstream = await OpenAiUpstream.start('bundled hello');
  });
  afterAll(() => upstream.close());

  test.each(TARGETS.map((t) => t.cloud))('%s: builds, loads and answers through its platform handler', async (cloud) => {
    const built = await bundle(TARGETS.find((t) => t.cloud === cloud), dir);
    if (cloud === 'aws') expect(built.bytes).toBeLessThanOrEqual(1024 * 1024);
    const config = {
      version: 1,
      name: 'bundle-test',
      targets: [{ id: 'up', provider: 'endpoint', providerModelId: 'm', baseUrl: upstream.url, inputPer1kUsd: 0.001, outputPer1kUsd: 0.002, contextWindowTokens: 8192, maxOutputTokens: 1024 }],
      routes: [{ name: 'bench', strategy: 'ordered', targets: [{ target: 'up', weight: 1 }], tiers: [], fallbacks: [], timeoutMs: 5000, deadlineMs: 5000, retries: 0, onContentFilter: 'fail' }],
      tenants: [{ id: 't', monthlyBudgetUsd: 1, requestsPerMinute: 100, tokensPerMinute: 100000, keySha256: [hashKey(KEY)] }],
      breaker: { failureThreshold: 5, windowMs: 30000, cooldownMs: 30000 },
    };
    const { stdout } = await run(process.execPath, [join(__dirname, '../../../bench/router/cold-start.js'), cloud, join(dir, cloud, 'index.js')], {
      env: { ...process.env, AI_STACK_ROUTER_CONFIG: JSON.stringify(config), BENCH_KEY: KEY },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ cloud, status: 200 });
    expect(upstream.received[upstream.received.length - 1]).toMatchObject({ model: 'm', max_tokens: 16 });
  });
});

import { join } from 'node:path';
import { loadDesign } from '../../../lib/design/load';
import { deployedRouterConfig } from '../../../lib/router/deployed-config';
import { deployedRouter, lazyPipeline, runtimeConnections, type DeployedRouter, type DeployedRouterOptions } from '../../../lib/router/handlers/from-env';
import type { Pipeline } from '../../../lib/router/handlers/pipeline';
import { silentLogger } from '../../../lib/router/log';
import { awsSecretsManagerReader, azureKeyVaultReader } from '../../../lib/router/secrets';
import { chatBody, deployedConfig, hash, KEYS } from './support/config';
import { FakeKeyVault, FakeSecretsManager } from './support/secret-stores';
import { KeyedUpstream } from './support/upstream';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HASHES_URI = 'https://acme-router.vault.azure.net/secrets/key-hashes';
const ENDPOINT_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:llama-8b-key-AbCdEf';

let kv: FakeKeyVault;
let sm: FakeSecretsManager;
let upstream: KeyedUpstream;
const routers: DeployedRouter[] = [];

beforeAll(async () => {
  [kv, sm, upstream] = await Promise.all([new FakeKeyVault().start(), new FakeSecretsManager().start(), KeyedUpstream.start('hello from llama')]);
});
afterAll(async () => {
  routers.forEach((r) => r.close());
  await Promise.all([kv.stop(), sm.stop(), upstream.close()]);
});
beforeEach(() => {
  kv.failing = false;
  sm.failing = false;
  kv.secrets.clear();
  sm.secrets.clear();
  upstream.requiredKey = undefined;
});

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()),
    AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url,
    AI_STACK_KEY_HASHES: `azure-kv:${HASHES_URI}`,
    ...extra,
  };
}

/** A deployed router whose secret readers talk to the local fakes; messages collected in `logs`. */
function start(env: Record<string, string>, logs: string[] = [], options: DeployedRouterOptions = {}): DeployedRouter {
  const router = deployedRouter({
    env,
    logger: silentLogger,
    log: (m) => logs.push(m),
    secretReaders: {
      'azure-kv': azureKeyVaultReader({ baseUrl: kv.url, accessToken: async () => 'kv-token' }),
      'aws-sm': awsSecretsManagerReader({ clientConfig: { endpoint: sm.url, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } } }),
    },
    ...options,
  });
  routers.push(router);
  return router;
}

const setHashes = (value: Record<string, string[]>) => kv.secrets.set('key-hashes', JSON.stringify(value));
const refreshAll = (r: DeployedRouter) => Promise.all(r.secrets.map((s) => s.refresh()));

async function chat(p: Pipeline, key: string): Promise<{ status: number; error?: { code: string; message: string } }> {
  const r = await p('POST', '/v1/chat/completions', { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, chatBody);
  return { status: r.status, ...(r.status !== 200 ? { error: JSON.parse(r.body!).error } : {}) };
}

describe('tenant key hashes from the secret store', () => {
  test('added, rotated (two hashes overlap) and revoked keys take effect on the next refresh, without a restart', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const r = start(baseEnv());
    const p = r.pipeline;
    expect(await chat(p, KEYS.a1)).toEqual({ status: 200 });
    expect((await chat(p, KEYS.b1)).status).toBe(401);

    // Add team-b; rotate team-a: the old and the new key both work during the overlap.
    setHashes({ 'team-a': [hash(KEYS.a1), hash(KEYS.a2)], 'team-b': [hash(KEYS.b1)] });
    expect((await chat(p, KEYS.b1)).status).toBe(401); // not re-read yet
    await refreshAll(r);
    for (const k of [KEYS.a1, KEYS.a2, KEYS.b1]) expect(await chat(p, k)).toEqual({ status: 200 });

    // End of the overlap: the old key is revoked.
    setHashes({ 'team-a': [hash(KEYS.a2)], 'team-b': [hash(KEYS.b1)] });
    await refreshAll(r);
    expect((await chat(p, KEYS.a1)).status).toBe(401);
    expect((await chat(p, KEYS.a2)).status).toBe(200);

    // A tenant left out of the secret has no key.
    setHashes({ 'team-a': [hash(KEYS.a2)] });
    await refreshAll(r);
    expect((await chat(p, KEYS.b1)).error?.code).toBe('invalid_api_key');
  });

  test('the background refresh every AI_STACK_SECRET_REFRESH_SECONDS picks up a revocation by itself', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const r = start(baseEnv({ AI_STACK_SECRET_REFRESH_SECONDS: '0.05' }));
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    setHashes({ 'team-a': [] });
    const deadline = Date.now() + 5000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = (await chat(r.pipeline, KEYS.a1)).status;
    }
    expect(status).toBe(401);
  });

  test('without timers (a frozen instance), a request starts the due re-read; one finding the keys two intervals old waits for it', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)], 'team-b': [hash(KEYS.b1)] });
    let now = 0;
    const r = start(baseEnv(), [], { secretClock: () => now });
    r.secrets.forEach((s) => s.close());
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    // One interval on: served with the keys it has, while the re-read runs in the background.
    setHashes({ 'team-b': [hash(KEYS.b1)] });
    now = 60_000;
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await chat(r.pipeline, KEYS.a1)).status === 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(401);
    // Two intervals unread: the request waits for the re-read, so a key revoked meanwhile is never served.
    setHashes({});
    now = 180_000;
    expect(r.pipeline.preflight('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.b1}` })).toEqual({ admitted: undefined });
    expect((await chat(r.pipeline, KEYS.b1)).status).toBe(401);
  });

  test('never read: every request but /healthz is answered 503 router_secret_unavailable naming the variable, not the reference', async () => {
    kv.failing = true;
    let now = 0;
    const logs: string[] = [];
    const r = start(baseEnv(), logs, { secretClock: () => now });
    const p = r.pipeline;
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    // The head alone cannot decide: no 401 before the keys are known, the body is read and handle waits.
    expect(p.preflight('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` })).toEqual({ admitted: undefined });
    const refused = await p('POST', '/v1/chat/completions', { authorization: `Bearer ${KEYS.a1}` }, chatBody);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    const error = JSON.parse(refused.body!).error;
    expect(error).toMatchObject({ type: 'server_error', code: 'router_secret_unavailable' });
    expect(error.message).toContain('AI_STACK_KEY_HASHES');
    expect(error.message).not.toContain('vault.azure.net');
    // No key at all is not let through either.
    expect((await chat(p, '')).status).toBe(503);
    expect((await p('GET', '/v1/models', { authorization: `Bearer ${KEYS.a1}` }, undefined)).status).toBe(503);
    expect((await p('GET', '/healthz', {}, undefined)).status).toBe(200);
    expect(logs.filter((l) => l.startsWith('AI_STACK_KEY_HASHES: cannot read azure-kv:https://acme-router.vault.azure.net/secrets/key-hashes: azure-kv: get of'))).toHaveLength(1);

    // The store comes back: the next request after the retry interval reads it and is served.
    kv.failing = false;
    now = 1000;
    expect(await chat(p, KEYS.a1)).toEqual({ status: 200 });
  });

  test('a failed refresh keeps the last good keys, and is logged once for the whole streak', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const logs: string[] = [];
    const r = start(baseEnv(), logs);
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    kv.failing = true;
    await refreshAll(r);
    await refreshAll(r);
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    expect(logs.filter((l) => l.includes('re-reading') && l.includes('HTTP 500: InternalServerError'))).toHaveLength(1);
    kv.failing = false;
    await refreshAll(r);
    expect(logs.filter((l) => l.includes('was read again after failures'))).toHaveLength(1);
  });

  test('a secret with an unknown tenant or a malformed hash is refused as a whole: the last good map stays, the log names each wrong entry', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const logs: string[] = [];
    const r = start(baseEnv(), logs);
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    kv.secrets.set('key-hashes', JSON.stringify({ 'team-a': [hash(KEYS.a2)], 'team-x': [hash(KEYS.b1)], 'team-b': [KEYS.b1] }));
    await refreshAll(r);
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    expect((await chat(r.pipeline, KEYS.a2)).status).toBe(401);
    const refusal = logs.find((l) => l.includes('the key hashes are refused'));
    expect(refusal).toContain("'team-x' is not a tenant of the router (tenants: team-a, team-b)");
    expect(refusal).toContain("'team-b'[0]: 'tenant-b…(28 characters)' is not a SHA-256 hash");
    // A key itself never reaches the log.
    expect(refusal).not.toContain(KEYS.b1);
    kv.secrets.set('key-hashes', '{ not json');
    await refreshAll(r);
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
  });

  test('a hash shared by two tenants is refused', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)], 'team-b': [hash(KEYS.a1)] });
    const logs: string[] = [];
    const r = start(baseEnv(), logs);
    expect((await chat(r.pipeline, KEYS.a1)).error?.code).toBe('router_secret_unavailable');
    expect(logs.join('\n')).toContain("'team-b'[0]: the same hash is also a key of 'team-a'");
  });
});

describe('GPU endpoints at run time', () => {
  test('the key in AI_STACK_ENDPOINT_KEY_<NAME> is sent as Authorization: Bearer, and a rotated key is sent after the refresh', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    sm.secrets.set(ENDPOINT_KEY_ARN, 'sk-endpoint-one\n');
    upstream.requiredKey = 'sk-endpoint-one';
    const r = start(baseEnv({ AI_STACK_ENDPOINT_KEY_LLAMA_8B: `aws-sm:${ENDPOINT_KEY_ARN}` }));
    expect(await chat(r.pipeline, KEYS.a1)).toEqual({ status: 200 });
    expect(upstream.authorizations[upstream.authorizations.length - 1]).toBe('Bearer sk-endpoint-one');

    // Rotation: the model server takes the new key only; the router sends it from the next refresh on.
    sm.secrets.set(ENDPOINT_KEY_ARN, 'sk-endpoint-two');
    upstream.requiredKey = 'sk-endpoint-two';
    await refreshAll(r);
    expect(await chat(r.pipeline, KEYS.a1)).toEqual({ status: 200 });
    expect(upstream.authorizations[upstream.authorizations.length - 1]).toBe('Bearer sk-endpoint-two');
  });

  test('an endpoint key that was never read fails closed: 503 naming its variable, the endpoint is not called without it', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const calls = upstream.authorizations.length;
    const r = start(baseEnv({ AI_STACK_ENDPOINT_KEY_LLAMA_8B: `aws-sm:${ENDPOINT_KEY_ARN}-missing` }), []);
    const res = await chat(r.pipeline, KEYS.a1);
    expect(res.status).toBe(503);
    expect(res.error).toMatchObject({ code: 'router_secret_unavailable' });
    expect(res.error?.message).toContain('AI_STACK_ENDPOINT_KEY_LLAMA_8B');
    expect(res.error?.message).not.toContain('AI_STACK_KEY_HASHES');
    expect(upstream.authorizations.length).toBe(calls);
  });

  test('without a key variable no authorization is sent', async () => {
    setHashes({ 'team-a': [hash(KEYS.a1)] });
    const r = start(baseEnv());
    expect((await chat(r.pipeline, KEYS.a1)).status).toBe(200);
    expect(upstream.authorizations[upstream.authorizations.length - 1]).toBeUndefined();
  });

  test('a missing endpoint URL is a start-up error naming the variable (a 500 router_misconfigured behind lazyPipeline)', async () => {
    const env = baseEnv();
    delete env.AI_STACK_ENDPOINT_URL_LLAMA_8B;
    expect(() => start(env)).toThrow(/router target 'llama' \(GPU endpoint 'llama-8b'\): AI_STACK_ENDPOINT_URL_LLAMA_8B is not set; set it to the endpoint's internal URL/);
    const errors: string[] = [];
    const p = lazyPipeline(() => start(env).pipeline, (m) => errors.push(m));
    const r = await p('GET', '/healthz', {}, undefined);
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body!).error).toMatchObject({ code: 'router_misconfigured', message: expect.stringContaining('AI_STACK_ENDPOINT_URL_LLAMA_8B is not set') });
    expect(() => start({ ...env, AI_STACK_ENDPOINT_URL_LLAMA_8B: 'llama.internal:8000' })).toThrow(/AI_STACK_ENDPOINT_URL_LLAMA_8B must be an http\(s\) URL/);
  });
});

describe('start-up checks', () => {
  test('a variable that holds no secret reference is refused, naming it (a value never goes in a variable)', () => {
    expect(() => start(baseEnv({ AI_STACK_KEY_HASHES: '{"team-a":["ab"]}', AI_STACK_ENDPOINT_KEY_LLAMA_8B: 'sk-plain' }))).toThrow(
      /AI_STACK_KEY_HASHES: '\{"team-a":\["ab"\]\}' is not a secret reference[\s\S]*AI_STACK_ENDPOINT_KEY_LLAMA_8B: 'sk-plain' is not a secret reference/,
    );
  });

  test("a reader's missing package is one npm i line (outside a bundle)", () => {
    expect(() => deployedRouter({ env: baseEnv({ AI_STACK_KEY_HASHES: 'aws-sm:arn:aws:secretsmanager:us-east-1:1:secret:x' }), log: () => undefined, resolvePackage: (name) => name !== '@aws-sdk/client-secrets-manager' })).toThrow(
      'AI_STACK_KEY_HASHES: reading aws-sm: secrets needs the package @aws-sdk/client-secrets-manager, which is not installed; run: npm i @aws-sdk/client-secrets-manager',
    );
  });

  test('the memory store says budgets are per instance; no key source says every request is refused', () => {
    const logs: string[] = [];
    const env = baseEnv();
    delete env.AI_STACK_KEY_HASHES;
    const r = start(env, logs);
    expect(r.store).toBe('memory');
    expect(logs).toEqual([
      expect.stringMatching(/^AI_STACK_ROUTER_STORE is not set: budgets and rate limits are kept per instance/),
      expect.stringMatching(/^AI_STACK_KEY_HASHES is not set and the config holds no key: every request will be refused \(401\)/),
    ]);
  });
});

describe('the other connections a deployed config leaves to run time', () => {
  const vertex = { id: 'gem', provider: 'vertex', providerModelId: 'gemini-2.5-flash', region: 'us-central1', inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 1000, maxOutputTokens: 100 } as const;
  const aoai = { id: 'gpt', provider: 'azure-openai', providerModelId: 'gpt-4o-mini', inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 1000, maxOutputTokens: 100 } as const;

  test('Vertex project from AI_STACK_GCP_PROJECT (else left to the metadata server); Azure OpenAI URL from AZURE_OPENAI_ENDPOINT', () => {
    const config = deployedConfig({ targets: [vertex, aoai] });
    const filled = runtimeConnections(config, { AI_STACK_GCP_PROJECT: 'acme-prod', AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com' });
    expect(filled.targets).toEqual([{ ...vertex, project: 'acme-prod' }, { ...aoai, baseUrl: 'https://acme.openai.azure.com' }]);
    expect(runtimeConnections(config, {}).targets[0]).toEqual(vertex);
  });

  test("Bedrock targets call each tenant's application inference profile from AI_STACK_BEDROCK_TENANT_PROFILES; a typo is refused", () => {
    const haiku = { id: 'haiku', provider: 'bedrock', providerModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 1000, maxOutputTokens: 100 } as const;
    const config = deployedConfig({ targets: [haiku], routes: [] });
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/p1';
    const filled = runtimeConnections(config, { AI_STACK_BEDROCK_TENANT_PROFILES: JSON.stringify({ 'team-a': { haiku: arn } }) });
    expect(filled.targets).toEqual([{ ...haiku, tenantModelIds: { 'team-a': arn } }]);
    expect(runtimeConnections(config, {}).targets).toEqual([haiku]);
    expect(() => runtimeConnections(config, { AI_STACK_BEDROCK_TENANT_PROFILES: JSON.stringify({ 'team-c': { haiku: arn }, 'team-a': { sonnet: arn, haiku: 'x' } }) })).toThrow(
      /'team-c' is not a tenant of the router[\s\S]*'sonnet' is not a Bedrock target of the router[\s\S]*team-a\.haiku: must be a Bedrock application inference profile ARN/,
    );
  });

  test('a deployed router needs AZURE_OPENAI_ENDPOINT for its Azure OpenAI targets', () => {
    const env = { AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig({ targets: [aoai], routes: [] })) };
    expect(() => start(env)).toThrow(/router target 'gpt' \(azure-openai\): AZURE_OPENAI_ENDPOINT is not set/);
  });

  test.each(['aws', 'gcp', 'azure'] as const)('%s: the config deployedRouterConfig writes starts with the variables of the contract', (cloud) => {
    const design = loadDesign(join(__dirname, '../../../examples/ai-stack.yaml'));
    const config = deployedRouterConfig(design, cloud);
    const env: Record<string, string> = {
      AI_STACK_ROUTER_CONFIG: JSON.stringify(config),
      AI_STACK_KEY_HASHES: `azure-kv:${HASHES_URI}`,
      AI_STACK_ENDPOINT_URL_LLAMA_8B: 'http://10.0.1.20:8000',
      AI_STACK_ENDPOINT_URL_LLAMA_70B: 'http://10.0.1.21:8000',
      AI_STACK_GCP_PROJECT: 'acme',
      AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com',
    };
    const r = start(env, []);
    const targets = r.engine.config.targets;
    expect(targets.filter((t) => t.provider === 'endpoint').every((t) => t.baseUrl?.startsWith('http://10.0.1.'))).toBe(true);
    expect(targets.filter((t) => t.provider === 'vertex').every((t) => t.project === 'acme')).toBe(true);
    expect(targets.filter((t) => t.provider === 'azure-openai').every((t) => t.baseUrl === 'https://acme.openai.azure.com')).toBe(true);
  });
});

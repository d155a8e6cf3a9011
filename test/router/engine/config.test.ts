import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign } from '../../../lib/design/load';
import type { AiStackDesign } from '../../../lib/design/design';
import { routerConfigFromDesign, RouterConfigError, serializeRouterConfig } from '../../../lib/router/config';
import { parseRouterConfig } from '../../../lib/router/engine/config-check';
import { hashKey } from '../../../lib/router/engine/keys';
import { routerConfigFromEnv } from '../../../lib/router/handlers/from-env';
import { RouterEngine } from '../../../lib/router/engine/engine';
import { config as engineConfig, route, target } from './helpers';

const design = loadDesign(join(__dirname, '../../../examples/ai-stack.yaml'));
const keys = { 'support-bot': 'sb-0123456789abcdef', analytics: 'an-0123456789abcdef' };
const endpointUrls = { 'llama-8b': 'http://10.0.1.5:8000', 'llama-70b': 'http://10.0.1.6:8000' };
const build = (over = {}) => routerConfigFromDesign(design, { keys, endpointUrls, gcpProject: 'my-proj', env: {}, ...over });

describe('routerConfigFromDesign', () => {
  test('resolves catalog targets: provider model id, region, prices, window, max output', () => {
    const config = build();
    expect(config.targets.find((t) => t.id === 'haiku')).toEqual({
      id: 'haiku',
      provider: 'bedrock',
      providerModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      region: 'us-east-1',
      inputPer1kUsd: 0.0008,
      outputPer1kUsd: 0.004,
      contextWindowTokens: 200000,
      maxOutputTokens: 8192,
    });
    expect(config.targets.find((t) => t.id === 'gemini-flash')).toMatchObject({ provider: 'vertex', providerModelId: 'gemini-2.5-flash', region: 'us-central1', project: 'my-proj' });
    expect(config.targets.find((t) => t.id === 'gpt-4o-mini')).toMatchObject({ provider: 'azure-openai', providerModelId: 'gpt-4o-mini', region: 'eastus' });
  });

  test('endpoint targets take the served model name, the URL and the design window', () => {
    expect(build().targets.find((t) => t.id === 'llama-8b')).toEqual({
      id: 'llama-8b',
      provider: 'endpoint',
      providerModelId: 'meta-llama/Llama-3.1-8B-Instruct',
      baseUrl: 'http://10.0.1.5:8000',
      inputPer1kUsd: 0,
      outputPer1kUsd: 0,
      contextWindowTokens: 16384,
      maxOutputTokens: 16384,
    });
  });

  test('applies route, tenant and breaker defaults', () => {
    const config = build();
    expect(config.routes.find((r) => r.name === 'chat-premium')).toEqual({
      name: 'chat-premium',
      strategy: 'ordered',
      targets: [{ target: 'sonnet', weight: 1 }],
      tiers: [],
      fallbacks: ['gemini-pro'],
      timeoutMs: 30000,
      deadlineMs: 90000,
      retries: 2,
      onContentFilter: 'fail',
    });
    expect(config.routes.find((r) => r.name === 'chat-tiered')?.tiers[0]).toEqual({ name: 'small', maxPromptTokens: 4000, targets: [{ target: 'llama-8b', weight: 1 }, { target: 'llama-70b', weight: 1 }] });
    expect(config.tenants.find((t) => t.id === 'analytics')).toEqual({ id: 'analytics', monthlyBudgetUsd: 500, requestsPerMinute: 600, tokensPerMinute: 200000, routes: ['chat-tiered', 'chat-default'], keySha256: [hashKey(keys.analytics)] });
    expect(config.breaker).toEqual({ failureThreshold: 5, windowMs: 30000, cooldownMs: 30000 });
  });

  test('the config holds key hashes only', () => {
    const json = serializeRouterConfig(build());
    expect(json).not.toContain(keys['support-bot']);
    expect(json).toContain(hashKey(keys['support-bot']));
  });

  test('price overrides: the target, then design.prices.models, then the catalog', () => {
    const priced: AiStackDesign = { ...design, prices: { models: { 'claude-3-5-haiku': { inputPer1kUsd: 0.0005 } } } };
    const config = routerConfigFromDesign(priced, { keys, endpointUrls, env: {} });
    expect(config.targets.find((t) => t.id === 'haiku')).toMatchObject({ inputPer1kUsd: 0.0005, outputPer1kUsd: 0.004 });
  });

  test('endpoint URLs and keys can come from the environment', () => {
    const config = routerConfigFromDesign(design, {
      env: { AI_STACK_ENDPOINT_URL_LLAMA_8B: 'http://a:1', AI_STACK_ENDPOINT_URL_LLAMA_70B: 'http://b:2', AI_STACK_KEYS_JSON: JSON.stringify({ analytics: keys.analytics }), GOOGLE_CLOUD_PROJECT: 'p' },
    });
    expect(config.targets.find((t) => t.id === 'llama-70b')?.baseUrl).toBe('http://b:2');
    expect(config.targets.find((t) => t.id === 'gemini-pro')?.project).toBe('p');
    expect(config.tenants.find((t) => t.id === 'analytics')?.keySha256).toEqual([hashKey(keys.analytics)]);
    expect(config.tenants.find((t) => t.id === 'support-bot')?.keySha256).toEqual([]);
  });

  test('every problem is reported at once: missing endpoint URLs, bad keys, unknown overrides', () => {
    let error: RouterConfigError | undefined;
    try {
      routerConfigFromDesign(design, { keys: { analytics: 'short', nobody: 'x'.repeat(20) }, targets: { ghost: { baseUrl: 'http://x' } }, env: {} });
    } catch (e) {
      error = e as RouterConfigError;
    }
    expect(error).toBeInstanceOf(RouterConfigError);
    expect(error?.message).toMatch(/router.models\[5\] \(target 'llama-8b'\): no URL for GPU endpoint 'llama-8b'; .* set AI_STACK_ENDPOINT_URL_LLAMA_8B/);
    expect(error?.message).toMatch(/target 'llama-70b'/);
    expect(error?.message).toMatch(/override for target 'ghost': no such target/);
    expect(error?.message).toMatch(/'nobody' is not a tenant of the design/);
    expect(error?.message).toMatch(/the key of tenant 'analytics' has 5 characters; use at least 16/);
  });

  test('two tenants sharing a key is refused', () => {
    expect(() => build({ keys: { analytics: 'same-key-0123456789', 'support-bot': 'same-key-0123456789' } })).toThrow(/tenants 'analytics' and 'support-bot' share a key/);
  });
});

describe('the serialized config', () => {
  test('round-trips through parseRouterConfig', () => {
    const config = build();
    expect(parseRouterConfig(serializeRouterConfig(config), 'test')).toEqual(config);
  });

  test('parseRouterConfig lists every problem with its path', () => {
    const config = JSON.parse(serializeRouterConfig(build()));
    config.version = 2;
    config.routes[0].fallbacks = ['nope'];
    config.routes[1].tiers[0].targets[0].target = 'ghost';
    config.tenants[0].keySha256 = ['plain-key'];
    config.breaker.cooldownMs = 0;
    expect(() => parseRouterConfig(JSON.stringify(config), 'cfg.json')).toThrow(
      /cfg.json: version: must be 1[\s\S]*routes\[0\].fallbacks: must be an array of target ids[\s\S]*routes\[1\].tiers\[0\].targets\[0\].target: names no target \(got "ghost"\)[\s\S]*tenants\[0\].keySha256[\s\S]*breaker.cooldownMs/,
    );
  });

  test('routerConfigFromEnv reads inline JSON or a file, and adds AI_STACK_KEYS_JSON hashes', () => {
    const json = serializeRouterConfig(build({ keys: {} }));
    const fromInline = routerConfigFromEnv({ AI_STACK_ROUTER_CONFIG: json, AI_STACK_KEYS_JSON: JSON.stringify({ analytics: keys.analytics }) });
    expect(fromInline.tenants.find((t) => t.id === 'analytics')?.keySha256).toEqual([hashKey(keys.analytics)]);
    const dir = mkdtempSync(join(tmpdir(), 'router-config-'));
    writeFileSync(join(dir, 'router.json'), json);
    expect(routerConfigFromEnv({ AI_STACK_ROUTER_CONFIG: join(dir, 'router.json') }).routes).toHaveLength(3);
    expect(() => routerConfigFromEnv({})).toThrow(/AI_STACK_ROUTER_CONFIG is not set/);
    expect(() => routerConfigFromEnv({ AI_STACK_ROUTER_CONFIG: join(dir, 'missing.json') })).toThrow(/names the file .*missing.json, which cannot be read \(ENOENT\)/);
  });
});

describe('adapters at engine start', () => {
  test('by default the real provider adapters are built for every target, and their problems reported together', () => {
    const cfg = engineConfig([target('a', { baseUrl: undefined }), target('b', { baseUrl: 'not a url' }), target('c')], [route('r', ['a'], { fallbacks: ['b', 'c'] })]);
    expect(() => new RouterEngine(cfg, { logger: () => undefined })).toThrow(
      new RegExp(`cannot configure the router \\(2 problems\\):\\n  - router target 'a' \\(endpoint\\): baseUrl is required[^\\n]*\\n  - router target 'b' \\(endpoint\\): baseUrl must be an absolute http\\(s\\) URL`),
    );
  });
});

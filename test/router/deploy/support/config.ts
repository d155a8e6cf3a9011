import { hashKey } from '../../../../lib/router/engine/keys';
import type { RouterConfig } from '../../../../lib/router/config';

export const KEYS = {
  a1: 'tenant-a-key-number-one-0001',
  a2: 'tenant-a-key-number-two-0002',
  b1: 'tenant-b-key-number-one-0001',
} as const;

export const hash = (k: string) => hashKey(k);

/**
 * A router config as a `ModelRouter` construct deploys it (`deployedRouterConfig`): the GPU endpoint
 * target names its endpoint and has no URL, tenants have no key hash.
 */
export function deployedConfig(extra: Partial<RouterConfig> = {}): RouterConfig {
  return {
    version: 1,
    name: 'deploy-test',
    targets: [{ id: 'llama', provider: 'endpoint', providerModelId: 'meta-llama/Llama-3.1-8B-Instruct', endpoint: 'llama-8b', inputPer1kUsd: 0.001, outputPer1kUsd: 0.002, contextWindowTokens: 8192, maxOutputTokens: 1024 }],
    routes: [{ name: 'chat', strategy: 'ordered', targets: [{ target: 'llama', weight: 1 }], tiers: [], fallbacks: [], timeoutMs: 5000, deadlineMs: 5000, retries: 0, onContentFilter: 'fail' }],
    tenants: [
      { id: 'team-a', monthlyBudgetUsd: 10, requestsPerMinute: 1000, tokensPerMinute: 1_000_000, keySha256: [] },
      { id: 'team-b', monthlyBudgetUsd: 10, requestsPerMinute: 1000, tokensPerMinute: 1_000_000, keySha256: [] },
    ],
    breaker: { failureThreshold: 50, windowMs: 30000, cooldownMs: 30000 },
    ...extra,
  } as RouterConfig;
}

export const chatBody = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 });

import { loadDesign } from '../../../lib/design';
import { checkRouterConfig } from '../../../lib/router/engine/config-check';
import { deployedRouterConfig, splitBudget } from '../../../lib/router/deployed-config';

const design = loadDesign('examples/ai-stack.yaml');

describe('deployedRouterConfig: what a cloud construct deploys', () => {
  test('holds no connection or secret known only at deploy, and names each endpoint instead of its URL', () => {
    const config = deployedRouterConfig(design, 'aws');
    expect(checkRouterConfig(config)).toEqual([]);
    expect(config.targets.map((t) => [t.id, t.endpoint, t.baseUrl, t.apiKey])).toEqual([
      ['haiku', undefined, undefined, undefined],
      ['sonnet', undefined, undefined, undefined],
      ['llama-8b', 'llama-8b', undefined, undefined],
      ['llama-70b', 'llama-70b', undefined, undefined],
    ]);
    expect(config.tenants.every((t) => t.keySha256.length === 0)).toBe(true);
  });

  test('ignores the machine it runs on: no AI_STACK_* variable of the synth machine enters the config', () => {
    const before = { ...process.env };
    process.env.AI_STACK_ENDPOINT_URL_LLAMA_8B = 'http://synth-machine:8000';
    process.env.AI_STACK_KEYS_JSON = JSON.stringify({ analytics: 'a-key-from-the-laptop-0123456789' });
    process.env.AI_STACK_GCP_PROJECT = 'laptop-project';
    try {
      expect(JSON.stringify(deployedRouterConfig(design, 'gcp'))).not.toMatch(/synth-machine|laptop-project|"[0-9a-f]{64}"/);
    } finally {
      process.env = before;
    }
  });

  test('splits each tenant budget between the clouds that deploy the router, never above the design', () => {
    const three = deployedRouterConfig(design, 'azure', 3);
    expect(three.tenants.map((t) => t.monthlyBudgetUsd)).toEqual([1000, 166.666666666]);
    expect(splitBudget(500, 3) * 3).toBeLessThanOrEqual(500);
    expect(splitBudget(0.000000002, 3)).toBe(0);
    expect(() => deployedRouterConfig(design, 'aws', 0)).toThrow(/routerClouds must be a whole number >= 1/);
  });
});

import { placeRouter, servesProvider } from '../../lib/design/router-placement';
import type { RouterDesign } from '../../lib/design/router';

const router: RouterDesign = {
  models: [
    { id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' },
    { id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' },
    { id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' },
    { id: 'llama', provider: 'endpoint', model: 'llama' },
  ],
  routes: [
    { name: 'ab', strategy: 'weighted', targets: [{ model: 'haiku', weight: 3 }, { model: 'mini', weight: 1 }], fallbacks: ['flash', 'llama'] },
    { name: 'tiered', strategy: 'tiered', targets: [], tiers: [{ name: 'small', maxPromptTokens: 100, targets: [{ model: 'llama' }] }, { name: 'large', targets: [{ model: 'flash' }] }] },
    { name: 'premium', targets: [{ model: 'haiku' }] },
  ],
  tenants: [{ id: 'a', monthlyBudgetUsd: 10, routes: ['premium', 'ab'] }],
  traffic: [{ route: 'premium', requestsPerDay: 10, avgInputTokens: 1, avgOutputTokens: 1 }],
};

describe('placeRouter: what each cloud serves', () => {
  test('a cloud calls its own managed provider and every GPU endpoint', () => {
    expect(['bedrock', 'vertex', 'azure-openai', 'endpoint'].map((p) => servesProvider(p as never, 'gcp'))).toEqual([false, true, false, true]);
  });

  test('on AWS: other clouds\' targets leave, weights stay on what remains, empty tiers leave', () => {
    const p = placeRouter(router, 'aws');
    expect(p.router.models.map((m) => m.id)).toEqual(['haiku', 'llama']);
    expect(p.targetsElsewhere).toEqual(['flash', 'mini']);
    expect(p.router.routes.map((r) => [r.name, r.targets.map((t) => t.model), (r.tiers ?? []).map((t) => t.name), r.fallbacks])).toEqual([
      ['ab', ['haiku'], [], ['llama']],
      ['tiered', [], ['small'], []],
      ['premium', ['haiku'], [], []],
    ]);
    expect(p.routesElsewhere).toEqual([]);
  });

  test('on GCP and Azure: a route whose chosen targets run elsewhere serves from its fallbacks, in order; a route with nothing left leaves, and tenants and traffic follow', () => {
    const p = placeRouter(router, 'gcp');
    const ab = p.router.routes.find((r) => r.name === 'ab')!;
    expect(ab).toMatchObject({ strategy: 'ordered', targets: [{ model: 'flash' }, { model: 'llama' }], fallbacks: [] });
    const azure = placeRouter(router, 'azure');
    expect(azure.router.routes.map((r) => r.name)).toEqual(['ab', 'tiered']);
    expect(azure.routesElsewhere).toEqual(['premium']);
    expect(azure.router.tenants).toEqual([{ id: 'a', monthlyBudgetUsd: 10, routes: ['ab'] }]);
    expect(azure.router.traffic).toEqual([]);
  });
});

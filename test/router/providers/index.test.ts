import { AzureOpenAIAdapter, BedrockAdapter, createAdapter, EndpointAdapter, ProviderError, VertexAdapter, type TargetConfig } from '../../../lib/router/providers';

const base = { inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 8192 };

describe('createAdapter', () => {
  test.each([
    [{ id: 'a', provider: 'bedrock', providerModelId: 'amazon.nova-lite-v1:0', region: 'us-east-1' }, BedrockAdapter],
    [{ id: 'b', provider: 'vertex', providerModelId: 'gemini-2.5-flash', region: 'us-central1', project: 'p' }, VertexAdapter],
    [{ id: 'c', provider: 'azure-openai', providerModelId: 'gpt-4o-mini', baseUrl: 'https://acme.openai.azure.com' }, AzureOpenAIAdapter],
    [{ id: 'd', provider: 'endpoint', providerModelId: 'llama', baseUrl: 'http://10.0.1.20:8000' }, EndpointAdapter],
  ] as const)('builds the %o adapter', (config, kind) => {
    const target = { ...base, ...config } as TargetConfig;
    const adapter = createAdapter(target);
    expect(adapter).toBeInstanceOf(kind);
    expect(adapter.target).toBe(target);
  });

  test('passes target errors through at build time', () => {
    expect(() => createAdapter({ ...base, id: 'd', provider: 'endpoint', providerModelId: 'llama' })).toThrow("router target 'd' (endpoint): baseUrl is required");
  });

  test('rejects an unknown provider, listing the allowed ones', () => {
    expect(() => createAdapter({ ...base, id: 'x', provider: 'openai' as never, providerModelId: 'gpt' })).toThrow("router target 'x': unknown provider 'openai'; allowed: bedrock, vertex, azure-openai, endpoint");
  });

  test('re-exports the contract', () => {
    expect(new ProviderError('throttled', 'slow down', 429, 1000)).toMatchObject({ name: 'ProviderError', kind: 'throttled', status: 429, retryAfterMs: 1000 });
  });
});

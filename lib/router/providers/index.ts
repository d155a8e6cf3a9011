import { AzureOpenAIAdapter } from './azure-openai';
import { BedrockAdapter } from './bedrock';
import { EndpointAdapter } from './endpoint';
import { VertexAdapter } from './vertex';
import type { AdapterFactory, ProviderAdapter, TargetConfig } from './types';

export * from './types';
export { AZURE_OPENAI_DEFAULT_API_VERSION, AZURE_OPENAI_TOKEN_SCOPE, AzureOpenAIAdapter, type AzureOpenAIAdapterOptions } from './azure-openai';
export { BedrockAdapter, type BedrockAdapterOptions } from './bedrock';
export { EndpointAdapter } from './endpoint';
export { VERTEX_SCOPE, VertexAdapter, type VertexAdapterOptions } from './vertex';

/**
 * The adapter for a target's provider, with each cloud's default credentials. Throws (at router start)
 * when the target lacks what its provider needs, naming the target and the field.
 */
export const createAdapter: AdapterFactory = (target: TargetConfig): ProviderAdapter => {
  switch (target.provider) {
    case 'bedrock':
      return new BedrockAdapter(target);
    case 'vertex':
      return new VertexAdapter(target);
    case 'azure-openai':
      return new AzureOpenAIAdapter(target);
    case 'endpoint':
      return new EndpointAdapter(target);
    default:
      throw new Error(`router target '${(target as TargetConfig).id}': unknown provider '${(target as TargetConfig).provider}'; allowed: bedrock, vertex, azure-openai, endpoint`);
  }
};

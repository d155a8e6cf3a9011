/** The managed model providers the router speaks to, plus the design's own GPU endpoints. */
export type ModelProvider = 'bedrock' | 'vertex' | 'azure-openai' | 'endpoint';

export const MODEL_PROVIDERS: readonly ModelProvider[] = ['bedrock', 'vertex', 'azure-openai', 'endpoint'];

/** A managed model: its id at the provider, context window and per-1K-token prices. */
export interface ModelSpec {
  /** Catalog id used in designs, e.g. `claude-3-5-haiku`. */
  readonly id: string;
  readonly provider: Exclude<ModelProvider, 'endpoint'>;
  /** The provider's own id: Bedrock model id, Vertex publisher model, Azure OpenAI model name. */
  readonly providerModelId: string;
  /** Azure OpenAI model version (deployments name a model and a version). */
  readonly version?: string;
  readonly contextWindowTokens: number;
  readonly maxOutputTokens: number;
  /** USD per 1,000 input tokens. */
  readonly inputPer1kUsd: number;
  /** USD per 1,000 output tokens (0 for embedding models). */
  readonly outputPer1kUsd: number;
  /** 'chat' for completion models, 'embedding' for embedding models. */
  readonly kind: 'chat' | 'embedding';
  /** Output dimensions of an embedding model. */
  readonly dimensions?: number;
}

// Prices: Bedrock on-demand, us-east-1 (aws.amazon.com/bedrock/pricing); Vertex AI Gemini standard
// tier, prompts <= 200K tokens (cloud.google.com/vertex-ai/generative-ai/pricing); Azure OpenAI
// global standard deployments (azure.microsoft.com/pricing/details/cognitive-services/openai-service).
// Noted 2025-10. Override any price per design with `prices.models`.
const MODELS: readonly ModelSpec[] = [
  // Amazon Bedrock
  { id: 'claude-sonnet-4', provider: 'bedrock', providerModelId: 'anthropic.claude-sonnet-4-20250514-v1:0', contextWindowTokens: 200000, maxOutputTokens: 64000, inputPer1kUsd: 0.003, outputPer1kUsd: 0.015, kind: 'chat' },
  { id: 'claude-3-5-haiku', provider: 'bedrock', providerModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', contextWindowTokens: 200000, maxOutputTokens: 8192, inputPer1kUsd: 0.0008, outputPer1kUsd: 0.004, kind: 'chat' },
  { id: 'nova-pro', provider: 'bedrock', providerModelId: 'amazon.nova-pro-v1:0', contextWindowTokens: 300000, maxOutputTokens: 5120, inputPer1kUsd: 0.0008, outputPer1kUsd: 0.0032, kind: 'chat' },
  { id: 'nova-lite', provider: 'bedrock', providerModelId: 'amazon.nova-lite-v1:0', contextWindowTokens: 300000, maxOutputTokens: 5120, inputPer1kUsd: 0.00006, outputPer1kUsd: 0.00024, kind: 'chat' },
  { id: 'nova-micro', provider: 'bedrock', providerModelId: 'amazon.nova-micro-v1:0', contextWindowTokens: 128000, maxOutputTokens: 5120, inputPer1kUsd: 0.000035, outputPer1kUsd: 0.00014, kind: 'chat' },
  { id: 'llama-3-1-70b', provider: 'bedrock', providerModelId: 'meta.llama3-1-70b-instruct-v1:0', contextWindowTokens: 128000, maxOutputTokens: 2048, inputPer1kUsd: 0.00072, outputPer1kUsd: 0.00072, kind: 'chat' },
  { id: 'titan-embed-text-v2', provider: 'bedrock', providerModelId: 'amazon.titan-embed-text-v2:0', contextWindowTokens: 8192, maxOutputTokens: 0, inputPer1kUsd: 0.00002, outputPer1kUsd: 0, kind: 'embedding', dimensions: 1024 },
  // Vertex AI
  { id: 'gemini-2-5-pro', provider: 'vertex', providerModelId: 'gemini-2.5-pro', contextWindowTokens: 1048576, maxOutputTokens: 65535, inputPer1kUsd: 0.00125, outputPer1kUsd: 0.01, kind: 'chat' },
  { id: 'gemini-2-5-flash', provider: 'vertex', providerModelId: 'gemini-2.5-flash', contextWindowTokens: 1048576, maxOutputTokens: 65535, inputPer1kUsd: 0.0003, outputPer1kUsd: 0.0025, kind: 'chat' },
  { id: 'gemini-2-5-flash-lite', provider: 'vertex', providerModelId: 'gemini-2.5-flash-lite', contextWindowTokens: 1048576, maxOutputTokens: 65535, inputPer1kUsd: 0.0001, outputPer1kUsd: 0.0004, kind: 'chat' },
  { id: 'gemini-2-0-flash', provider: 'vertex', providerModelId: 'gemini-2.0-flash-001', contextWindowTokens: 1048576, maxOutputTokens: 8192, inputPer1kUsd: 0.00015, outputPer1kUsd: 0.0006, kind: 'chat' },
  { id: 'text-embedding-005', provider: 'vertex', providerModelId: 'text-embedding-005', contextWindowTokens: 2048, maxOutputTokens: 0, inputPer1kUsd: 0.000025, outputPer1kUsd: 0, kind: 'embedding', dimensions: 768 },
  // Azure OpenAI
  { id: 'gpt-4o', provider: 'azure-openai', providerModelId: 'gpt-4o', version: '2024-11-20', contextWindowTokens: 128000, maxOutputTokens: 16384, inputPer1kUsd: 0.0025, outputPer1kUsd: 0.01, kind: 'chat' },
  { id: 'gpt-4o-mini', provider: 'azure-openai', providerModelId: 'gpt-4o-mini', version: '2024-07-18', contextWindowTokens: 128000, maxOutputTokens: 16384, inputPer1kUsd: 0.00015, outputPer1kUsd: 0.0006, kind: 'chat' },
  { id: 'gpt-4-1', provider: 'azure-openai', providerModelId: 'gpt-4.1', version: '2025-04-14', contextWindowTokens: 1047576, maxOutputTokens: 32768, inputPer1kUsd: 0.002, outputPer1kUsd: 0.008, kind: 'chat' },
  { id: 'gpt-4-1-mini', provider: 'azure-openai', providerModelId: 'gpt-4.1-mini', version: '2025-04-14', contextWindowTokens: 1047576, maxOutputTokens: 32768, inputPer1kUsd: 0.0004, outputPer1kUsd: 0.0016, kind: 'chat' },
  { id: 'o4-mini', provider: 'azure-openai', providerModelId: 'o4-mini', version: '2025-04-16', contextWindowTokens: 200000, maxOutputTokens: 100000, inputPer1kUsd: 0.0011, outputPer1kUsd: 0.0044, kind: 'chat' },
  { id: 'text-embedding-3-small', provider: 'azure-openai', providerModelId: 'text-embedding-3-small', version: '1', contextWindowTokens: 8191, maxOutputTokens: 0, inputPer1kUsd: 0.00002, outputPer1kUsd: 0, kind: 'embedding', dimensions: 1536 },
];

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export function allModels(): readonly ModelSpec[] {
  return MODELS;
}

export function findModel(id: string): ModelSpec | undefined {
  return BY_ID.get(id);
}

import { AZURE_OPENAI_DEFAULT_API_VERSION } from '../../router/providers/azure-openai';
import { describe, isObject } from '../../router/providers/errors';
import { postJson, readJson } from '../../router/providers/http';
import { ProviderError } from '../../router/providers/types';
import { azureOpenAiAccessToken } from './auth';
import { isVector } from './vertex';
import type { BatchEmbedder, EmbeddingResult } from './types';

/*
 * Wire format (learn.microsoft.com/azure/ai-services/openai/how-to/embeddings and the data-plane
 * REST reference):
 *   POST {endpoint}/openai/deployments/{deployment}/embeddings?api-version=…   {"input":["…", …]}
 *   → {"data":[{"index":i,"embedding":[…]}], "usage":{"prompt_tokens":n,"total_tokens":n}}
 * Limits (same how-to, "Best practices"): at most 2048 inputs per request and 8,192 tokens per input;
 * the page also caps the tokens summed over a request (its figure was not verified here, so the
 * default below is a conservative 100,000).
 */
export const AZURE_OPENAI_MAX_BATCH_TEXTS = 2048;
export const AZURE_OPENAI_DEFAULT_BATCH_TOKENS = 100_000;

export interface AzureOpenAIEmbedderOptions {
  /** `https://{resource}.openai.azure.com` */
  readonly endpoint: string;
  readonly deployment: string;
  /** @default the router's GA version, 2024-10-21 */
  readonly apiVersion?: string;
  /** When set, `dimensions` (text-embedding-3 models only). */
  readonly dimensions?: number;
  /** @default - DefaultAzureCredential (managed identity) */
  readonly accessToken?: () => Promise<string>;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** @default 2048 */
  readonly maxBatchTexts?: number;
  /** @default 100000 */
  readonly maxBatchTokens?: number;
}

export class AzureOpenAIEmbedder implements BatchEmbedder {
  readonly where: string;
  readonly maxBatchTexts: number;
  readonly maxBatchTokens: number;
  private readonly url: string;
  private readonly token: () => Promise<string>;

  constructor(private readonly options: AzureOpenAIEmbedderOptions) {
    const base = options.endpoint.replace(/\/+$/, '');
    const version = options.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION;
    this.url = `${base}/openai/deployments/${encodeURIComponent(options.deployment)}/embeddings?api-version=${encodeURIComponent(version)}`;
    this.where = `azure-openai ${options.deployment}`;
    this.token = options.accessToken ?? azureOpenAiAccessToken;
    this.maxBatchTexts = Math.min(options.maxBatchTexts ?? AZURE_OPENAI_MAX_BATCH_TEXTS, AZURE_OPENAI_MAX_BATCH_TEXTS);
    this.maxBatchTokens = options.maxBatchTokens ?? AZURE_OPENAI_DEFAULT_BATCH_TOKENS;
  }

  async embedBatch(texts: readonly string[]): Promise<EmbeddingResult> {
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      throw new ProviderError('auth', `${this.where}: no Microsoft Entra token: ${describe(error)}`);
    }
    const body: Record<string, unknown> = { input: texts };
    if (this.options.dimensions !== undefined) body.dimensions = this.options.dimensions;
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const response = await postJson(this.where, this.url, { authorization: `Bearer ${token}` }, body, signal);
    return parseAzureEmbeddings(this.where, await readJson(this.where, response, signal), texts.length);
  }
}

/** Vectors in input order (by `index`, which the API returns; order of `data` is not relied on). */
export function parseAzureEmbeddings(where: string, answer: unknown, expected: number): EmbeddingResult {
  const bad = (why: string) => new ProviderError('server', `${where}: malformed answer: ${why}`);
  if (!isObject(answer) || !Array.isArray(answer.data)) throw bad('no data array');
  if (answer.data.length !== expected) throw bad(`${answer.data.length} embeddings for ${expected} inputs`);
  const vectors: number[][] = new Array(expected);
  answer.data.forEach((d, i) => {
    const index = isObject(d) && typeof d.index === 'number' ? d.index : i;
    if (!isObject(d) || !isVector(d.embedding)) throw bad(`data[${i}].embedding is not an array of numbers`);
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index]) throw bad(`data[${i}].index ${index} is out of range or repeated`);
    vectors[index] = d.embedding;
  });
  const usage = isObject(answer.usage) ? answer.usage.prompt_tokens : undefined;
  return { vectors, tokens: typeof usage === 'number' ? usage : 0 };
}

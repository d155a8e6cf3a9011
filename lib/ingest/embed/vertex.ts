import { describe, isObject } from '../../router/providers/errors';
import { postJson, readJson } from '../../router/providers/http';
import { ProviderError } from '../../router/providers/types';
import { vertexEndpoint } from '../../router/providers/vertex';
import { googleAccessToken } from './auth';
import type { BatchEmbedder, EmbeddingResult } from './types';

/*
 * Wire format (Vertex AI "Get text embeddings" and the text embeddings API reference,
 * cloud.google.com/vertex-ai/generative-ai/docs/embeddings/get-text-embeddings):
 *   POST {base}/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:predict
 *   {"instances":[{"content":"…","task_type":"RETRIEVAL_DOCUMENT"}], "parameters":{"autoTruncate":…}}
 *   → {"predictions":[{"embeddings":{"values":[…],"statistics":{"token_count":n,"truncated":b}}}]}
 * Limits (cloud.google.com/vertex-ai/generative-ai/docs/quotas, "Text embedding limits"): up to 250
 * input texts and 20,000 tokens per request; only the first 2,048 tokens of each text are embedded.
 * `autoTruncate` (TextEmbeddingPredictionParams) defaults to true.
 */
export const VERTEX_MAX_BATCH_TEXTS = 250;
export const VERTEX_MAX_BATCH_TOKENS = 20_000;

export interface VertexEmbedderOptions {
  readonly project: string;
  /** Vertex AI location, e.g. `us-central1`. */
  readonly region: string;
  /** Publisher model id, e.g. `text-embedding-005`. */
  readonly model: string;
  /** @default 'RETRIEVAL_DOCUMENT' (chunks are what queries are matched against) */
  readonly taskType?: string;
  /** When set, `parameters.outputDimensionality`. */
  readonly outputDimensionality?: number;
  /** @default - the regional public endpoint */
  readonly baseUrl?: string;
  /** @default - Application Default Credentials */
  readonly accessToken?: () => Promise<string>;
  /** Per request. @default 60000 */
  readonly timeoutMs?: number;
  /** Lower than the service's when a quota is tighter. @default 250 */
  readonly maxBatchTexts?: number;
  /** @default 20000 */
  readonly maxBatchTokens?: number;
}

export class VertexEmbedder implements BatchEmbedder {
  readonly where: string;
  readonly maxBatchTexts: number;
  readonly maxBatchTokens: number;
  private readonly url: string;
  private readonly token: () => Promise<string>;

  constructor(private readonly options: VertexEmbedderOptions) {
    const base = (options.baseUrl ?? vertexEndpoint(options.region)).replace(/\/+$/, '');
    const e = encodeURIComponent;
    this.url = `${base}/v1/projects/${e(options.project)}/locations/${e(options.region)}/publishers/google/models/${e(options.model)}:predict`;
    this.where = `vertex ${options.model}`;
    this.token = options.accessToken ?? googleAccessToken;
    this.maxBatchTexts = Math.min(options.maxBatchTexts ?? VERTEX_MAX_BATCH_TEXTS, VERTEX_MAX_BATCH_TEXTS);
    this.maxBatchTokens = Math.min(options.maxBatchTokens ?? VERTEX_MAX_BATCH_TOKENS, VERTEX_MAX_BATCH_TOKENS);
  }

  async embedBatch(texts: readonly string[]): Promise<EmbeddingResult> {
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      throw new ProviderError('auth', `${this.where}: no Google credentials: ${describe(error)}`);
    }
    const taskType = this.options.taskType ?? 'RETRIEVAL_DOCUMENT';
    const body: Record<string, unknown> = { instances: texts.map((content) => ({ content, task_type: taskType })) };
    if (this.options.outputDimensionality !== undefined) body.parameters = { outputDimensionality: this.options.outputDimensionality };
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const response = await postJson(this.where, this.url, { authorization: `Bearer ${token}` }, body, signal);
    return parseVertexPredictions(this.where, await readJson(this.where, response, signal), texts.length);
  }
}

/** The vectors and token count of a `:predict` answer; a malformed one is a server fault, not retried. */
export function parseVertexPredictions(where: string, answer: unknown, expected: number): EmbeddingResult {
  const bad = (why: string) => new ProviderError('server', `${where}: malformed answer: ${why}`);
  if (!isObject(answer) || !Array.isArray(answer.predictions)) throw bad('no predictions array');
  if (answer.predictions.length !== expected) throw bad(`${answer.predictions.length} predictions for ${expected} inputs`);
  let tokens = 0;
  const vectors = answer.predictions.map((p, i) => {
    const emb = isObject(p) ? p.embeddings : undefined;
    if (!isObject(emb) || !isVector(emb.values)) throw bad(`predictions[${i}].embeddings.values is not an array of numbers`);
    const count = isObject(emb.statistics) ? emb.statistics.token_count : undefined;
    if (typeof count === 'number') tokens += count;
    return emb.values;
  });
  return { vectors, tokens };
}

export function isVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

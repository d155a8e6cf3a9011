import type { GoogleAuth } from 'google-auth-library';
import { classifyHttpError, describe, errorDetails, isObject } from './errors';
import { parseJson, postJson, readJson, sseData, type UpstreamResponse } from './http';
import { estimateUsage, splitConversation } from './messages';
import { baseUrlOf, requireField, requireProvider, whereOf } from './target';
import { ProviderError, type CompletionResult, type FinishReason, type ProviderAdapter, type ProviderRequest, type StreamEvent, type TargetConfig, type Usage } from './types';
import type { CancelSignal } from '../engine/cancel';

/** OAuth scope of Vertex AI calls. */
export const VERTEX_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface VertexAdapterOptions {
  /**
   * Returns an OAuth 2 access token with the cloud-platform scope. When given, the target must name its
   * `project`.
   * @default - Application Default Credentials from google-auth-library (on Cloud Functions, the
   *   function's service account through the metadata server), which also supply the project when the
   *   target names none
   */
  readonly accessToken?: () => Promise<string>;
}

/** The public Vertex AI endpoint of a location: regional, or the global endpoint for `global`. */
export function vertexEndpoint(region: string): string {
  return region === 'global' ? 'https://aiplatform.googleapis.com' : `https://${region}-aiplatform.googleapis.com`;
}

/** Gemini finish reasons that mean a safety or policy block rather than a natural end. */
const FILTER_FINISH_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/**
 * A Gemini model on Vertex AI, called through `generateContent` / `streamGenerateContent?alt=sse` of
 * the publisher model in the target's region and project.
 */
export class VertexAdapter implements ProviderAdapter {
  private readonly base: string;
  private readonly region: string;
  private readonly where: string;
  private readonly accessToken: () => Promise<string>;
  private readonly project: () => Promise<string>;

  constructor(
    public readonly target: TargetConfig,
    options: VertexAdapterOptions = {},
  ) {
    requireProvider(target, 'vertex');
    this.region = requireField(target, 'region', "set it to a Vertex AI location such as 'us-central1', or 'global'");
    this.base = baseUrlOf(target, target.baseUrl ?? vertexEndpoint(this.region));
    this.where = whereOf(target);
    if (options.accessToken) {
      const project = requireField(target, 'project', 'set the GCP project id (required when an access token function is given)');
      this.accessToken = options.accessToken;
      this.project = async () => project;
    } else {
      const project = target.project;
      this.accessToken = async () => (await (await googleAuth()).getAccessToken()) ?? '';
      this.project = project ? async () => project : async () => (await googleAuth()).getProjectId();
    }
  }

  async complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult> {
    const response = await this.post('generateContent', request, signal);
    const answer = await readJson(this.where, response, signal);
    const { text, finish } = this.candidate(answer);
    if (finish === undefined && text === '') throw new ProviderError('server', `${this.where}: answer has no candidate`);
    return { content: text, finishReason: finish ?? 'stop', usage: usageOf(answer) ?? estimateUsage(request.messages, text, request.maxTokens) };
  }

  async *stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent> {
    const response = await this.post('streamGenerateContent?alt=sse', request, signal);
    let finish: FinishReason | undefined;
    let usage: Usage | undefined;
    let output = '';
    for await (const data of sseData(this.where, response, signal)) {
      const chunk = parseJson(this.where, data);
      const { text, finish: f } = this.candidate(chunk);
      if (text !== '') {
        output += text;
        yield { type: 'delta', text };
      }
      finish = f ?? finish;
      // Each chunk carries the usage so far; the last one has the totals.
      const u = usageOf(chunk);
      if (u) {
        usage = u;
        yield { type: 'usage', usage: u };
      }
    }
    if (finish === undefined) throw new ProviderError('server', `${this.where}: stream ended before a finish reason`);
    yield { type: 'done', finishReason: finish, usage: usage ?? estimateUsage(request.messages, output, request.maxTokens) };
  }

  private async post(method: string, request: ProviderRequest, signal: CancelSignal): Promise<UpstreamResponse> {
    let token: string;
    let project: string;
    try {
      [token, project] = await Promise.all([this.accessToken(), this.project()]);
    } catch (error) {
      throw new ProviderError('auth', `${this.where}: no Google credentials: ${describe(error)}`);
    }
    if (!token) throw new ProviderError('auth', `${this.where}: no Google access token`);
    const url = `${this.base}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(this.region)}/publishers/google/models/${encodeURIComponent(this.target.providerModelId)}:${method}`;
    return postJson(this.where, url, { authorization: `Bearer ${token}` }, this.body(request), signal);
  }

  private body(request: ProviderRequest): Record<string, unknown> {
    const { system, turns } = splitConversation(request.messages);
    const generationConfig: Record<string, unknown> = { maxOutputTokens: request.maxTokens };
    if (request.temperature !== undefined) generationConfig.temperature = request.temperature;
    if (request.topP !== undefined) generationConfig.topP = request.topP;
    if (request.stop && request.stop.length > 0) generationConfig.stopSequences = request.stop;
    const body: Record<string, unknown> = {
      contents: turns.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: [{ text: t.text }] })),
      generationConfig,
    };
    if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };
    const labels = vertexLabels(request);
    if (labels) body.labels = labels;
    return body;
  }

  /** The answer text and finish reason of the first candidate of a response or stream chunk. */
  private candidate(answer: unknown): { text: string; finish?: FinishReason } {
    if (!isObject(answer)) return { text: '' };
    if (answer.error !== undefined) {
      const { message, codes } = errorDetails(answer, '');
      const status = isObject(answer.error) && typeof answer.error.code === 'number' ? answer.error.code : 500;
      throw new ProviderError(classifyHttpError(status, message, codes), `${this.where}: error in answer: ${message}`);
    }
    const candidate = Array.isArray(answer.candidates) ? answer.candidates[0] : undefined;
    const feedback = isObject(answer.promptFeedback) ? answer.promptFeedback : {};
    if (!isObject(candidate) && typeof feedback.blockReason === 'string') {
      const detail = typeof feedback.blockReasonMessage === 'string' ? `: ${feedback.blockReasonMessage}` : '';
      throw new ProviderError('content_filter', `${this.where}: prompt blocked (${feedback.blockReason})${detail}`);
    }
    if (!isObject(candidate)) return { text: '' };
    const parts = isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
    // Thought summaries (`thought: true`) are the model's reasoning, not its answer.
    const text = parts.map((p) => (isObject(p) && p.thought !== true && typeof p.text === 'string' ? p.text : '')).join('');
    const reason = candidate.finishReason;
    if (typeof reason !== 'string') return { text };
    return { text, finish: reason === 'MAX_TOKENS' ? 'length' : FILTER_FINISH_REASONS.has(reason) ? 'content_filter' : 'stop' };
  }
}

/** Gemini 2.5 bills thinking tokens as output, so they count as completion tokens. */
function usageOf(answer: unknown): Usage | undefined {
  if (!isObject(answer) || !isObject(answer.usageMetadata)) return undefined;
  const u = answer.usageMetadata;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { promptTokens: n(u.promptTokenCount), completionTokens: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount) };
}

let sharedAuth: Promise<GoogleAuth> | undefined;

/**
 * One GoogleAuth for every Vertex target of the process, so the token is fetched and refreshed once.
 * google-auth-library loads on first use only: a router without Vertex targets never loads it.
 */
function googleAuth(): Promise<GoogleAuth> {
  sharedAuth ??= import('google-auth-library').then((m) => new m.GoogleAuth({ scopes: [VERTEX_SCOPE] }));
  return sharedAuth;
}

/** A Vertex AI access token from the process's one GoogleAuth (the ingestion job shares it too). */
export async function vertexAccessToken(): Promise<string> {
  return (await (await googleAuth()).getAccessToken()) ?? '';
}

/**
 * The request's tenant and route as Vertex AI `labels` (generateContent's billing labels), so Cloud
 * Billing reports split Vertex spend per tenant and route. Label values are at most 63 lowercase
 * letters, digits, `_` and `-`: other characters become `_`.
 */
export function vertexLabels(request: Pick<ProviderRequest, 'tenant' | 'route'>): Record<string, string> | undefined {
  const value = (v: string) => v.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
  const labels: Record<string, string> = {};
  if (request.tenant) labels['ai-stack-tenant'] = value(request.tenant);
  if (request.route) labels['ai-stack-route'] = value(request.route);
  return Object.keys(labels).length > 0 ? labels : undefined;
}

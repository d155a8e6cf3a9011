import type { ModelProvider } from '../../design/catalog/models';
import type { CancelSignal } from '../engine/cancel';

/**
 * The contract between the routing engine and the provider adapters. The engine speaks OpenAI chat
 * completions to clients; each adapter translates one request to its provider's real API and back.
 */

/** An OpenAI content part, as validated by the API layer (only these fields are passed on). */
export interface ContentPart {
  readonly type: string;
  readonly text?: string;
  readonly image_url?: { readonly url: string; readonly detail?: string };
}

/** A chat message in OpenAI's shape (text content; image parts are passed through where supported). */
export interface ChatMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant';
  /** Plain text, or OpenAI content parts (`text`, `image_url`; Bedrock and Vertex read the text parts). */
  readonly content: string | readonly ContentPart[] | null;
  readonly name?: string;
}

/** The fields of an OpenAI chat-completions request that the router supports. */
export interface ChatRequest {
  /** The logical model (route name) the client asked for. */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly top_p?: number;
  /** Maximum output tokens (`max_completion_tokens` is normalized into this by the engine). */
  readonly max_tokens?: number;
  readonly stop?: string | readonly string[];
  readonly stream?: boolean;
  readonly user?: string;
}

/** What one adapter call needs: the request with the provider model resolved. */
export interface ProviderRequest {
  readonly messages: readonly ChatMessage[];
  /**
   * Tenant and route of the request, for the provider's own cost attribution: Vertex AI requests
   * carry them as `labels` (billing reports split spend by label); Bedrock calls a tenant's
   * application inference profile when the target has one (`TargetConfig.tenantModelIds`).
   */
  readonly tenant?: string;
  readonly route?: string;
  readonly temperature?: number;
  readonly topP?: number;
  readonly maxTokens: number;
  readonly stop?: readonly string[];
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter';

export interface CompletionResult {
  readonly content: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
}

/**
 * Events of a streamed completion: text deltas, then exactly one `done` with the usage. An adapter
 * also yields `usage` whenever the provider reports usage before the end (Vertex's usageMetadata on
 * each chunk; OpenAI's usage chunk and Bedrock's metadata event, which come just before the end), so
 * a stream that breaks after it is charged from the provider's own numbers.
 */
export type StreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage };

/** Classes of provider failure; the engine decides retries and fallbacks by class. */
export type ProviderErrorKind =
  | 'throttled' // 429 / ThrottlingException / RESOURCE_EXHAUSTED: retry with backoff, honor retryAfterMs
  | 'server' // 5xx / ServiceUnavailable / ModelNotReady: retry with backoff
  | 'timeout' // attempt timed out or connection failed: retry with backoff
  | 'context_length' // prompt + max tokens exceed the model's window: fall back to a larger window
  | 'content_filter' // refused by the provider's content policy: the route's onContentFilter decides
  | 'auth' // 401/403 from the provider: no retry, try the next target
  | 'bad_request'; // other 4xx: no retry, no fallback (the request itself is wrong)

export class ProviderError extends Error {
  constructor(
    public readonly kind: ProviderErrorKind,
    message: string,
    /** HTTP status the provider answered, when there was one. */
    public readonly status?: number,
    /** Delay the provider asked for (Retry-After / retry-after-ms), milliseconds. */
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** A model target as the runtime sees it: design target + resolved provider id, prices and endpoint. */
export interface TargetConfig {
  /** Target id from the design (`router.models[].id`). */
  readonly id: string;
  readonly provider: ModelProvider;
  /** Provider's model id: Bedrock model id, Vertex model name, Azure OpenAI deployment name, or the served model name of a self-hosted endpoint. */
  readonly providerModelId: string;
  readonly region?: string;
  /**
   * Base URL of the provider API. Overrides the public endpoint (tests point it at a local server):
   * Bedrock runtime endpoint, Vertex `https://{region}-aiplatform.googleapis.com`, Azure OpenAI
   * `https://{resource}.openai.azure.com`, or the GPU endpoint's internal URL.
   */
  readonly baseUrl?: string;
  /** GCP project id (Vertex). */
  readonly project?: string;
  /** Azure OpenAI API version, e.g. `2024-10-21`. */
  readonly apiVersion?: string;
  /** Azure OpenAI API key; when absent a Microsoft Entra token from @azure/identity is used. */
  readonly apiKey?: string;
  /**
   * Bedrock: the model id (an application inference profile ARN) to call for a tenant's requests
   * instead of `providerModelId`, by tenant id, so Cost Explorer attributes the spend per tenant.
   */
  readonly tenantModelIds?: Readonly<Record<string, string>>;
  readonly inputPer1kUsd: number;
  readonly outputPer1kUsd: number;
  readonly contextWindowTokens: number;
}

export interface ProviderAdapter {
  readonly target: TargetConfig;
  /** One non-streaming completion. Throws `ProviderError` on failure; honours `signal` (abort = timeout). */
  complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult>;
  /** A streamed completion. Throws `ProviderError` (before or during the stream); honours `signal`. */
  stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent>;
}

export type AdapterFactory = (target: TargetConfig) => ProviderAdapter;

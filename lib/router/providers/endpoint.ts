import { postJson, readJson } from './http';
import { openAiChatBody, openAiCompletion, openAiSseStream } from './openai-wire';
import { baseUrlOf, requireField, requireProvider, whereOf } from './target';
import type { CompletionResult, ProviderAdapter, ProviderRequest, StreamEvent, TargetConfig } from './types';
import type { CancelSignal } from '../engine/cancel';

export interface EndpointAdapterOptions {
  /**
   * The API key, asked on every call (a deployed router's key, re-read from its secret store, so a
   * rotated key is sent from the next call on); sent as `Authorization: Bearer` when set.
   * @default - `target.apiKey`
   */
  readonly apiKey?: () => string | undefined;
}

/**
 * A self-hosted GPU endpoint of the design: an OpenAI-compatible server (vLLM, TGI, SGLang) behind the
 * endpoint's internal load balancer. `target.baseUrl` is the server root (`http://host:port`) or its
 * `/v1` root; `target.providerModelId` is the served model name. `target.apiKey`, when set, is sent as
 * a bearer token (vLLM `--api-key`); the endpoint is otherwise reached over the private network only.
 */
export class EndpointAdapter implements ProviderAdapter {
  private readonly url: string;
  private readonly where: string;
  private readonly apiKey: () => string | undefined;
  private key: string | undefined;
  private headers: Record<string, string> = {};

  constructor(
    public readonly target: TargetConfig,
    options: EndpointAdapterOptions = {},
  ) {
    requireProvider(target, 'endpoint');
    const base = baseUrlOf(target, requireField(target, 'baseUrl', "set it to the GPU endpoint's internal URL, e.g. http://10.0.1.20:8000"));
    this.url = `${base.endsWith('/v1') ? base : `${base}/v1`}/chat/completions`;
    this.where = whereOf(target);
    const fixed = target.apiKey;
    this.apiKey = options.apiKey ?? (() => fixed);
  }

  /** The headers of the current key, rebuilt only when the key changes. */
  private authHeaders(): Record<string, string> {
    const key = this.apiKey();
    if (key !== this.key) {
      this.key = key;
      this.headers = key ? { authorization: `Bearer ${key}` } : {};
    }
    return this.headers;
  }

  async complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult> {
    const body = openAiChatBody(request, { model: this.target.providerModelId, maxTokensField: 'max_tokens', stream: false });
    const response = await postJson(this.where, this.url, this.authHeaders(), body, signal);
    return openAiCompletion(this.where, await readJson(this.where, response, signal), request);
  }

  stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent> {
    // Everything, the POST included, runs on the first next(), as in an async generator of our own.
    const call = () => {
      const body = openAiChatBody(request, { model: this.target.providerModelId, maxTokensField: 'max_tokens', stream: true });
      return postJson(this.where, this.url, this.authHeaders(), body, signal);
    };
    return openAiSseStream(this.where, call, signal, request);
  }
}

import { describe } from './errors';
import { postJson, readJson } from './http';
import { openAiChatBody, openAiCompletion, openAiSseStream } from './openai-wire';
import { baseUrlOf, requireField, requireProvider, whereOf } from './target';
import { ProviderError, type CompletionResult, type ProviderAdapter, type ProviderRequest, type StreamEvent, type TargetConfig } from './types';
import type { CancelSignal } from '../engine/cancel';

/** The latest GA data-plane API version; it takes `max_completion_tokens` and `stream_options`. */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

/** Audience of Microsoft Entra tokens for Azure OpenAI. */
export const AZURE_OPENAI_TOKEN_SCOPE = 'https://cognitiveservices.azure.com/.default';

export interface AzureOpenAIAdapterOptions {
  /**
   * Returns a Microsoft Entra access token for `https://cognitiveservices.azure.com/.default`; used when
   * the target has no `apiKey`.
   * @default - `DefaultAzureCredential` from @azure/identity (on a Function App, its managed identity;
   *   locally, the Azure CLI login), with tokens cached and refreshed before they expire
   */
  readonly accessToken?: () => Promise<string>;
}

/**
 * An Azure OpenAI deployment, called through the deployment-scoped chat completions API
 * (`/openai/deployments/{deployment}/chat/completions`). `target.providerModelId` is the deployment name.
 */
export class AzureOpenAIAdapter implements ProviderAdapter {
  private readonly url: string;
  private readonly where: string;
  private readonly accessToken: () => Promise<string>;

  constructor(
    public readonly target: TargetConfig,
    options: AzureOpenAIAdapterOptions = {},
  ) {
    requireProvider(target, 'azure-openai');
    const base = baseUrlOf(target, requireField(target, 'baseUrl', 'set it to the resource endpoint, https://{resource}.openai.azure.com'));
    const apiVersion = target.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION;
    this.url = `${base}/openai/deployments/${encodeURIComponent(target.providerModelId)}/chat/completions?api-version=${encodeURIComponent(apiVersion)}`;
    this.where = whereOf(target);
    this.accessToken = options.accessToken ?? azureOpenAiAccessToken;
  }

  async complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult> {
    const body = openAiChatBody(request, { maxTokensField: 'max_completion_tokens', stream: false });
    const response = await postJson(this.where, this.url, await this.authHeaders(), body, signal);
    return openAiCompletion(this.where, await readJson(this.where, response, signal), request);
  }

  stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent> {
    // Everything, the token and the POST included, runs on the first next().
    const call = async () => {
      const body = openAiChatBody(request, { maxTokensField: 'max_completion_tokens', stream: true });
      return postJson(this.where, this.url, await this.authHeaders(), body, signal);
    };
    return openAiSseStream(this.where, call, signal, request);
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.target.apiKey) return { 'api-key': this.target.apiKey };
    let token: string;
    try {
      token = await this.accessToken();
    } catch (error) {
      throw new ProviderError('auth', `${this.where}: no Microsoft Entra token: ${describe(error)}`);
    }
    return { authorization: `Bearer ${token}` };
  }
}

let sharedTokenProvider: Promise<() => Promise<string>> | undefined;

/**
 * One credential for every Azure OpenAI target of the process. @azure/identity loads on first use only,
 * so a router without Entra-authenticated targets never pays its start-up cost or needs it installed.
 */
export async function azureOpenAiAccessToken(): Promise<string> {
  sharedTokenProvider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) =>
    getBearerTokenProvider(new DefaultAzureCredential(), AZURE_OPENAI_TOKEN_SCOPE),
  );
  const getToken = await sharedTokenProvider;
  return getToken();
}

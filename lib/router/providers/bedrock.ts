import type { BedrockRuntimeClient, ConverseCommandInput, ConverseStreamOutput, StopReason, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { classifyHttpError, describe, isContextLengthMessage } from './errors';
import { estimateUsage, splitConversation } from './messages';
import { baseUrlOf, requireProvider, whereOf } from './target';
import { ProviderError, type CompletionResult, type FinishReason, type ProviderAdapter, type ProviderErrorKind, type ProviderRequest, type StreamEvent, type TargetConfig, type Usage } from './types';
import { linkedAbortController, type CancelSignal } from '../engine/cancel';

export interface BedrockAdapterOptions {
  /**
   * Credentials that sign the requests (SigV4).
   * @default - the AWS SDK default chain: the Lambda execution role, environment variables, shared
   *   config and SSO, or the instance profile
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Bedrock runtime exceptions by class. `ValidationException` is classified by its message. */
const EXCEPTION_KINDS: Readonly<Record<string, ProviderErrorKind>> = {
  ThrottlingException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  ServiceUnavailableException: 'server',
  InternalServerException: 'server',
  ModelNotReadyException: 'server',
  ModelErrorException: 'server',
  ModelStreamErrorException: 'server',
  ModelTimeoutException: 'timeout',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  ExpiredTokenException: 'auth',
  CredentialsProviderError: 'auth',
  ResourceNotFoundException: 'bad_request',
};

/**
 * Socket-level failures (no answer from Bedrock): retryable like a timeout. Matched on the message too:
 * the SDK wraps errors from another realm into a plain Error that keeps only the text.
 */
const NETWORK_FAILURE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|TimeoutError)\b/;

type Sdk = typeof import('@aws-sdk/client-bedrock-runtime');

/**
 * A model on Amazon Bedrock, called through the Converse API (one request shape for Anthropic, Amazon
 * Nova, Meta and the other chat models). `target.providerModelId` is a model id, an inference profile
 * id or an application inference profile ARN.
 */
export class BedrockAdapter implements ProviderAdapter {
  private readonly where: string;
  private connection?: Promise<{ sdk: Sdk; client: BedrockRuntimeClient }>;

  constructor(
    public readonly target: TargetConfig,
    private readonly options: BedrockAdapterOptions = {},
  ) {
    requireProvider(target, 'bedrock');
    if (target.baseUrl !== undefined) baseUrlOf(target, target.baseUrl);
    this.where = whereOf(target);
  }

  async complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult> {
    const { sdk, client } = await this.connect();
    const link = linkedAbortController(signal);
    let output;
    try {
      output = await client.send(new sdk.ConverseCommand(this.input(request)), { abortSignal: link.controller.signal });
    } catch (error) {
      throw this.failure(error, signal);
    } finally {
      link.detach();
    }
    const content = (output.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
    return { content, finishReason: finishReason(output.stopReason), usage: usageOf(output.usage) ?? estimateUsage(request.messages, content, request.maxTokens) };
  }

  async *stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent> {
    const { sdk, client } = await this.connect();
    // Also aborted when the consumer stops early, so the connection closes and the model stops generating.
    const link = linkedAbortController(signal);
    let finish: FinishReason | undefined;
    let usage: Usage | undefined;
    let output = '';
    try {
      let response;
      try {
        response = await client.send(new sdk.ConverseStreamCommand(this.input(request)), { abortSignal: link.controller.signal });
      } catch (error) {
        throw this.failure(error, signal);
      }
      if (!response.stream) throw new ProviderError('server', `${this.where}: streamed answer has no event stream`);
      const events = response.stream[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<ConverseStreamOutput>;
        try {
          next = await events.next();
        } catch (error) {
          throw this.failure(error, signal);
        }
        if (next.done) break;
        const event = next.value;
        const text = event.contentBlockDelta?.delta?.text;
        if (text) {
          output += text;
          yield { type: 'delta', text };
        } else if (event.messageStop) {
          finish = finishReason(event.messageStop.stopReason);
        } else if (event.metadata) {
          usage = usageOf(event.metadata.usage);
          if (usage) yield { type: 'usage', usage };
        } else {
          const exception = event.throttlingException ?? event.serviceUnavailableException ?? event.internalServerException ?? event.modelStreamErrorException ?? event.validationException;
          if (exception) throw this.failure(exception, signal);
        }
      }
      if (finish === undefined) throw new ProviderError('server', `${this.where}: stream ended before messageStop`);
      yield { type: 'done', finishReason: finish, usage: usage ?? estimateUsage(request.messages, output, request.maxTokens) };
    } finally {
      link.detach();
      link.controller.abort();
    }
  }

  private input(request: ProviderRequest): ConverseCommandInput {
    const { system, turns } = splitConversation(request.messages);
    return {
      // A tenant's application inference profile, when the deployment made one, so Cost Explorer
      // attributes the call to the tenant; otherwise the target's model.
      modelId: (request.tenant !== undefined ? this.target.tenantModelIds?.[request.tenant] : undefined) ?? this.target.providerModelId,
      messages: turns.map((t) => ({ role: t.role, content: [{ text: t.text }] })),
      ...(system.length > 0 ? { system: system.map((text) => ({ text })) } : {}),
      inferenceConfig: {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        stopSequences: request.stop && request.stop.length > 0 ? [...request.stop] : undefined,
      },
    };
  }

  /**
   * The SDK client, made on first use. The SDK loads lazily so a router without Bedrock targets never
   * pays for it. The engine owns retries (`maxAttempts: 1`), and the HTTP/1.1 keep-alive handler
   * replaces the client's default HTTP/2 handler, which opens a new TLS session for every call.
   */
  private connect(): Promise<{ sdk: Sdk; client: BedrockRuntimeClient }> {
    this.connection ??= Promise.all([import('@aws-sdk/client-bedrock-runtime'), import('@smithy/node-http-handler')]).then(([sdk, { NodeHttpHandler }]) => {
      const client = new sdk.BedrockRuntimeClient({
        ...(this.target.region ? { region: this.target.region } : {}),
        ...(this.target.baseUrl ? { endpoint: this.target.baseUrl } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        maxAttempts: 1,
        // No socket cap: a stream holds its socket for the whole generation, and the SDK's default of
        // 50 would queue the 51st concurrent stream behind the others.
        requestHandler: new NodeHttpHandler({ httpAgent: { maxSockets: Infinity }, httpsAgent: { maxSockets: Infinity } }),
      });
      return { sdk, client };
    });
    return this.connection;
  }

  private failure(error: unknown, signal: CancelSignal): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal.aborted) return new ProviderError('timeout', `${this.where}: attempt aborted (${describe(signal.reason)})`);
    const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e.name ?? 'Error';
    const message = e.message ?? String(error);
    const status = e.$metadata?.httpStatusCode;
    let kind: ProviderErrorKind;
    if (name === 'ValidationException') kind = isContextLengthMessage(message) ? 'context_length' : 'bad_request';
    else if (EXCEPTION_KINDS[name]) kind = EXCEPTION_KINDS[name];
    else if (NETWORK_FAILURE.test(`${e.code ?? ''} ${name} ${message}`)) kind = 'timeout';
    else if (status) kind = classifyHttpError(status, message);
    else kind = 'server';
    return new ProviderError(kind, `${this.where}: ${name}: ${message}`, status);
  }
}

function finishReason(reason: StopReason | string | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function usageOf(usage: TokenUsage | undefined): Usage | undefined {
  if (!usage || typeof usage.inputTokens !== 'number' || typeof usage.outputTokens !== 'number') return undefined;
  return { promptTokens: usage.inputTokens, completionTokens: usage.outputTokens };
}

import type { ApplyGuardrailCommandOutput, BedrockRuntimeClient, GuardrailAssessment, GuardrailUsage } from '@aws-sdk/client-bedrock-runtime';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { linkedAbortController, type CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';
import { describe } from '../providers/errors';
import { BEDROCK_GUARDRAIL_NANO_PER_UNIT, type BedrockGuardrailPrices } from './prices';
import { GuardError, orderPolicies, type GuardAdapter, type GuardErrorKind, type GuardPolicy, type GuardRequest, type GuardVerdict } from './types';

export interface BedrockGuardOptions {
  /** Guardrail id or ARN. */
  readonly guardrailId: string;
  /** A published version number (never `DRAFT`: a draft changes under a running router). */
  readonly guardrailVersion: string;
  /** @default - the region of a guardrail ARN, else the SDK's (`AWS_REGION` on Lambda) */
  readonly region?: string;
  /** Bedrock Runtime endpoint URL (tests point it at a local server). @default - the region's public endpoint */
  readonly endpoint?: string;
  /** @default - the AWS SDK default chain (the Lambda execution role) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default BEDROCK_GUARDRAIL_NANO_PER_UNIT */
  readonly prices?: Partial<BedrockGuardrailPrices>;
}

type Sdk = typeof import('@aws-sdk/client-bedrock-runtime');

/** Bedrock Runtime exceptions by outage class. */
const EXCEPTION_KINDS: Readonly<Record<string, GuardErrorKind>> = {
  ThrottlingException: 'throttled',
  ServiceQuotaExceededException: 'throttled',
  ServiceUnavailableException: 'server',
  InternalServerException: 'server',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  ExpiredTokenException: 'auth',
  CredentialsProviderError: 'auth',
  ValidationException: 'bad_request',
  ResourceNotFoundException: 'bad_request',
};

const NETWORK_FAILURE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|TimeoutError)\b/;

/**
 * Amazon Bedrock Guardrails through `ApplyGuardrail` (the SDK signs with SigV4 and resolves the
 * endpoint): each text one content block, `source` INPUT or OUTPUT. A verdict follows the answer's
 * assessments: any BLOCKED is a block, ANONYMIZED alone a mask with the guardrail's `outputs`.
 */
export class BedrockGuard implements GuardAdapter {
  readonly kind = 'bedrock';
  private connection?: Promise<{ sdk: Sdk; client: BedrockRuntimeClient }>;
  private readonly prices: BedrockGuardrailPrices;
  private readonly where: string;

  constructor(private readonly options: BedrockGuardOptions) {
    this.prices = { ...BEDROCK_GUARDRAIL_NANO_PER_UNIT, ...options.prices };
    this.where = `bedrock guardrail ${clip(options.guardrailId, 100)}:${clip(options.guardrailVersion, 20)}`;
  }

  async prepare(): Promise<void> {
    await this.connect();
  }

  async check(request: GuardRequest, signal: CancelSignal): Promise<GuardVerdict> {
    const answer = await this.apply(request.source, request.texts, signal);
    const verdict = this.verdictOf(answer, request.texts.length);
    if (verdict !== 'realign') return verdict;
    // Masked, but the outputs do not line up with the texts one to one: ask again text by text,
    // so each masked text goes back to its own message.
    const each = await Promise.all(request.texts.map((text) => this.apply(request.source, [text], signal)));
    let cost = usageCost(answer.usage, this.prices);
    const policies: GuardPolicy[] = [];
    const texts: string[] = [];
    let blocked = false;
    let masked = false;
    for (let i = 0; i < each.length; i++) {
      cost += usageCost(each[i].usage, this.prices);
      const v = this.verdictOf(each[i], 1);
      if (v === 'realign') throw new GuardError('bad_response', `${this.where}: a masked answer without its masked text`);
      policies.push(...v.policies);
      blocked ||= v.action === 'block';
      masked ||= v.action === 'mask';
      texts.push(v.action === 'mask' ? v.texts![0] : request.texts[i]);
    }
    if (blocked) return { action: 'block', policies: orderPolicies(policies), costNanoUsd: cost };
    return masked ? { action: 'mask', policies: orderPolicies(policies), texts, costNanoUsd: cost } : { action: 'allow', policies: [], costNanoUsd: cost };
  }

  private async apply(source: GuardRequest['source'], texts: readonly string[], signal: CancelSignal): Promise<ApplyGuardrailCommandOutput> {
    const { sdk, client } = await this.connect();
    const link = linkedAbortController(signal);
    try {
      return await client.send(
        new sdk.ApplyGuardrailCommand({
          guardrailIdentifier: this.options.guardrailId,
          guardrailVersion: this.options.guardrailVersion,
          source: source === 'input' ? 'INPUT' : 'OUTPUT',
          content: texts.map((text) => ({ text: { text } })),
        }),
        { abortSignal: link.controller.signal },
      );
    } catch (error) {
      throw this.failure(error, signal);
    } finally {
      link.detach();
    }
  }

  /** The verdict of one answer; `realign` when it masks but its outputs do not match the texts. */
  private verdictOf(answer: ApplyGuardrailCommandOutput, count: number): GuardVerdict | 'realign' {
    if (answer.action !== 'NONE' && answer.action !== 'GUARDRAIL_INTERVENED') throw new GuardError('bad_response', `${this.where}: answer has no action (got ${clip(String(answer.action), 40)})`);
    if (!isUsage(answer.usage)) throw new GuardError('bad_response', `${this.where}: answer has no usage`);
    const costNanoUsd = usageCost(answer.usage, this.prices);
    if (answer.action === 'NONE') return { action: 'allow', policies: [], costNanoUsd };
    const { blocked, masked } = assessed(answer.assessments ?? []);
    // An intervention that names no policy is still an intervention: refuse rather than guess.
    if (blocked.size > 0 || masked.size === 0) return { action: 'block', policies: orderPolicies(blocked), costNanoUsd };
    const outputs = (answer.outputs ?? []).map((o) => o.text);
    if (outputs.some((t) => typeof t !== 'string')) throw new GuardError('bad_response', `${this.where}: an output without text`);
    const texts = outputs.length === count ? (outputs as string[]) : count === 1 && outputs.length > 0 ? [outputs.join('')] : undefined;
    if (!texts) return 'realign';
    return { action: 'mask', policies: orderPolicies(masked), texts, costNanoUsd };
  }

  /**
   * The SDK client, made on first use and loaded lazily (a router without a Bedrock guard never
   * loads it). The stage owns the timeout, so the SDK makes one attempt.
   */
  private connect(): Promise<{ sdk: Sdk; client: BedrockRuntimeClient }> {
    this.connection ??= Promise.all([import('@aws-sdk/client-bedrock-runtime'), import('@smithy/node-http-handler')]).then(([sdk, { NodeHttpHandler }]) => {
      const region = this.options.region ?? arnRegion(this.options.guardrailId);
      const client = new sdk.BedrockRuntimeClient({
        ...(region ? { region } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true }, httpsAgent: { keepAlive: true } }),
      });
      return { sdk, client };
    });
    return this.connection;
  }

  private failure(error: unknown, signal: CancelSignal): GuardError {
    if (error instanceof GuardError) return error;
    if (signal.aborted) return new GuardError('timeout', `${this.where}: no answer in time (${clip(describe(signal.reason), 100)})`);
    const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; $response?: unknown };
    const name = e.name ?? 'Error';
    const message = clip(e.message ?? String(error), 200);
    const status = e.$metadata?.httpStatusCode;
    let kind: GuardErrorKind;
    if (EXCEPTION_KINDS[name]) kind = EXCEPTION_KINDS[name];
    else if (NETWORK_FAILURE.test(`${e.code ?? ''} ${name} ${e.message ?? ''}`)) kind = 'timeout';
    else if (status === 429) kind = 'throttled';
    else if (status === 401 || status === 403) kind = 'auth';
    else if (status !== undefined && status >= 500) kind = 'server';
    else if (status !== undefined && status >= 200 && status < 300) kind = 'bad_response'; // a 2xx the SDK could not read
    else if (name === 'SyntaxError' || /deserializ|JSON/i.test(e.message ?? '')) kind = 'bad_response';
    else if (status !== undefined && status >= 400) kind = 'bad_request';
    else kind = 'server';
    return new GuardError(kind, `${this.where}: ${clip(name, 60)}: ${message}`, status, kind === 'throttled' ? retryAfter(e.$response) : undefined);
  }
}

/** Policies that fired by how: BLOCKED, and ANONYMIZED (masks). */
function assessed(assessments: readonly GuardrailAssessment[]): { blocked: Set<GuardPolicy>; masked: Set<GuardPolicy> } {
  const blocked = new Set<GuardPolicy>();
  const masked = new Set<GuardPolicy>();
  const note = (action: string | undefined, policy: GuardPolicy) => {
    if (action === 'BLOCKED') blocked.add(policy);
    else if (action === 'ANONYMIZED') masked.add(policy);
  };
  for (const a of assessments) {
    for (const t of a.topicPolicy?.topics ?? []) note(t.action, 'denied_topic');
    for (const f of a.contentPolicy?.filters ?? []) note(f.action, f.type === 'PROMPT_ATTACK' ? 'prompt_attack' : 'content');
    for (const w of a.wordPolicy?.customWords ?? []) note(w.action, 'blocked_words');
    for (const w of a.wordPolicy?.managedWordLists ?? []) note(w.action, 'profanity');
    for (const p of a.sensitiveInformationPolicy?.piiEntities ?? []) note(p.action, 'pii');
    for (const r of a.sensitiveInformationPolicy?.regexes ?? []) note(r.action, 'pii');
    for (const g of a.contextualGroundingPolicy?.filters ?? []) note(g.action, 'content');
  }
  return { blocked, masked };
}

function isUsage(u: unknown): u is GuardrailUsage {
  return typeof u === 'object' && u !== null;
}

/** Units × price per unit, each count that is not a whole number >= 0 taken as 0. */
function usageCost(usage: GuardrailUsage | undefined, prices: BedrockGuardrailPrices): number {
  if (!usage) return 0;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);
  return (
    n(usage.contentPolicyUnits) * prices.content +
    n(usage.topicPolicyUnits) * prices.topic +
    n(usage.sensitiveInformationPolicyUnits) * prices.sensitiveInformation +
    n(usage.sensitiveInformationPolicyFreeUnits) * prices.sensitiveInformationFree +
    n(usage.wordPolicyUnits) * prices.word +
    n(usage.contextualGroundingPolicyUnits) * prices.contextualGrounding
  );
}

/** The region of `arn:aws:bedrock:<region>:<account>:guardrail/<id>`. */
function arnRegion(id: string): string | undefined {
  const m = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):/.exec(id);
  return m?.[1];
}

/** Retry-After (seconds) of a throttled SDK response, ms. */
function retryAfter(response: unknown): number | undefined {
  const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  const value = headers?.['retry-after'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

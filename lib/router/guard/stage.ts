import type { CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';
import type { DeniedTopicDesign } from '../../design/guardrails';
import type { ChatMessage } from '../providers/types';
import { routeGuardPolicy, type RouteGuardPolicy, type RouterGuardConfig } from './config';
import { GuardBlockedError, GuardUnavailableError } from './errors';
import { LocalFilter } from './local-filter';
import { messageTexts, withTexts } from './messages';
import { StreamOutputChecker, type OutputChecker } from './output-checker';
import { guardCall, GuardCancelledError } from './timeout';
import { GuardError, orderPolicies, type GuardAdapter, type GuardErrorKind, type GuardPolicy, type GuardSource } from './types';

export interface GuardContext {
  readonly tenant: string;
  /** The route's name: it picks the route's policy. */
  readonly route: string;
  /** The request's signal (the client's disconnect): a cancelled request is never let through. */
  readonly signal?: CancelSignal;
}

/** A cloud guard outage a fail-open route let through (log it: the texts passed the local filter only). */
export interface GuardFailure {
  readonly kind: GuardErrorKind;
  readonly message: string;
}

export interface CheckResult {
  readonly action: 'allow' | 'mask' | 'block';
  /** Policies that fired: for a block the ones that blocked, for a mask the ones that masked. */
  readonly policies: readonly GuardPolicy[];
  /** Guard calls' cost, nano-USD: charge it to the tenant whatever the outcome. */
  readonly costNanoUsd: number;
  readonly guardFailure?: GuardFailure;
  /** The route opts out of this check: nothing ran. */
  readonly skipped?: true;
}

export interface InputCheck extends CheckResult {
  /** The messages to send on: masked for `mask`, the request's own otherwise. */
  readonly messages: readonly ChatMessage[];
}

export interface OutputCheck extends CheckResult {
  /** The answer to return: masked for `mask`, as given otherwise (meaningless for `block`). */
  readonly text: string;
}

/** Asks a model which denied topic, if any, `text` is about (`config.topicClassifier`). */
export type TopicClassifier = (text: string, topics: readonly DeniedTopicDesign[], ctx: GuardContext, signal: CancelSignal) => Promise<{ readonly topic: string | undefined; readonly costNanoUsd: number }>;

export interface GuardStageOptions {
  /** @default - none: only the local filter runs (no `ROUTER_ENV.guardKind` set) */
  readonly cloud?: GuardAdapter;
  /** @default - none: denied topics are left to the cloud guard (Bedrock) */
  readonly topics?: TopicClassifier;
  /** The most one classification of `chars` characters may cost, nano-USD (for the reservation). */
  readonly topicsCostBound?: (chars: number) => number;
}

/**
 * The router's guard stage: the local filter, then the cloud guard, on each prompt before the
 * model is called and on each answer before the client sees it (streams window by window).
 * Policy per route (`routeGuardPolicy`): which checks run, what an outage does (`failMode`), and
 * whether the model call may start alongside the input check (`parallel`, which the engine
 * orchestrates with `checkLocalInput` + `checkCloudInput` and the output checker's `gate`).
 */
export class GuardStage {
  readonly blockedMessage: string;
  private readonly local: LocalFilter;
  private prepared?: Promise<void>;

  constructor(
    readonly config: RouterGuardConfig,
    private readonly options: GuardStageOptions = {},
  ) {
    this.blockedMessage = config.blockedMessage;
    this.local = new LocalFilter(config);
  }

  /** The cloud guard's kind, for logs; undefined when only the local filter runs. */
  get cloudKind(): string | undefined {
    return this.options.cloud?.kind;
  }

  /** Whether the router classifies prompts against the denied topics itself. */
  get classifiesTopics(): boolean {
    return this.options.topics !== undefined && (this.config.deniedTopics?.length ?? 0) > 0;
  }

  /** The most the topic classification of a prompt of `chars` characters may cost, nano-USD. */
  topicsCostBound(chars: number): number {
    return this.classifiesTopics ? (this.options.topicsCostBound?.(chars) ?? 0) : 0;
  }

  /**
   * Loads the cloud guard's SDK or auth library (call it at start to warm up); every check awaits
   * it once before its guard timeout starts, so a cold start's module loading is not an outage.
   */
  prepare(): Promise<void> {
    this.prepared ??= Promise.resolve(this.options.cloud?.prepare?.()).then(
      () => undefined,
      () => undefined, // the check itself reports what is wrong
    );
    return this.prepared;
  }

  policy(route: string): RouteGuardPolicy {
    return routeGuardPolicy(this.config, route);
  }

  /**
   * The whole input check: local filter, then the cloud guard on the locally masked texts.
   * Throws `GuardUnavailableError` when the cloud guard fails and the route fails closed, and
   * `GuardCancelledError` when `ctx.signal` aborts meanwhile.
   */
  async checkInput(messages: readonly ChatMessage[], ctx: GuardContext): Promise<InputCheck> {
    const local = this.checkLocalInput(messages, ctx);
    if (local.action === 'block' || local.skipped) return local;
    const cloud = await this.checkCloudInput(local.messages, ctx);
    return merge(local, cloud);
  }

  /** The local filter alone, synchronously: what parallel mode runs before starting the model call. */
  checkLocalInput(messages: readonly ChatMessage[], ctx: GuardContext): InputCheck {
    if (!this.policy(ctx.route).input) return { action: 'allow', messages, policies: [], costNanoUsd: 0, skipped: true };
    const where = messageTexts(messages);
    if (where.texts.length === 0) return { action: 'allow', messages, policies: [], costNanoUsd: 0 };
    const v = this.local.check(where.texts);
    if (v.action === 'block') return { action: 'block', messages, policies: v.policies, costNanoUsd: 0 };
    if (v.action === 'mask') return { action: 'mask', messages: withTexts(messages, where, v.texts!), policies: v.policies, costNanoUsd: 0 };
    return { action: 'allow', messages, policies: [], costNanoUsd: 0 };
  }

  /** The cloud guard alone, on messages the local filter already passed (and masked). */
  async checkCloudInput(messages: readonly ChatMessage[], ctx: GuardContext): Promise<InputCheck> {
    const policy = this.policy(ctx.route);
    if (!policy.input) return { action: 'allow', messages, policies: [], costNanoUsd: 0, skipped: true };
    const where = messageTexts(messages);
    const r = await this.cloudCheck('input', where.texts, ctx, policy);
    const cloud: InputCheck = r.action === 'mask' ? { ...withoutTexts(r), messages: withTexts(messages, where, r.texts) } : { ...withoutTexts(r), messages };
    if (cloud.action === 'block') return cloud;
    // Denied topics the cloud guard cannot see (Model Armor, Content Safety): the router's classifier.
    const topics = await this.topicCheck(messageTexts(cloud.messages).texts, ctx, policy);
    return merge(cloud, topics);
  }

  /** The topic classifier on the (masked) prompt, with the route's timeout and fail mode. */
  private async topicCheck(texts: readonly string[], ctx: GuardContext, policy: RouteGuardPolicy): Promise<CheckResult> {
    const classify = this.options.topics;
    const topics = this.config.deniedTopics ?? [];
    if (!classify || topics.length === 0 || texts.length === 0) return { action: 'allow', policies: [], costNanoUsd: 0 };
    try {
      const v = await guardCall((signal) => classify(texts.join('\n\n'), topics, ctx, signal), policy.timeoutMs, ctx.signal);
      return v.topic ? { action: 'block', policies: ['denied_topic'], costNanoUsd: v.costNanoUsd } : { action: 'allow', policies: [], costNanoUsd: v.costNanoUsd };
    } catch (error) {
      if (error instanceof GuardCancelledError) throw error;
      const failure = error instanceof GuardError ? error : new GuardError('server', `topic classifier: ${clip(String((error as Error)?.message ?? error), 200)}`);
      if (policy.failMode === 'closed') throw new GuardUnavailableError(failure.kind, failure.message, 0, failure.retryAfterMs);
      return { action: 'allow', policies: [], costNanoUsd: 0, guardFailure: { kind: failure.kind, message: failure.message } };
    }
  }

  /** A whole (non-streamed) answer: local filter, then the cloud guard. */
  async checkOutput(text: string, ctx: GuardContext): Promise<OutputCheck> {
    const policy = this.policy(ctx.route);
    if (!policy.output) return { action: 'allow', text, policies: [], costNanoUsd: 0, skipped: true };
    return this.checkOutputText(text, ctx, policy);
  }

  /**
   * A checker for one streamed answer: it takes the deltas and releases text one window
   * (`streamWindowChars`) at a time, once that window passed, or says `cut`. `gate` (parallel
   * mode: the input check still running) holds back every release until it passes.
   */
  outputChecker(ctx: GuardContext, options: { readonly gate?: PromiseLike<InputCheck> } = {}): OutputChecker {
    const policy = this.policy(ctx.route);
    return new StreamOutputChecker({
      windowChars: policy.streamWindowChars,
      enabled: policy.output,
      blockedMessage: this.blockedMessage,
      gate: options.gate,
      check: (text) => this.checkOutputText(text, ctx, policy),
    });
  }

  /** The 400 `content_filter` error of a blocked check. */
  blockedError(check: Pick<CheckResult, 'policies' | 'costNanoUsd'>): GuardBlockedError {
    return new GuardBlockedError(this.blockedMessage, check.policies, check.costNanoUsd);
  }

  private async checkOutputText(text: string, ctx: GuardContext, policy: RouteGuardPolicy): Promise<OutputCheck> {
    if (text.trim() === '') return { action: 'allow', text, policies: [], costNanoUsd: 0 };
    const local = this.local.check([text]);
    if (local.action === 'block') return { action: 'block', text, policies: local.policies, costNanoUsd: 0 };
    const checked = local.action === 'mask' ? local.texts![0] : text;
    const cloud = await this.cloudCheck('output', [checked], ctx, policy);
    const localResult: CheckResult = { action: local.action, policies: local.policies, costNanoUsd: 0 };
    const merged = merge(localResult, withoutTexts(cloud));
    if (merged.action === 'block') return { ...merged, text };
    return { ...merged, text: cloud.action === 'mask' ? cloud.texts[0] : checked };
  }

  /** One cloud guard call with the route's timeout and fail mode; no cloud guard: allow. */
  private async cloudCheck(source: GuardSource, texts: readonly string[], ctx: GuardContext, policy: RouteGuardPolicy): Promise<CheckResult & { texts: readonly string[] }> {
    const cloud = this.options.cloud;
    if (!cloud || texts.length === 0) return { action: 'allow', policies: [], costNanoUsd: 0, texts };
    await this.prepare();
    try {
      const v = await guardCall((signal) => cloud.check({ source, texts, tenant: ctx.tenant, route: ctx.route }, signal), policy.timeoutMs, ctx.signal);
      if (!Number.isInteger(v.costNanoUsd) || v.costNanoUsd < 0) throw new GuardError('bad_response', `${cloud.kind}: verdict cost is not a whole number of nano-USD`);
      if (v.action === 'mask' && (!v.texts || v.texts.length !== texts.length)) throw new GuardError('bad_response', `${cloud.kind}: a mask verdict without one masked text per text`);
      if (v.action === 'block') return { action: 'block', policies: orderPolicies(v.policies), costNanoUsd: v.costNanoUsd, texts };
      if (v.action === 'mask') return { action: 'mask', policies: orderPolicies(v.policies), costNanoUsd: v.costNanoUsd, texts: v.texts! };
      return { action: 'allow', policies: [], costNanoUsd: v.costNanoUsd, texts };
    } catch (error) {
      if (error instanceof GuardCancelledError) throw error;
      const failure = error instanceof GuardError ? error : new GuardError('server', `${cloud.kind}: ${clip(String((error as Error)?.message ?? error), 200)}`);
      if (policy.failMode === 'closed') throw new GuardUnavailableError(failure.kind, failure.message, 0, failure.retryAfterMs);
      return { action: 'allow', policies: [], costNanoUsd: 0, texts, guardFailure: { kind: failure.kind, message: failure.message } };
    }
  }
}

function withoutTexts<T extends { texts: readonly string[] }>(r: T): Omit<T, 'texts'> {
  const { texts: _texts, ...rest } = r;
  return rest;
}

/** The local result, then the cloud's: a block wins, masks add up, costs and failures carry over. */
function merge<T extends CheckResult>(first: T, second: CheckResult & Partial<T>): T {
  const costNanoUsd = first.costNanoUsd + second.costNanoUsd;
  const guardFailure = second.guardFailure ?? first.guardFailure;
  const extra = guardFailure ? { guardFailure } : {};
  if (second.action === 'block') return { ...first, ...second, policies: second.policies, costNanoUsd, ...extra } as T;
  if (second.action === 'mask' || first.action === 'mask') {
    return { ...first, ...second, action: 'mask', policies: orderPolicies([...first.policies, ...second.policies]), costNanoUsd, ...extra } as T;
  }
  return { ...first, ...second, action: 'allow', policies: [], costNanoUsd, ...extra } as T;
}

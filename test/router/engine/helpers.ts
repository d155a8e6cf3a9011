import type { RouterConfig, RouterRoute, RouterTarget, RouterTenant } from '../../../lib/router/config';
import type { Clock } from '../../../lib/router/engine/clock';
import { RouterEngine, type EngineOptions } from '../../../lib/router/engine/engine';
import { hashKey } from '../../../lib/router/engine/keys';
import { parseChatBody } from '../../../lib/router/engine/request';
import type { RequestLog } from '../../../lib/router/log';
import type { AdapterFactory, CompletionResult, ProviderAdapter, ProviderRequest, StreamEvent } from '../../../lib/router/providers/types';
import type { CancelSignal } from '../../../lib/router/engine/cancel';

/**
 * A discrete-event clock: time stands still while code runs and jumps to the next timer once the
 * event loop has nothing else to do, so timeouts, backoffs and cooldowns take no real time and
 * happen in a deterministic order.
 */
export class FakeClock implements Clock {
  t = 0;
  readonly base = Date.UTC(2025, 10, 15, 12, 0, 0);
  /** Backoff sleeps the engine asked for, in order. */
  readonly sleeps: number[] = [];
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  private scheduled = false;

  now(): number {
    return this.t;
  }

  epochMs(): number {
    return this.base + this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    this.kick();
    return () => {
      timer.cancelled = true;
    };
  }

  /** A wait that is not recorded as a backoff (for fake providers). */
  wait(ms: number, signal?: CancelSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const cancel = this.setTimer(ms, resolve);
      signal?.addEventListener('abort', () => {
        cancel();
        reject(signal.reason);
      }, { once: true });
    });
  }

  sleep(ms: number, signal?: CancelSignal): Promise<void> {
    this.sleeps.push(ms);
    return this.wait(ms, signal);
  }

  /** Moves time forward by hand (between requests). */
  advance(ms: number): void {
    this.t += ms;
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.timers = this.timers.filter((t) => !t.cancelled);
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.fn();
      this.kick();
    });
  }
}

/** One scripted provider behaviour: answer, throw, or wait (in fake time) and then do either. */
export type Behavior = (call: number, request: ProviderRequest, signal: CancelSignal) => Promise<CompletionResult>;

export interface FakeCall {
  readonly target: string;
  readonly request: ProviderRequest;
  readonly signal: CancelSignal;
}

export function reply(content: string, promptTokens = 10, completionTokens = 5): CompletionResult {
  return { content, finishReason: 'stop', usage: { promptTokens, completionTokens } };
}

/** Answers `content` with usage (10, 5) on every call. */
export const answers = (content: string): Behavior => async () => reply(content);

/** Throws `errors[i]` on call i, then answers. */
export function failsThen(errors: readonly Error[], content = 'ok'): Behavior {
  return async (call) => {
    if (call < errors.length) throw errors[call];
    return reply(content);
  };
}

/** Never answers; rejects only when aborted. */
export const hangs: Behavior = (_call, _request, signal) =>
  new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/**
 * An adapter factory whose adapters follow `behaviors` per target id; streams split the answer into
 * three deltas, then `done` with the usage. Calls are recorded in order.
 */
export function fakeFactory(behaviors: Record<string, Behavior>): { factory: AdapterFactory; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const counts = new Map<string, number>();
  const factory: AdapterFactory = (target) => {
    const behavior = behaviors[target.id] ?? answers(`from ${target.id}`);
    const next = (request: ProviderRequest, signal: CancelSignal) => {
      const n = counts.get(target.id) ?? 0;
      counts.set(target.id, n + 1);
      calls.push({ target: target.id, request, signal });
      return behavior(n, request, signal);
    };
    const adapter: ProviderAdapter = {
      target,
      complete: (request, signal) => next(request, signal),
      async *stream(request, signal): AsyncIterable<StreamEvent> {
        const result = await next(request, signal);
        const third = Math.ceil(result.content.length / 3);
        for (let i = 0; i < result.content.length; i += third) yield { type: 'delta', text: result.content.slice(i, i + third) };
        yield { type: 'done', finishReason: result.finishReason, usage: result.usage };
      },
    };
    return adapter;
  };
  return { factory, calls };
}

export function target(id: string, over: Partial<RouterTarget> = {}): RouterTarget {
  return { id, provider: 'endpoint', providerModelId: id, baseUrl: 'http://unused', inputPer1kUsd: 0.001, outputPer1kUsd: 0.002, contextWindowTokens: 100000, maxOutputTokens: 8192, ...over };
}

export function route(name: string, targets: readonly string[], over: Partial<RouterRoute> = {}): RouterRoute {
  return {
    name,
    strategy: 'ordered',
    targets: targets.map((t) => ({ target: t, weight: 1 })),
    tiers: [],
    fallbacks: [],
    timeoutMs: 1000,
    deadlineMs: 10000,
    retries: 2,
    onContentFilter: 'fail',
    ...over,
  };
}

export const KEY = 'acme-secret-key-0123456789';
export const OTHER_KEY = 'beta-secret-key-0123456789';

export function tenant(over: Partial<RouterTenant> = {}): RouterTenant {
  return { id: 'acme', monthlyBudgetUsd: 100, requestsPerMinute: 10000, tokensPerMinute: 100_000_000, keySha256: [hashKey(KEY)], ...over };
}

export function config(targets: RouterTarget[], routes: RouterRoute[], tenants: RouterTenant[] = [tenant()]): RouterConfig {
  return { version: 1, name: 'test', targets, routes, tenants, breaker: { failureThreshold: 3, windowMs: 10000, cooldownMs: 5000 } };
}

/** An engine on a fake clock with captured logs. */
export function engineWith(cfg: RouterConfig, factory: AdapterFactory, over: Partial<EngineOptions> = {}) {
  const clock = new FakeClock();
  const logs: RequestLog[] = [];
  const engine = new RouterEngine(cfg, { adapterFactory: factory, clock, random: () => 0.5, logger: (r) => logs.push(r), ...over });
  return { engine, clock, logs };
}

let ids = 0;

/** Runs one chat request through the engine as tenant `acme` (or `tenantKey`). */
export function chat(engine: RouterEngine, body: Record<string, unknown>, opts: { forcedTier?: string; key?: string; signal?: CancelSignal } = {}) {
  const tenantRecord = engine.tenants.authenticate(`Bearer ${opts.key ?? KEY}`);
  return engine.chat({
    tenant: tenantRecord,
    parsed: parseChatBody(JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }], ...body })),
    requestId: `req-${++ids}`,
    startedAt: engine.clock.now(),
    ...(opts.forcedTier ? { forcedTier: opts.forcedTier } : {}),
    ...(opts.signal ? { clientSignal: opts.signal } : {}),
  });
}

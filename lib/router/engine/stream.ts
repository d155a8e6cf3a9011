import type { RouterRoute, RouterTarget } from '../config';
import type { RequestLog } from '../log';
import { ProviderError, type FinishReason, type StreamEvent, type Usage } from '../providers/types';
import type { CircuitBreaker } from './breaker';
import { closeable } from './closeable';
import type { Clock } from './clock';
import { nanoToUsd } from './cost';
import type { ResultMeta } from './engine';
import { RouterError } from './errors';
import { clip } from './quote';
import { brokenStreamUsage } from './stream-charge';
import type { AttemptStats } from './executor';
import type { Cancellation, CancelSignal } from './cancel';
import type { OutputChecker, OutputStep } from '../guard/output-checker';
import type { GuardPolicy } from '../guard/types';

/** Failures that say the target is unhealthy (as in the executor). */
const TARGET_FAULT_KINDS: ReadonlySet<string> = new Set(['throttled', 'server', 'timeout', 'auth']);

/** What the API layer streams: text deltas, then one `done` or one `error`, each with the metadata. */
export type EngineStreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly usage: Usage; readonly meta: ResultMeta }
  | { readonly type: 'error'; readonly error: RouterError; readonly usage: Usage; readonly meta: ResultMeta };

export interface StreamContext {
  readonly first: StreamEvent;
  readonly iterator: AsyncIterator<StreamEvent>;
  /** Aborts the upstream call. */
  readonly abort: Cancellation;
  readonly route: RouterRoute;
  readonly target: RouterTarget;
  readonly attempts: number;
  readonly stats: AttemptStats;
  /** Upper bound of the prompt's tokens, charged when the provider reported none (see stream-charge.ts). */
  readonly promptBound: number;
  /** `max_tokens` sent to the target. */
  readonly maxTokens: number;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly breaker: CircuitBreaker;
  readonly requestId: string;
  /** Aborts when the client disconnects; the upstream call is aborted with it. */
  readonly clientSignal?: CancelSignal;
  /** The guard's check of the answer: deltas go through it and out window by window. */
  readonly output?: OutputChecker;
  /** Told the policies when the output check cuts the stream. */
  readonly onCut?: (policies: readonly GuardPolicy[]) => void;
  /** Settles the budget reservation with the cost of `usage`; returns that cost in nano-dollars. */
  readonly settle: (usage: Usage) => Promise<number>;
  readonly log: (fields: Pick<RequestLog, 'promptTokens' | 'completionTokens' | 'costUsd' | 'latencyMs' | 'overheadMs' | 'outcome' | 'status'> & { error?: string }) => void;
}

/**
 * The next upstream event, failing with a timeout when none arrives within `ms` of asking for it.
 * One timer per stream, not per event: it is armed for `ms` when a wait begins and none is armed;
 * when it fires after events came meanwhile it is re-armed for the rest of the current wait, and
 * while the consumer is not waiting it stays off. A timer per event cost a Timeout object and a
 * timer-list insert and removal for every token of every stream.
 */
class GapWatch {
  private lastEventAt: number;
  private disarm: (() => void) | undefined;
  private resolve: ((r: IteratorResult<StreamEvent>) => void) | undefined;
  private wake: ((err: unknown) => void) | undefined;
  private waiting = false;

  constructor(private readonly c: StreamContext, private readonly ms: number) {
    this.lastEventAt = c.clock.now();
  }

  /** The next event; `now` is `clock.now()` at the call (the caller has just read it). */
  next(now: number): Promise<IteratorResult<StreamEvent>> {
    // The gap is the time spent waiting for the provider, not a slow client's time in between.
    this.waiting = true;
    this.lastEventAt = now;
    if (!this.disarm) this.arm(this.ms);
    const result = new Promise<IteratorResult<StreamEvent>>((resolve, reject) => {
      this.resolve = resolve;
      this.wake = reject;
    });
    this.c.iterator.next().then(this.onResult, this.onError);
    return result;
  }

  stop(): void {
    this.disarm?.();
    this.disarm = undefined;
  }

  // Bound once per stream, not per event.
  private readonly onResult = (r: IteratorResult<StreamEvent>): void => {
    this.waiting = false;
    this.resolve?.(r);
  };

  private readonly onError = (e: unknown): void => {
    this.waiting = false;
    this.wake?.(e);
  };

  private arm(ms: number): void {
    this.disarm = this.c.clock.setTimer(ms, () => this.fire());
  }

  private fire(): void {
    this.disarm = undefined;
    // Not waiting (the consumer is slow): next() arms a new timer when it waits again.
    if (!this.waiting) return;
    const idle = this.c.clock.now() - this.lastEventAt;
    if (idle < this.ms) return this.arm(this.ms - idle);
    const err = new ProviderError('timeout', `no stream event for ${this.ms} ms`);
    this.c.abort.abort(err);
    this.wake?.(err);
  }
}

/**
 * Relays a provider stream after its first event has arrived (from then on the client has seen
 * output, so there is no retry or fallback). A gap of more than the route's `timeoutMs` between
 * events is a failure. The budget reservation is settled exactly once: with the provider's usage on
 * `done`; when the provider fails mid-stream (the `error` event carries that cost) or the client
 * goes away, with `brokenStreamUsage`: the provider's usage so far where it sent one, else upper
 * bounds, so a broken stream is never charged less than the provider bills.
 */
export function streamEvents(c: StreamContext): AsyncIterableIterator<EngineStreamEvent> {
  return closeable(relay(c), async () => {
    // The client left before reading anything: stop the upstream and charge what it produced.
    c.abort.abort(new Error('client closed the stream'));
    void c.iterator.return?.()?.catch(() => undefined);
    const usage = brokenStreamUsage({
      promptBound: c.promptBound,
      ...(c.first.type !== 'delta' ? { reported: c.first.usage } : {}),
      streamedBytes: c.first.type === 'delta' ? Buffer.byteLength(c.first.text) : 0,
      maxTokens: c.maxTokens,
    });
    const cost = await c.settle(usage);
    c.log({ ...usage, costUsd: nanoToUsd(cost), latencyMs: c.clock.now() - c.startedAt, overheadMs: 0, outcome: 'client_closed', status: 499 });
  });
}

/** The output check stopped the stream. */
class OutputCut extends Error {
  constructor(readonly step: Extract<OutputStep, { type: 'cut' }>) {
    super(step.message);
  }
}

async function* relay(c: StreamContext): AsyncGenerator<EngineStreamEvent> {
  const now = () => c.clock.now();
  let ownMs = now() - c.startedAt - c.stats.upstreamMs - c.stats.backoffMs;
  let chars = 0;
  let bytes = 0;
  let reported: Usage | undefined;
  let finalUsage: Usage | undefined;
  let finished = false;
  const estimate = (): Usage => brokenStreamUsage({ promptBound: c.promptBound, ...(reported ? { reported } : {}), streamedBytes: bytes, maxTokens: c.maxTokens });
  const meta = (costNanoUsd: number): ResultMeta => ({ requestId: c.requestId, route: c.route.name, target: c.target.id, attempts: c.attempts, costNanoUsd, overheadMs: Math.max(0, ownMs) });
  let event = c.first;
  const onClientGone = () => c.abort.abort(new Error('the client closed the connection'));
  c.clientSignal?.addEventListener('abort', onClientGone, { once: true });
  let gap: GapWatch | undefined;
  try {
    for (;;) {
      if (event.type === 'done') {
        if (c.output) {
          finalUsage = event.usage;
          const rest = await c.output.end();
          if (rest.type === 'cut') throw new OutputCut(rest);
          if (rest.text) yield { type: 'delta', text: rest.text };
        }
        finished = true;
        const t0 = now();
        const cost = await c.settle(event.usage);
        ownMs += now() - t0;
        const record = { promptTokens: event.usage.promptTokens, completionTokens: event.usage.completionTokens, costUsd: nanoToUsd(cost), latencyMs: now() - c.startedAt, overheadMs: Math.max(0, ownMs), outcome: 'ok', status: 200 };
        // Logged once the consumer has taken the last event (its next() or return()), so that the
        // answer's last bytes can leave before the log line is written.
        try {
          yield { type: 'done', finishReason: event.finishReason, usage: event.usage, meta: meta(cost) };
        } finally {
          c.log(record);
        }
        return;
      }
      if (event.type === 'usage') reported = event.usage;
      else {
        chars += event.text.length;
        bytes += Buffer.byteLength(event.text);
        if (c.output) {
          const step = await c.output.push(event.text);
          if (step.type === 'cut') throw new OutputCut(step);
          if (step.text) yield { type: 'delta', text: step.text };
        } else yield event;
      }
      // (The stream's own time is ownMs; `c.stats` counts the attempts' time, before the stream.)
      gap ??= new GapWatch(c, c.route.timeoutMs);
      const next = await gap.next(now());
      if (next.done) throw new ProviderError('server', 'the stream ended without its final usage event');
      event = next.value;
    }
  } catch (err) {
    finished = true;
    c.abort.abort(err);
    if (err instanceof OutputCut) {
      // Not the target's fault: no breaker. The upstream is charged as a broken stream (or exactly, when it had finished).
      void c.iterator.return?.()?.catch(() => undefined);
      const usage = finalUsage ?? estimate();
      const cost = await c.settle(usage);
      c.onCut?.(err.step.policies);
      const error =
        err.step.cause === 'blocked'
          ? new RouterError(400, 'invalid_request_error', 'content_filter', err.step.message)
          : new RouterError(503, 'server_error', 'guard_unavailable', err.step.message);
      c.log({ ...usage, costUsd: nanoToUsd(cost), latencyMs: now() - c.startedAt, overheadMs: Math.max(0, ownMs), outcome: error.code ?? 'error', status: error.status });
      yield { type: 'error', error, usage, meta: meta(cost) };
      return;
    }
    const reason = clip(err instanceof Error ? err.message : String(err), 500);
    if (c.clientSignal?.aborted) {
      const usage = estimate();
      const cost = await c.settle(usage);
      c.log({ ...usage, costUsd: nanoToUsd(cost), latencyMs: now() - c.startedAt, overheadMs: Math.max(0, ownMs), outcome: 'client_closed', status: 499 });
      return;
    }
    if (err instanceof ProviderError && TARGET_FAULT_KINDS.has(err.kind)) c.breaker.failure(now(), { kind: err.kind, message: `mid-stream: ${reason}` });
    const usage = estimate();
    const cost = await c.settle(usage);
    const error = new RouterError(502, 'upstream_error', 'upstream_stream_failed', `target '${c.target.id}' failed after streaming ${chars} characters: ${reason}; the output is incomplete`);
    c.log({ ...usage, costUsd: nanoToUsd(cost), latencyMs: now() - c.startedAt, overheadMs: Math.max(0, ownMs), outcome: error.code ?? 'error', status: 502, error: error.message });
    yield { type: 'error', error, usage, meta: meta(cost) };
  } finally {
    gap?.stop();
    c.clientSignal?.removeEventListener('abort', onClientGone);
    if (!finished) {
      // The consumer stopped early: the client disconnected. Stop paying for tokens nobody reads.
      c.abort.abort(new Error('client closed the stream'));
      void c.iterator.return?.()?.catch(() => undefined);
      const usage = estimate();
      const cost = await c.settle(usage);
      c.log({ ...usage, costUsd: nanoToUsd(cost), latencyMs: now() - c.startedAt, overheadMs: Math.max(0, ownMs), outcome: 'client_closed', status: 499 });
    }
  }
}

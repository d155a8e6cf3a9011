import type { RouterRoute, RouterTarget } from '../config';
import { ProviderError, type ProviderAdapter, type ProviderRequest } from '../providers/types';
import { backoffMs } from './backoff';
import type { BreakerRegistry } from './breaker';
import type { Clock, Random } from './clock';
import { RouterError } from './errors';
import { exhaustedError, KIND_TEXT, type TargetFailure } from './failures';
import { Cancellation, type CancelSignal } from './cancel';
import { clip } from './quote';

/** Everything one request's attempts need. */
export interface Execution {
  readonly route: RouterRoute;
  /** Target ids in the order to try. */
  readonly order: readonly string[];
  readonly targets: ReadonlyMap<string, RouterTarget>;
  readonly adapter: (target: RouterTarget) => ProviderAdapter;
  /** The provider request for a target (max tokens depend on the target). */
  readonly requestFor: (target: RouterTarget) => ProviderRequest;
  readonly breakers: BreakerRegistry;
  readonly clock: Clock;
  readonly random: Random;
  /** `clock.now()` when the request arrived; the deadline counts from here. */
  readonly startedAt: number;
  /** Aborts when the client goes away. */
  readonly clientSignal?: CancelSignal;
}

/** What the attempts did: provider calls, and time spent outside the router's own code. */
export interface AttemptStats {
  /** Provider calls made so far. */
  calls: number;
  /** The target of the latest call. */
  lastTarget?: string;
  /**
   * Planned targets the request moved past (failed, or skipped: open circuit, too small a window,
   * deadline) before the one that answered or the last one reached: 0 when the first choice served.
   */
  fallbacks: number;
  /** Calls repeated on the same target after a retryable failure. */
  retries: number;
  /** Milliseconds waiting for providers. */
  upstreamMs: number;
  /** Milliseconds sleeping between retries. */
  backoffMs: number;
}

export interface Served<T> {
  readonly value: T;
  readonly target: RouterTarget;
  /** Provider calls made, including the successful one. */
  readonly attempts: number;
  /** Aborts the successful attempt's upstream call (streams use it after the first event). */
  readonly abort: Cancellation;
}

/** One attempt: call the adapter; for streams, also wait for the first event. */
export type AttemptFn<T> = (adapter: ProviderAdapter, request: ProviderRequest, signal: CancelSignal) => Promise<T>;

/** Failures that say the target is unhealthy (and count for its circuit breaker). */
const TARGET_FAULTS = new Set(['throttled', 'server', 'timeout', 'auth']);
/** Failures worth retrying on the same target. */
const RETRYABLE = new Set(['throttled', 'server', 'timeout']);

/**
 * Turns whatever an adapter threw into a ProviderError. Adapters report every provider failure as a
 * ProviderError, so anything else was thrown by the adapter's own code while it built the provider
 * request or read it (e.g. `Maximum call stack size exceeded` on an odd request): that is the
 * request's fault, `bad_request` — never a target failure, never retried, never counted by a breaker
 * (one tenant's odd request must not open the circuits every tenant uses).
 */
function asProviderError(err: unknown, signal: CancelSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted && signal.reason instanceof ProviderError) return signal.reason;
  return new ProviderError('bad_request', `the adapter could not translate the request: ${clip(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}`);
}

/** Runs `fn`, rejecting as soon as `signal` aborts even if the adapter ignores the signal. */
function raceAbort<T>(fn: () => Promise<T>, signal: CancelSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    fn().then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function clientGone(): RouterError {
  return new RouterError(499, 'invalid_request_error', 'client_closed', 'the client closed the connection before the response was ready');
}

/**
 * Tries the planned targets in order until one serves the request:
 * - throttled / server / timeout: retried on the same target up to `route.retries` times with
 *   jittered exponential backoff (never sooner than the provider's Retry-After), then the next target;
 * - auth: the next target (no retry: the same credentials fail again);
 * - bad_request: fails at once with 400 (another target would reject the same request);
 * - context_length: the next target with a larger context window;
 * - content_filter: 400 when `onContentFilter` is `fail`, else the next target;
 * - a target whose circuit is open is skipped.
 * Each call is bounded by `timeoutMs` and by what is left of `deadlineMs`.
 */
export async function execute<T>(x: Execution, stats: AttemptStats, attempt: AttemptFn<T>): Promise<Served<T>> {
  const { route, clock } = x;
  const deadlineAt = x.startedAt + route.deadlineMs;
  const failures: TargetFailure[] = [];
  let smallestWindowTooSmall = 0;
  let deadlinePassed = false;

  let position = -1;
  targets: for (const id of x.order) {
    stats.fallbacks = ++position;
    const target = x.targets.get(id);
    if (!target) throw new RouterError(500, 'server_error', 'config_error', `route '${route.name}' names unknown target '${id}'; fix the router config`);
    if (deadlinePassed) {
      failures.push({ target: id, kind: 'deadline', calls: 0, message: 'deadline passed first' });
      continue;
    }
    if (target.contextWindowTokens <= smallestWindowTooSmall) {
      failures.push({ target: id, kind: 'smaller_window', calls: 0, message: `window ${target.contextWindowTokens} tokens is not larger than one that was too small (${smallestWindowTooSmall})` });
      continue;
    }
    const breaker = x.breakers.for(id);
    let targetCalls = 0;
    for (let retry = 0; ; retry++) {
      const now = clock.now();
      const admission = breaker.admit(now);
      if (!admission.allowed) {
        // The client is told why the circuit opened: the target's own last failure (a timeout is a 504).
        const cause = breaker.lastFailure;
        const state = admission.retryInMs > 0 ? `next probe in ${Math.ceil(admission.retryInMs / 1000)} s` : 'a probe call is in flight';
        failures.push({ target: id, kind: 'circuit_open', calls: targetCalls, message: cause ? `${state}; last failure: ${KIND_TEXT[cause.kind]}: ${cause.message}` : state, retryInMs: admission.retryInMs, ...(cause ? { cause: cause.kind } : {}) });
        continue targets;
      }
      const remaining = deadlineAt - now;
      if (remaining <= 0) {
        breaker.abandon(admission.probe);
        deadlinePassed = true;
        failures.push({ target: id, kind: 'deadline', calls: targetCalls, message: 'deadline passed first' });
        continue targets;
      }
      if (x.clientSignal?.aborted) {
        breaker.abandon(admission.probe);
        throw clientGone();
      }
      const byDeadline = remaining < route.timeoutMs;
      const limitMs = Math.min(route.timeoutMs, remaining);
      const controller = new Cancellation();
      const disarm = clock.setTimer(limitMs, () => controller.abort(new ProviderError('timeout', `no answer within ${Math.round(limitMs)} ms${byDeadline ? ' (the rest of the deadline)' : ''}`)));
      const onClientAbort = () => controller.abort(clientGone());
      x.clientSignal?.addEventListener('abort', onClientAbort, { once: true });
      if (retry > 0) stats.retries++;
      stats.calls++;
      stats.lastTarget = id;
      targetCalls++;
      const callStart = clock.now();
      let ok = false;
      let value: T | undefined;
      let thrown: unknown;
      try {
        value = await raceAbort(() => attempt(x.adapter(target), x.requestFor(target), controller.signal), controller.signal);
        ok = true;
      } catch (err) {
        thrown = err;
      } finally {
        stats.upstreamMs += clock.now() - callStart;
        disarm();
        x.clientSignal?.removeEventListener('abort', onClientAbort);
      }
      if (ok) {
        breaker.success();
        return { value: value as T, target, attempts: stats.calls, abort: controller };
      }
      if (controller.signal.reason instanceof RouterError) {
        breaker.abandon(admission.probe);
        throw controller.signal.reason;
      }
      const e = asProviderError(thrown, controller.signal);
      const failure: TargetFailure = { target: id, kind: e.kind, calls: targetCalls, message: e.status ? `HTTP ${e.status}: ${e.message}` : e.message, ...(e.retryAfterMs !== undefined ? { retryInMs: e.retryAfterMs } : {}) };
      if (TARGET_FAULTS.has(e.kind)) breaker.failure(clock.now(), { kind: e.kind, message: failure.message });
      else breaker.abandon(admission.probe);
      if (e.kind === 'bad_request') {
        throw new RouterError(400, 'invalid_request_error', 'upstream_bad_request', `target '${id}' rejected the request: ${failure.message}`);
      }
      if (e.kind === 'content_filter' && route.onContentFilter === 'fail') {
        throw new RouterError(400, 'invalid_request_error', 'content_filter', `target '${id}' refused the request under its content policy: ${e.message}`, 'messages');
      }
      if (e.kind === 'context_length') smallestWindowTooSmall = Math.max(smallestWindowTooSmall, target.contextWindowTokens);
      if (e.kind === 'timeout' && byDeadline) deadlinePassed = true;
      if (!RETRYABLE.has(e.kind) || retry >= route.retries || deadlinePassed) {
        failures.push(failure);
        continue targets;
      }
      const delay = backoffMs(retry, x.random, e.retryAfterMs);
      // A long Retry-After is better spent on the next target than waiting here.
      if (clock.now() + delay >= deadlineAt || delay > route.timeoutMs) {
        failures.push({ ...failure, message: `${failure.message}; not retried: a retry in ${delay} ms would pass the ${clock.now() + delay >= deadlineAt ? 'deadline' : 'attempt timeout'}` });
        continue targets;
      }
      const sleepStart = clock.now();
      try {
        await clock.sleep(delay, x.clientSignal);
      } catch {
        throw clientGone();
      } finally {
        stats.backoffMs += clock.now() - sleepStart;
      }
    }
  }
  throw exhaustedError(route.name, failures, deadlinePassed || clock.now() >= deadlineAt, route.deadlineMs);
}

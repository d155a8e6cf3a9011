import type { ProviderErrorKind } from '../providers/types';
import { RouterError } from './errors';

/** Why one target did not serve a request. */
export type FailureKind = ProviderErrorKind | 'circuit_open' | 'smaller_window' | 'deadline';

export interface TargetFailure {
  readonly target: string;
  readonly kind: FailureKind;
  /** Calls made to the target (0 when it was skipped). */
  readonly calls: number;
  readonly message: string;
  /** When the target said (Retry-After) or its breaker knows it can be called again, ms from now. */
  readonly retryInMs?: number;
  /** For `circuit_open`: the target's last failure, which opened the circuit. */
  readonly cause?: ProviderErrorKind;
}

export const KIND_TEXT: Record<FailureKind, string> = {
  throttled: 'throttled',
  server: 'server error',
  timeout: 'timed out',
  context_length: 'context window exceeded',
  content_filter: 'refused by content filter',
  auth: 'authentication failed',
  bad_request: 'rejected the request',
  circuit_open: 'circuit open',
  smaller_window: 'skipped',
  deadline: 'not tried',
};

function describe(f: TargetFailure): string {
  const calls = f.calls > 1 ? ` after ${f.calls} calls` : '';
  return `${f.target}: ${KIND_TEXT[f.kind]}${calls} (${f.message})`;
}

/** What a failure says about its target: a circuit opened by timeouts is a timeout. */
function effectiveKind(f: TargetFailure): FailureKind {
  return f.kind === 'circuit_open' && f.cause ? f.cause : f.kind;
}

/**
 * The client error when no target served the request, chosen from what the targets said, where a
 * target whose circuit is open counts as the failure that opened it:
 * 504 `deadline_exceeded` when the deadline passed; 504 `upstream_timeout` when every target timed
 * out; 503 when every target was throttled (or had its circuit open with no known cause);
 * 400 when every target found the prompt too long or refused its content; 502 otherwise.
 * The message names each target tried and why it failed.
 */
export function exhaustedError(route: string, failures: readonly TargetFailure[], deadlinePassed: boolean, deadlineMs: number): RouterError {
  const list = failures.map(describe).join('; ');
  const tried = failures.filter((f) => f.kind !== 'smaller_window' && f.kind !== 'deadline');
  const all = (...kinds: FailureKind[]) => tried.length > 0 && tried.every((f) => kinds.includes(effectiveKind(f)));
  const retryAfter = (): Record<string, string> => {
    const waits = tried.map((f) => f.retryInMs ?? 1000);
    return { 'retry-after': String(Math.max(1, Math.ceil(Math.min(...waits) / 1000))) };
  };
  if (deadlinePassed) {
    return new RouterError(504, 'upstream_error', 'deadline_exceeded', `route '${route}' did not complete within its ${deadlineMs} ms deadline: ${list}`);
  }
  if (all('context_length')) {
    return new RouterError(400, 'invalid_request_error', 'context_length_exceeded', `the prompt and max_tokens exceed the context window of every target of route '${route}': ${list}; shorten the prompt or lower max_tokens`, 'messages');
  }
  if (all('content_filter')) {
    return new RouterError(400, 'invalid_request_error', 'content_filter', `every target of route '${route}' refused the request under its content policy: ${list}`, 'messages');
  }
  if (all('timeout')) {
    return new RouterError(504, 'upstream_error', 'upstream_timeout', `every target of route '${route}' timed out: ${list}`, null, tried.some((f) => f.kind === 'circuit_open') ? retryAfter() : {});
  }
  if (all('throttled', 'circuit_open')) {
    const headers = retryAfter();
    return new RouterError(503, 'upstream_error', 'upstream_unavailable', `every target of route '${route}' is throttled or has its circuit open: ${list}; retry in ${headers['retry-after']} s`, null, headers);
  }
  return new RouterError(502, 'upstream_error', 'upstream_failed', `every target of route '${route}' failed: ${list}`);
}

import { RouterError } from '../engine/errors';
import type { GuardErrorKind, GuardPolicy } from './types';

/**
 * A prompt or answer the guard refused: 400 `content_filter`, the design's blocked message and the
 * policies that fired, nothing more (no score, no matched word, no entity).
 */
export class GuardBlockedError extends RouterError {
  constructor(
    blockedMessage: string,
    public readonly policies: readonly GuardPolicy[],
    /** What the guard calls cost before the refusal, nano-USD: charge it. */
    public readonly costNanoUsd: number,
  ) {
    super(400, 'invalid_request_error', 'content_filter', policies.length > 0 ? `${blockedMessage} (policy: ${policies.join(', ')})` : blockedMessage);
    this.name = 'GuardBlockedError';
  }
}

/**
 * The cloud guard gave no verdict and the route fails closed: 503 `guard_unavailable`, with
 * `Retry-After` when the guard said when to come back (else 1 s). The message names the class of
 * outage only; `guardMessage` (for logs) has the adapter's detail.
 */
export class GuardUnavailableError extends RouterError {
  constructor(
    public readonly kind: GuardErrorKind,
    public readonly guardMessage: string,
    public readonly costNanoUsd: number,
    retryAfterMs?: number,
  ) {
    super(503, 'server_error', 'guard_unavailable', `the content guard is unavailable (${kind}); the request was refused unchecked, retry later`, null, {
      'retry-after': String(Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000))),
    });
    this.name = 'GuardUnavailableError';
  }
}

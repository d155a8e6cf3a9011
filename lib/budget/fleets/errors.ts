import type { FleetRef } from './types';

/**
 * What went wrong, in terms the stop function acts on:
 * - `not-found`: the group (or its autoscaler) no longer exists; reported, never skipped, so an operator
 *   sees that the stop could not hold a fleet it was told about;
 * - `throttled`: the cloud asked to slow down (retried with backoff, then surfaced);
 * - `unavailable`: a transient server or network failure (retried like throttling);
 * - `denied`: the function's identity lacks a permission (the message names the cloud's code);
 * - `invalid`: the cloud refused the request or the locator is malformed;
 * - `failed`: a long-running operation ended in failure;
 * - `timeout`: an operation did not finish within the adapter's bound;
 * - `aborted`: the caller's AbortSignal fired.
 */
export type FleetErrorKind = 'not-found' | 'throttled' | 'unavailable' | 'denied' | 'invalid' | 'failed' | 'timeout' | 'aborted';

/** Longest message a FleetError carries: it ends up in notifications and logs, so cloud answers are cut. */
export const MAX_MESSAGE_CHARS = 200;

export class FleetError extends Error {
  override readonly name = 'FleetError';
  /** Whether retrying the same call may succeed. */
  readonly retryable: boolean;

  constructor(
    readonly cloud: FleetRef['cloud'],
    readonly kind: FleetErrorKind,
    /** The cloud's own error code (e.g. `Throttling`, `rateLimitExceeded`, `ResourceNotFound`), or the HTTP status. */
    readonly code: string,
    message: string,
    readonly status?: number,
    /** How long the cloud asked to wait before the next attempt (Azure `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(clip(message));
    this.retryable = kind === 'throttled' || kind === 'unavailable';
  }
}

/** `text` on one line, at most `max` characters. */
export function clip(text: string, max = MAX_MESSAGE_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The kind of an HTTP error status, before any cloud-specific code refines it. */
export function kindOfStatus(status: number): FleetErrorKind {
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'denied';
  if (status === 408 || status >= 500) return 'unavailable';
  return 'invalid';
}

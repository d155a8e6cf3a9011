import { ProviderError } from '../../router/providers/types';
import { clip } from '../../router/engine/quote';
import { EmbeddingError } from './types';

export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff; doubled each attempt, with full jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Cap of one wait, Retry-After included: a provider asking for longer fails the batch instead of stalling the run. @default 60000 */
  readonly maxDelayMs?: number;
  /** Injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Throttling, server faults and lost connections pass; anything else (auth, bad request, bad JSON) will not. */
function retryable(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.status !== undefined) return error.status === 429 || error.status === 408 || error.status >= 500;
  return error.kind === 'timeout';
}

/**
 * Runs `call` until it succeeds or `maxAttempts` are spent, waiting what the provider asked
 * (Retry-After, retry-after-ms) or an exponential backoff. The final error names `label` and the
 * status and quotes at most 200 characters of the provider's message (it may echo the inputs).
 */
export async function withRetries<T>(label: string, call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 60_000;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const status = error instanceof ProviderError ? error.status : undefined;
      if (!retryable(error) || attempt >= maxAttempts) {
        const detail = clip(error instanceof Error ? error.message : String(error), 200);
        const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
        throw new EmbeddingError(`${label} failed${tries}${status !== undefined ? ` (HTTP ${status})` : ''}: ${detail}`, status);
      }
      const asked = error instanceof ProviderError ? error.retryAfterMs : undefined;
      const backoff = random() * base * 2 ** (attempt - 1);
      await wait(Math.min(cap, asked ?? backoff));
    }
  }
}

/**
 * Reading a secret reference (`lib/router/deploy-env.ts`): one reader per scheme, each given the
 * reference's locator (what follows `<scheme>:`) and answering the secret's current value.
 */
export type SecretReader = (locator: string) => Promise<string>;

/** Longest a secret read may take before it counts as failed. */
export const SECRET_READ_TIMEOUT_MS = 10_000;

/** A secret store answered with an error, or with something that is not a secret value. */
export class SecretReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretReadError';
  }
}

/** The first `max` characters of a store's answer, for an error message. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The message of a failed `fetch`, with its cause (Node's fetch says only "fetch failed"). */
export function fetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${SECRET_READ_TIMEOUT_MS / 1000} s`;
  const cause = e?.cause ? `: ${e.cause.code ?? e.cause.message ?? String(e.cause)}` : '';
  return `${e?.message ?? String(err)}${cause}`;
}

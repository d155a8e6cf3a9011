import type { CancelSignal } from '../engine/cancel';

/**
 * The contract between the guard stage and the cloud guards (Bedrock ApplyGuardrail, Model Armor,
 * Azure AI Content Safety). An adapter answers one question — may these texts pass, masked or as
 * they are — and says what the call cost; the stage decides what a verdict or an outage means.
 */

/** Which side of the model call the texts come from. */
export type GuardSource = 'input' | 'output';

/**
 * The policies a verdict can name. These names (and only these) reach clients and logs: they say
 * which kind of rule fired without the detail (score, matched word, entity) an attacker could
 * tune a prompt against.
 */
export type GuardPolicy = 'prompt_attack' | 'content' | 'denied_topic' | 'blocked_words' | 'profanity' | 'pii' | 'malicious_uri';

export const GUARD_POLICIES: readonly GuardPolicy[] = ['prompt_attack', 'content', 'denied_topic', 'blocked_words', 'profanity', 'pii', 'malicious_uri'];

export interface GuardVerdict {
  /** `mask`: the texts may pass as `texts`; `block`: they may not pass at all. */
  readonly action: 'allow' | 'mask' | 'block';
  /** Policies that fired, each once, in `GUARD_POLICIES` order. */
  readonly policies: readonly GuardPolicy[];
  /** With `mask`: the masked texts, one per text given, in the same order. */
  readonly texts?: readonly string[];
  /** What the guard call cost, integer nano-USD (0 for the local filter). */
  readonly costNanoUsd: number;
}

export interface GuardRequest {
  readonly source: GuardSource;
  /** Non-empty texts to check; a verdict's `texts` answer them one to one. */
  readonly texts: readonly string[];
  readonly tenant: string;
  readonly route: string;
}

export interface GuardAdapter {
  /** The cloud guard's kind (`GUARD_KINDS`), for logs. */
  readonly kind: string;
  /**
   * One check. Resolves with a verdict, or rejects with a `GuardError` when the guard could not
   * give one (an outage is never a verdict). Honours `signal`: an abort rejects with `timeout`.
   */
  check(request: GuardRequest, signal: CancelSignal): Promise<GuardVerdict>;
  /**
   * Loads what the first check needs (an SDK, an auth library), so that time is not taken from
   * the first check's guard timeout. The stage awaits it once, outside the timeout; a failure is
   * ignored here (the check reports it).
   */
  prepare?(): Promise<void>;
}

/** Why a cloud guard gave no verdict. */
export type GuardErrorKind =
  | 'throttled' // 429 / ThrottlingException: `retryAfterMs` when the guard said
  | 'server' // 5xx, or a guard that evaluated only part of the text
  | 'timeout' // no answer within the guard timeout, or the connection failed
  | 'auth' // 401/403: the router's identity may not call the guard
  | 'bad_request' // another 4xx: the guard refused the call itself (a wrong guardrail id, a text too long)
  | 'bad_response'; // an answer that is not the guard's JSON

/** A guard outage: distinct from a verdict, so the stage can apply the fail mode. */
export class GuardError extends Error {
  constructor(
    public readonly kind: GuardErrorKind,
    message: string,
    public readonly status?: number,
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GuardError';
  }
}

/** The policies of `list` each once, in `GUARD_POLICIES` order, so verdicts compare and log alike. */
export function orderPolicies(list: Iterable<GuardPolicy>): GuardPolicy[] {
  const set = new Set(list);
  return GUARD_POLICIES.filter((p) => set.has(p));
}

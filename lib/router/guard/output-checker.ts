import { GuardUnavailableError } from './errors';
import type { GuardFailure, InputCheck, OutputCheck } from './stage';
import type { GuardPolicy } from './types';

/** What a streamed answer may do next. */
export type OutputStep =
  /** Text the client may have now (may be empty: the window is not full yet). */
  | { readonly type: 'text'; readonly text: string }
  /**
   * Stop the stream: nothing more is released. `blocked`: a window (or, in parallel mode, the
   * prompt) failed its check — send the documented error event with `message` and `policies`;
   * `guard_unavailable`: the guard gave no verdict on a fail-closed route.
   */
  | { readonly type: 'cut'; readonly cause: 'blocked' | 'guard_unavailable'; readonly policies: readonly GuardPolicy[]; readonly message: string };

export interface OutputChecker {
  /** Adds streamed text; resolves with what may be released now. */
  push(delta: string): Promise<OutputStep>;
  /** The stream ended: checks the rest and resolves with it. */
  end(): Promise<OutputStep>;
  /** Guard calls so far, nano-USD (the windows checked, a cut one included). */
  readonly costNanoUsd: number;
  /** Policies that masked released text. */
  readonly maskedPolicies: readonly GuardPolicy[];
  /** Outages a fail-open route let through, one per window. */
  readonly guardFailures: readonly GuardFailure[];
}

export interface StreamOutputCheckerOptions {
  readonly windowChars: number;
  /** False: the route opts out of output checks; text passes as it comes. */
  readonly enabled: boolean;
  readonly blockedMessage: string;
  readonly gate?: PromiseLike<InputCheck>;
  readonly check: (text: string) => Promise<OutputCheck>;
}

/** Longest stretch kept back at a window's end (see `StreamOutputChecker`); the longest blocked phrase is 100 characters. */
const MAX_HOLD_CHARS = 100;

/**
 * Checks a streamed answer window by window. Text is released only once the window holding it
 * passed, so a violation in window n cuts the stream before any of window n is sent, and the
 * first release waits for one window at most (`windowChars` characters, or the stream's end).
 *
 * The last `hold` characters of each checked window (half the window, at most 100) are not
 * released with it: they are checked again at the start of the next window, so a blocked
 * phrase or a PII value split across two windows is seen whole before any of it is released.
 * They go out once a check leaves them unchanged at its end; when a mask reached into them, the
 * whole masked window goes out. Windows are checked one after the other: while one is checked
 * the caller does not read on, so the provider's stream is paused (TCP backpressure), not buffered.
 */
export class StreamOutputChecker implements OutputChecker {
  costNanoUsd = 0;
  private readonly masked = new Set<GuardPolicy>();
  private readonly failures: GuardFailure[] = [];
  private readonly hold: number;
  private pending = '';
  private held = '';
  private cut: Extract<OutputStep, { type: 'cut' }> | undefined;
  private gatePassed = false;
  private ended = false;

  constructor(private readonly options: StreamOutputCheckerOptions) {
    this.hold = Math.min(MAX_HOLD_CHARS, Math.floor(options.windowChars / 2));
  }

  get maskedPolicies(): readonly GuardPolicy[] {
    return [...this.masked];
  }

  get guardFailures(): readonly GuardFailure[] {
    return this.failures;
  }

  async push(delta: string): Promise<OutputStep> {
    if (this.cut) return this.cut;
    if (this.ended) throw new Error('push after end');
    this.pending += delta;
    if (!this.options.enabled) {
      // The route opts out: text passes as it comes (once the gate, if any, passed).
      const gate = await this.passGate();
      if (gate) return gate;
      const text = this.pending;
      this.pending = '';
      return { type: 'text', text };
    }
    let released = '';
    while (this.pending.length >= this.options.windowChars) {
      const size = splitPoint(this.pending, this.options.windowChars);
      const window = this.pending.slice(0, size);
      this.pending = this.pending.slice(size);
      const step = await this.release(this.held + window, false);
      if (step.type === 'cut') return step;
      released += step.text;
    }
    return { type: 'text', text: released };
  }

  async end(): Promise<OutputStep> {
    if (this.cut) return this.cut;
    if (this.ended) return { type: 'text', text: '' };
    this.ended = true;
    const rest = this.held + this.pending;
    this.pending = '';
    this.held = '';
    if (rest === '') {
      // Nothing left to check, but nothing may be released past a gate that did not pass.
      const gate = await this.passGate();
      return gate ?? { type: 'text', text: '' };
    }
    return this.release(rest, true);
  }

  /** Checks `text` (held tail + new window) and returns what may go out. */
  private async release(text: string, final: boolean): Promise<OutputStep> {
    const gate = await this.passGate();
    if (gate) return gate;
    if (!this.options.enabled) return { type: 'text', text };
    let result: OutputCheck;
    try {
      result = await this.options.check(text);
    } catch (error) {
      // A cancelled request (GuardCancelledError) and a bug propagate: neither is the guard's verdict.
      if (error instanceof GuardUnavailableError) return this.stop('guard_unavailable', [], error.message, error.costNanoUsd);
      throw error;
    }
    this.costNanoUsd += result.costNanoUsd;
    if (result.guardFailure) this.failures.push(result.guardFailure);
    if (result.action === 'block') return this.stop('blocked', result.policies, this.options.blockedMessage, 0);
    for (const p of result.policies) this.masked.add(p);
    const out = result.action === 'mask' ? result.text : text;
    if (final) return { type: 'text', text: out };
    const tail = text.slice(tailStart(text, this.hold));
    if (tail !== '' && out.endsWith(tail)) {
      this.held = tail;
      return { type: 'text', text: out.slice(0, out.length - tail.length) };
    }
    this.held = '';
    return { type: 'text', text: out };
  }

  /** Waits for the gate once; a cut when it did not pass. */
  private async passGate(): Promise<Extract<OutputStep, { type: 'cut' }> | undefined> {
    if (this.gatePassed || !this.options.gate) return undefined;
    let check: InputCheck;
    try {
      check = await this.options.gate;
    } catch (error) {
      if (error instanceof GuardUnavailableError) return this.stop('guard_unavailable', [], error.message, error.costNanoUsd);
      throw error;
    }
    if (check.action === 'block') return this.stop('blocked', check.policies, this.options.blockedMessage, 0);
    this.gatePassed = true;
    return undefined;
  }

  private stop(cause: 'blocked' | 'guard_unavailable', policies: readonly GuardPolicy[], message: string, cost: number): Extract<OutputStep, { type: 'cut' }> {
    this.costNanoUsd += cost;
    this.cut = { type: 'cut', cause, policies, message };
    this.pending = '';
    this.held = '';
    return this.cut;
  }
}

/** `size`, or one less when that would split a surrogate pair. */
function splitPoint(text: string, size: number): number {
  const c = text.charCodeAt(size - 1);
  return c >= 0xd800 && c <= 0xdbff ? size - 1 : size;
}

/** Where the last `hold` characters of `text` start, not inside a surrogate pair. */
function tailStart(text: string, hold: number): number {
  let at = Math.max(0, text.length - hold);
  const c = text.charCodeAt(at);
  if (at > 0 && c >= 0xdc00 && c <= 0xdfff) at--;
  return at;
}

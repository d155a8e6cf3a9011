/**
 * The part of the DOM `AbortSignal` the router uses to cancel work. A real `AbortSignal` (from a
 * platform handler or a test) fits it, and so does a `Cancellation`.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An AbortController and its signal in one plain object, for the per-request path (the client's
 * disconnect, each attempt's timeout).
 *
 * Why not AbortController: on Node 20 each one costs ~3 µs to create, and its signal outlives every
 * young-generation collection until a full mark-compact (nodejs/node#55328). With two per request
 * the router promoted ~1 MB per scavenge, its scavenges took ~2 ms instead of ~0.5 ms, and a
 * mark-compact ran every few seconds: the tail of bench/router.js.
 *
 * Semantics follow AbortSignal's: listeners run once, in the order added, when `abort` is first
 * called; adding the same listener twice adds it once; adding one after the abort does nothing.
 * A listener that throws does not keep the others from running; `abort` rethrows the first error.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;

  /** This object, as the signal to hand to the work it cancels (AbortController's shape). */
  get signal(): CancelSignal {
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (!listeners) return;
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    if (!this.listeners) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (!this.listeners) return;
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
}

/** A DOM AbortController that follows a `CancelSignal`, for SDKs that take only a real `AbortSignal`. */
export interface LinkedAbortController {
  readonly controller: AbortController;
  /** Stops following the signal (call when the work is over, so the signal does not hold the controller). */
  detach(): void;
}

/** An AbortController aborted, with the same reason, when `signal` aborts (at once if it has). */
export function linkedAbortController(signal: CancelSignal): LinkedAbortController {
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  return { controller, detach: () => signal.removeEventListener('abort', forward) };
}

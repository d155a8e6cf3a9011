import type { CancelSignal } from '../../../../lib/router/engine/cancel';
import { guardConfigFromDesign, type RouterGuardConfig } from '../../../../lib/router/guard/config';
import type { GuardrailDesign } from '../../../../lib/design/guardrails';
import type { GuardAdapter, GuardRequest, GuardVerdict } from '../../../../lib/router/guard/types';

/**
 * An in-memory cloud guard: `decide` answers each check (or throws, or never settles), and every
 * request it saw is kept, so a test can say exactly what reached the guard.
 */
export class FakeGuard implements GuardAdapter {
  readonly kind = 'fake';
  readonly requests: GuardRequest[] = [];
  aborts = 0;
  /** How long `prepare` takes (an SDK loading on a cold start); undefined: no prepare. */
  prepareMs?: number;
  prepares = 0;

  get prepare(): (() => Promise<void>) | undefined {
    const ms = this.prepareMs;
    if (ms === undefined) return undefined;
    return () => {
      this.prepares++;
      return new Promise((resolve) => setTimeout(resolve, ms));
    };
  }

  constructor(public decide: (request: GuardRequest, signal: CancelSignal) => GuardVerdict | Promise<GuardVerdict> = () => allow()) {}

  async check(request: GuardRequest, signal: CancelSignal): Promise<GuardVerdict> {
    this.requests.push(request);
    signal.addEventListener('abort', () => this.aborts++, { once: true });
    return this.decide(request, signal);
  }
}

export const allow = (costNanoUsd = 1000): GuardVerdict => ({ action: 'allow', policies: [], costNanoUsd });

/** A guard that never answers and ignores its signal: only the stage's own timeout ends the wait. */
export const never = (): Promise<GuardVerdict> => new Promise(() => undefined);

/** The guard config of a design section, with a short guard timeout for tests. */
export function guardConfig(g: GuardrailDesign = {}, timeoutMs = 100): RouterGuardConfig {
  return { ...guardConfigFromDesign(g), timeoutMs };
}

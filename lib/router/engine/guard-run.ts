import type { RequestLog } from '../log';
import type { ChatMessage } from '../providers/types';
import { guardCostBoundNano } from '../guard/cost-bound';
import { GuardBlockedError } from '../guard/errors';
import { messageTexts } from '../guard/messages';
import type { OutputChecker } from '../guard/output-checker';
import type { GuardContext, GuardStage, InputCheck } from '../guard/stage';
import type { GuardPolicy } from '../guard/types';
import type { RouteGuardPolicy } from '../guard/config';
import { nanoToUsd } from './cost';

type GuardLog = Pick<RequestLog, 'guard'>;

/**
 * One request's pass through the guard stage, in the engine's order:
 * 1. `local()`: the free local filter, before any rate count or reservation (a blocked prompt costs
 *    the tenant nothing);
 * 2. `costBound()`: added to the budget reservation, so the guard calls are covered like tokens;
 * 3. `input()`: the cloud guard on the prompt; in `parallel` mode it only starts here and the model
 *    call runs alongside it — a completion waits for it in `inputSettled()`, a stream's output
 *    checker holds every release until it passed;
 * 4. `output()` / `outputChecker()`: the answer, whole or window by window;
 * 5. `costNano()`: every guard call's cost, charged in the same settle as the tokens.
 * In parallel mode the model has already seen the prompt when the cloud guard answers: a verdict
 * that would mask (PII only the cloud detects) refuses the request instead, since masking then
 * would protect nothing.
 */
export class GuardRun {
  readonly policy: RouteGuardPolicy;
  messages: readonly ChatMessage[];
  /** A refused answer's model cost, charged with the guard calls (for the request record). */
  modelChargedNano = 0;
  private inputCost = 0;
  private gate: Promise<InputCheck> | undefined;
  private checker: OutputChecker | undefined;
  private readonly fired = new Set<GuardPolicy>();
  private action: 'block' | 'mask' | undefined;
  private failedOpen = false;

  constructor(
    private readonly stage: GuardStage,
    private readonly ctx: GuardContext,
    messages: readonly ChatMessage[],
  ) {
    this.policy = stage.policy(ctx.route);
    this.messages = messages;
  }

  /** The local filter; throws the 400 `content_filter` when it blocks. */
  local(): void {
    this.note(this.stage.checkLocalInput(this.messages, this.ctx));
  }

  /** Most the request's guard calls may cost, nano-USD. */
  costBound(maxOutputTokens: number): number {
    const texts = messageTexts(this.messages).texts;
    const chars = texts.reduce((n, t) => n + t.length, 0);
    return (this.policy.input ? this.stage.topicsCostBound(chars) : 0) + guardCostBoundNano({
      kind: this.stage.cloudKind,
      input: this.policy.input,
      output: this.policy.output,
      promptChars: chars,
      promptTexts: texts.length,
      maxOutputTokens,
      windowChars: this.policy.streamWindowChars,
    });
  }

  /** The cloud guard on the prompt (sequential), or its start (parallel). Throws 400 or 503. */
  async input(): Promise<void> {
    if (!this.policy.input || (this.stage.cloudKind === undefined && !this.stage.classifiesTopics)) return;
    if (!this.policy.parallel) {
      this.note(await this.stage.checkCloudInput(this.messages, this.ctx));
      return;
    }
    this.gate = this.stage.checkCloudInput(this.messages, this.ctx).then((check) => {
      this.inputCost += check.costNanoUsd;
      if (check.guardFailure) this.failedOpen = true;
      if (check.action === 'block' || check.action === 'mask') {
        for (const p of check.policies) this.fired.add(p);
        this.action = 'block';
        return { ...check, action: 'block' as const };
      }
      return check;
    });
    // Awaited later; a rejection here is not an unhandled one.
    this.gate.catch(() => undefined);
  }

  /** Parallel mode, before a completion is returned: the prompt's check must have passed. */
  async inputSettled(): Promise<void> {
    if (!this.gate) return;
    const check = await this.gate;
    if (check.action === 'block') throw new GuardBlockedError(this.stage.blockedMessage, check.policies, 0);
  }

  /** A whole answer: the text to return (masked where needed); throws 400 when it is blocked. */
  async output(text: string): Promise<string> {
    const check = await this.stage.checkOutput(text, this.ctx);
    this.inputCost += check.costNanoUsd;
    if (check.guardFailure) this.failedOpen = true;
    if (check.action === 'block') {
      this.record('block', check.policies);
      throw new GuardBlockedError(this.stage.blockedMessage, check.policies, 0);
    }
    if (check.action === 'mask') this.record('mask', check.policies);
    return check.text;
  }

  /** The checker of a streamed answer (behind the parallel gate, if any). */
  outputChecker(): OutputChecker {
    this.checker = this.stage.outputChecker(this.ctx, this.gate ? { gate: this.gate } : {});
    return this.checker;
  }

  /** Every guard call so far, nano-USD. */
  costNano(): number {
    return this.inputCost + (this.checker?.costNanoUsd ?? 0);
  }

  /** What the guard did, for the request record: actions and policies, never text. */
  logFields(): GuardLog {
    const masked = this.checker?.maskedPolicies ?? [];
    for (const p of masked) this.fired.add(p);
    const action = this.action ?? (masked.length > 0 ? 'mask' : undefined);
    const failedOpen = this.failedOpen || (this.checker?.guardFailures.length ?? 0) > 0;
    if (!action && !failedOpen && this.costNano() === 0) return {};
    return { guard: { ...(action ? { action } : {}), policies: [...this.fired].sort(), ...(failedOpen ? { failedOpen: true } : {}), costUsd: nanoToUsd(this.costNano()) } };
  }

  /** A stream cut by the output check. */
  cut(policies: readonly GuardPolicy[]): void {
    this.record('block', policies);
  }

  private note(check: InputCheck): void {
    this.inputCost += check.costNanoUsd;
    if (check.guardFailure) this.failedOpen = true;
    if (check.action === 'block') {
      this.record('block', check.policies);
      throw new GuardBlockedError(this.stage.blockedMessage, check.policies, 0);
    }
    if (check.action === 'mask') {
      this.record('mask', check.policies);
      this.messages = check.messages;
    }
  }

  private record(action: 'block' | 'mask', policies: readonly GuardPolicy[]): void {
    for (const p of policies) this.fired.add(p);
    if (action === 'block' || !this.action) this.action = action;
  }
}

import { seededRandom, type Random } from '../engine/clock';
import type { CancelSignal } from '../engine/cancel';
import { contentText } from '../providers/messages';
import { ProviderError, type AdapterFactory, type CompletionResult, type FinishReason, type ProviderAdapter, type ProviderRequest, type StreamEvent, type TargetConfig } from '../providers/types';
import { simulatedPieces, simulatedPromptTokens } from './tokens';

/** The knobs of the simulated providers (`ai-stack serve --simulate`). */
export interface SimulateOptions {
  /** Time before the first token (or the whole answer), ms. @default 150 */
  readonly latencyMs?: number;
  /** Output speed of a stream. @default 80 tokens per second */
  readonly tokensPerSecond?: number;
  /** Fraction (0-1) of calls failing before any output, as an HTTP 503 would. @default 0 */
  readonly errorRate?: number;
  /** Fraction (0-1) of streams that break mid-way, after some output. @default 0 */
  readonly streamErrorRate?: number;
  /** Per-target `errorRate`, by target id (e.g. `{ haiku: 1 }` to watch fallbacks). @default - none */
  readonly targetErrorRates?: Readonly<Record<string, number>>;
  /** Seed of the fault draws, so a run can be repeated. @default 1 */
  readonly seed?: number;
}

export const SIMULATE_DEFAULTS = { latencyMs: 150, tokensPerSecond: 80, errorRate: 0, streamErrorRate: 0, seed: 1 } as const;

/** Waits `ms`, rejecting with the signal's reason (as the real adapters report an abort) if it aborts. */
function wait(ms: number, signal: CancelSignal, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof ProviderError ? signal.reason : new ProviderError('timeout', `${where}: attempt aborted`));
    };
    if (signal.aborted) return onAbort();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A provider simulated in-process: it answers in the time and with the faults its options say, and
 * bills what it "generated" with the simulator's tokenizer. The answer names the target and echoes
 * the start of the last user message, so routing decisions are visible in the output.
 */
export class SimulatedAdapter implements ProviderAdapter {
  private readonly where: string;
  private readonly o: Required<Omit<SimulateOptions, 'targetErrorRates'>>;

  constructor(
    readonly target: TargetConfig,
    options: SimulateOptions = {},
    private readonly random: Random = seededRandom(options.seed ?? SIMULATE_DEFAULTS.seed),
  ) {
    this.where = `simulated ${target.provider} target '${target.id}'`;
    this.o = { ...SIMULATE_DEFAULTS, ...options, errorRate: options.targetErrorRates?.[target.id] ?? options.errorRate ?? SIMULATE_DEFAULTS.errorRate };
  }

  async complete(request: ProviderRequest, signal: CancelSignal): Promise<CompletionResult> {
    const { pieces, finishReason, promptTokens } = await this.begin(request, signal);
    await wait(pieces.length * this.msPerToken() * 0.1, signal, this.where); // a whole answer comes faster than its stream
    return { content: pieces.join(''), finishReason, usage: { promptTokens, completionTokens: pieces.length } };
  }

  async *stream(request: ProviderRequest, signal: CancelSignal): AsyncIterable<StreamEvent> {
    const { pieces, finishReason, promptTokens } = await this.begin(request, signal);
    const breakAt = this.random() < this.o.streamErrorRate ? 1 + Math.floor(this.random() * Math.max(1, pieces.length - 1)) : -1;
    for (let i = 0; i < pieces.length; i++) {
      if (i === breakAt) throw new ProviderError('server', `${this.where}: simulated stream failure after ${i} tokens`);
      if (i > 0) await wait(this.msPerToken(), signal, this.where);
      yield { type: 'delta', text: pieces[i] };
    }
    yield { type: 'done', finishReason, usage: { promptTokens, completionTokens: pieces.length } };
  }

  private msPerToken(): number {
    return this.o.tokensPerSecond > 0 ? 1000 / this.o.tokensPerSecond : 0;
  }

  /** Waits the latency, draws a fault, checks the window, and composes the answer. */
  private async begin(request: ProviderRequest, signal: CancelSignal): Promise<{ pieces: string[]; finishReason: FinishReason; promptTokens: number }> {
    await wait(this.o.latencyMs, signal, this.where);
    if (this.random() < this.o.errorRate) throw new ProviderError('server', `${this.where}: HTTP 503: simulated outage`, 503);
    const promptTokens = simulatedPromptTokens(request.messages);
    if (promptTokens + request.maxTokens > this.target.contextWindowTokens) {
      throw new ProviderError('context_length', `${this.where}: HTTP 400: prompt (${promptTokens} tokens) + max_tokens (${request.maxTokens}) exceed the context window of ${this.target.contextWindowTokens} tokens`, 400);
    }
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
    const asked = contentText(lastUser?.content ?? '').replace(/\s+/g, ' ').trim().slice(0, 80);
    const text = `Simulated answer from ${this.target.id} (${this.target.provider} ${this.target.providerModelId}) to: "${asked}". This is generated text for local testing of routing, fallbacks, budgets and rate limits.`;
    const all = simulatedPieces(text);
    const pieces = all.slice(0, request.maxTokens);
    return { pieces, finishReason: pieces.length < all.length ? 'length' : 'stop', promptTokens };
  }
}

/** Adapters simulating every target in-process; `real` (if given) serves the targets in `realTargets`. */
export function simulatedAdapterFactory(options: SimulateOptions = {}, real?: { factory: AdapterFactory; targets: ReadonlySet<string> }): AdapterFactory {
  const random = seededRandom(options.seed ?? SIMULATE_DEFAULTS.seed);
  return (target) => (real?.targets.has(target.id) ? real.factory(target) : new SimulatedAdapter(target, options, random));
}

/**
 * Connection settings that let `routerConfigFromDesign` configure every target of a design without
 * any cloud account (none of them is called when simulated): a placeholder URL, project or region
 * where the target has none.
 */
export const SIMULATED_TARGET_OVERRIDES = {
  endpoint: { baseUrl: 'http://simulated.invalid' },
  'azure-openai': { baseUrl: 'https://simulated.openai.azure.com', apiKey: 'simulated' },
  vertex: { project: 'simulated-project' },
  bedrock: {},
} as const;

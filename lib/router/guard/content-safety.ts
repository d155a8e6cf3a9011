import type { ContentFiltersDesign, FilterStrength } from '../../design/guardrails';
import type { CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';
import { describe, isObject } from '../providers/errors';
import { AZURE_OPENAI_TOKEN_SCOPE } from '../providers/azure-openai';
import { postGuardJson } from './http';
import { mapLimit } from './map-limit';
import { CONTENT_SAFETY_NANO_PER_RECORD, type ContentSafetyPrices } from './prices';
import { GuardError, orderPolicies, type GuardAdapter, type GuardPolicy, type GuardRequest, type GuardVerdict } from './types';

/** The GA data-plane version with both `text:shieldPrompt` and `text:analyze`. */
export const CONTENT_SAFETY_API_VERSION = '2024-09-01';

/** Most characters (Unicode code points) one `text:analyze` or `text:shieldPrompt` call takes. */
export const CONTENT_SAFETY_MAX_CHARS = 10_000;

export type ContentSafetyCategory = 'Hate' | 'SelfHarm' | 'Sexual' | 'Violence';

export interface ContentSafetyGuardOptions {
  /** The Content Safety account, `https://<account>.cognitiveservices.azure.com`. */
  readonly endpoint: string;
  /** Prompt Shields runs on input unless this is `none` (it has no strengths: it detects or not). */
  readonly promptAttack: FilterStrength;
  /** The design's strengths, mapped to severity thresholds by `contentSafetyThresholds`. */
  readonly content: Required<ContentFiltersDesign>;
  /**
   * Text blocklists of the account to match as well (a match blocks as `blocked_words`).
   * @default - none: the router's local filter matches the design's blocked words
   */
  readonly blocklistNames?: readonly string[];
  /**
   * Returns a Microsoft Entra token for `https://cognitiveservices.azure.com/.default`.
   * @default - `DefaultAzureCredential` from @azure/identity (the Function App's managed identity,
   *   `AZURE_CLIENT_ID`), as the Azure OpenAI adapter gets its token
   */
  readonly accessToken?: () => Promise<string>;
  /** @default CONTENT_SAFETY_API_VERSION */
  readonly apiVersion?: string;
  /** @default CONTENT_SAFETY_NANO_PER_RECORD */
  readonly prices?: Partial<ContentSafetyPrices>;
}

/**
 * The lowest severity (of `FourSeverityLevels`: 0, 2, 4, 6) each strength blocks, following
 * Bedrock's meaning of a strength (`high` filters the most): high blocks low severity and up (2),
 * medium blocks medium and up (4), low blocks only high (6), none blocks nothing.
 */
const SEVERITY_AT: Readonly<Record<FilterStrength, number | undefined>> = { high: 2, medium: 4, low: 6, none: undefined };

/**
 * The severity threshold of each Content Safety category, from the design's five strengths:
 * Hate takes the stricter of `hate` and `insults` (Azure rates insults and harassment under Hate),
 * Sexual and Violence their own, SelfHarm the stricter of `violence` and `misconduct` (harm to
 * oneself is violence, and the design's misconduct covers dangerous acts). A category with no
 * threshold is not asked for.
 */
export function contentSafetyThresholds(content: Required<ContentFiltersDesign>): Partial<Record<ContentSafetyCategory, number>> {
  const strictest = (...s: FilterStrength[]) => {
    const values = s.map((x) => SEVERITY_AT[x]).filter((v): v is number => v !== undefined);
    return values.length > 0 ? Math.min(...values) : undefined;
  };
  const out: Partial<Record<ContentSafetyCategory, number>> = {};
  const set = (c: ContentSafetyCategory, v: number | undefined) => {
    if (v !== undefined) out[c] = v;
  };
  set('Hate', strictest(content.hate, content.insults));
  set('SelfHarm', strictest(content.violence, content.misconduct));
  set('Sexual', strictest(content.sexual));
  set('Violence', strictest(content.violence));
  return out;
}

const CONCURRENCY = 4;

/**
 * Azure AI Content Safety: Prompt Shields (`text:shieldPrompt`) on input, text moderation
 * (`text:analyze`, four severity levels) on input and output. Content Safety only detects, it
 * never rewrites, so its verdicts are allow or block; masking stays with the local filter. The
 * texts are joined and cut into pieces of at most 10,000 characters, the limit of both calls.
 */
export class ContentSafetyGuard implements GuardAdapter {
  readonly kind = 'content-safety';
  private readonly base: string;
  private readonly where: string;
  private readonly apiVersion: string;
  private readonly thresholds: Partial<Record<ContentSafetyCategory, number>>;
  private readonly accessToken: () => Promise<string>;
  private readonly prices: ContentSafetyPrices;

  constructor(private readonly options: ContentSafetyGuardOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(`Content Safety endpoint must be an absolute https URL (got ${JSON.stringify(clip(options.endpoint, 200))})`);
    }
    this.base = options.endpoint.replace(/\/+$/, '');
    this.where = `content safety ${clip(url.host, 100)}`;
    this.apiVersion = options.apiVersion ?? CONTENT_SAFETY_API_VERSION;
    this.thresholds = contentSafetyThresholds(options.content);
    this.accessToken = options.accessToken ?? defaultAccessToken;
    this.prices = { ...CONTENT_SAFETY_NANO_PER_RECORD, ...options.prices };
  }

  async prepare(): Promise<void> {
    if (this.accessToken === defaultAccessToken) await tokenProvider();
  }

  async check(request: GuardRequest, signal: CancelSignal): Promise<GuardVerdict> {
    const chunks = splitText(request.texts.join('\n\n'), CONTENT_SAFETY_MAX_CHARS);
    const shield = request.source === 'input' && this.options.promptAttack !== 'none';
    const categories = Object.keys(this.thresholds) as ContentSafetyCategory[];
    const blocklists = this.options.blocklistNames ?? [];
    const analyze = categories.length > 0 || blocklists.length > 0;
    if (chunks.length === 0 || (!shield && !analyze)) return { action: 'allow', policies: [], costNanoUsd: 0 };
    let token: string;
    try {
      token = await this.accessToken();
    } catch (error) {
      throw new GuardError('auth', `${this.where}: no Microsoft Entra token: ${clip(describe(error), 200)}`);
    }
    const headers = { authorization: `Bearer ${token}` };
    const calls: Array<() => Promise<GuardPolicy[]>> = [];
    let costNanoUsd = 0;
    for (const chunk of chunks) {
      const records = Math.max(1, Math.ceil(chunk.length / 1000));
      if (shield) {
        costNanoUsd += records * this.prices.shieldPrompt;
        calls.push(() => this.shieldPrompt(chunk, headers, signal));
      }
      if (analyze) {
        costNanoUsd += records * this.prices.analyze;
        calls.push(() => this.analyze(chunk, categories, blocklists, headers, signal));
      }
    }
    const fired = (await mapLimit(calls, CONCURRENCY, (call) => call())).flat();
    return fired.length > 0 ? { action: 'block', policies: orderPolicies(fired), costNanoUsd } : { action: 'allow', policies: [], costNanoUsd };
  }

  private async shieldPrompt(text: string, headers: Record<string, string>, signal: CancelSignal): Promise<GuardPolicy[]> {
    const answer = await postGuardJson(this.where, this.url('text:shieldPrompt'), headers, { userPrompt: text, documents: [] }, signal);
    const analysis = isObject(answer) ? answer.userPromptAnalysis : undefined;
    if (!isObject(analysis) || typeof analysis.attackDetected !== 'boolean') throw new GuardError('bad_response', `${this.where}: answer has no userPromptAnalysis.attackDetected`);
    const documents = isObject(answer) && Array.isArray(answer.documentsAnalysis) ? answer.documentsAnalysis : [];
    const attack = analysis.attackDetected || documents.some((d) => isObject(d) && d.attackDetected === true);
    return attack ? ['prompt_attack'] : [];
  }

  private async analyze(text: string, categories: readonly ContentSafetyCategory[], blocklists: readonly string[], headers: Record<string, string>, signal: CancelSignal): Promise<GuardPolicy[]> {
    const body = {
      text,
      categories,
      outputType: 'FourSeverityLevels',
      ...(blocklists.length > 0 ? { blocklistNames: blocklists, haltOnBlocklistHit: false } : {}),
    };
    const answer = await postGuardJson(this.where, this.url('text:analyze'), headers, body, signal);
    const analysis = isObject(answer) ? answer.categoriesAnalysis : undefined;
    if (!Array.isArray(analysis)) throw new GuardError('bad_response', `${this.where}: answer has no categoriesAnalysis`);
    const fired: GuardPolicy[] = [];
    for (const entry of analysis) {
      if (!isObject(entry) || typeof entry.category !== 'string' || typeof entry.severity !== 'number') throw new GuardError('bad_response', `${this.where}: a categoriesAnalysis entry without category and severity`);
      const threshold = this.thresholds[entry.category as ContentSafetyCategory];
      if (threshold !== undefined && entry.severity >= threshold) fired.push('content');
    }
    const matches = isObject(answer) ? answer.blocklistsMatch : undefined;
    if (Array.isArray(matches) && matches.length > 0) fired.push('blocked_words');
    return fired;
  }

  private url(operation: string): string {
    return `${this.base}/contentsafety/${operation}?api-version=${encodeURIComponent(this.apiVersion)}`;
  }
}

/**
 * `text` in pieces of at most `max` UTF-16 units (so at most `max` code points), each cut at the
 * last whitespace of its final 200 characters when there is one, never inside a surrogate pair.
 */
export function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + max, text.length);
    if (end < text.length) {
      const space = lastWhitespace(text, end, Math.max(at + 1, end - 200));
      if (space > at) end = space;
      else if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    }
    const piece = text.slice(at, end);
    if (piece.trim() !== '') pieces.push(piece);
    at = end;
  }
  return pieces;
}

function lastWhitespace(text: string, end: number, floor: number): number {
  for (let i = end - 1; i >= floor; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13) return i + 1;
  }
  return -1;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

let sharedTokenProvider: Promise<() => Promise<string>> | undefined;

/** One credential for the process, loaded on first use (as providers/azure-openai.ts does). */
function tokenProvider(): Promise<() => Promise<string>> {
  sharedTokenProvider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) => getBearerTokenProvider(new DefaultAzureCredential(), AZURE_OPENAI_TOKEN_SCOPE));
  return sharedTokenProvider;
}

async function defaultAccessToken(): Promise<string> {
  return (await tokenProvider())();
}

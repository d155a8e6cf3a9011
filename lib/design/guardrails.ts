import { isToken, join, joinKey, Problems } from './problems';
import { quote, quoteList } from './quote';
import { arrayOf, bool, checkNumbers, isPlainObject, num, obj, oneOf, recordOf, str, type NumberRules } from './shape';

/** Filter strength, as the managed guardrail services grade it. */
export type FilterStrength = 'none' | 'low' | 'medium' | 'high';
const STRENGTHS = ['none', 'low', 'medium', 'high'];

/** Content-category filter strengths. */
export interface ContentFiltersDesign {
  /** @default 'high' */
  readonly hate?: FilterStrength;
  /** @default 'high' */
  readonly insults?: FilterStrength;
  /** @default 'high' */
  readonly sexual?: FilterStrength;
  /** @default 'high' */
  readonly violence?: FilterStrength;
  /** @default 'high' */
  readonly misconduct?: FilterStrength;
}

/** A topic the assistant must refuse. */
export interface DeniedTopicDesign {
  /** Short name, e.g. `investment-advice`. */
  readonly name: string;
  /** One or two sentences that define the topic for the classifier. */
  readonly definition: string;
  /**
   * Example prompts of the topic.
   * @default - none
   */
  readonly examples?: readonly string[];
}

/** PII handling. */
export interface PiiDesign {
  /**
   * `mask` replaces detected PII in prompts and responses; `block` refuses the request.
   * @default 'mask'
   */
  readonly action?: 'mask' | 'block';
  /**
   * Entity types to detect.
   * @default ['EMAIL', 'PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS']
   */
  readonly entities?: readonly PiiEntity[];
}

export type PiiEntity = 'EMAIL' | 'PHONE' | 'NAME' | 'ADDRESS' | 'CREDIT_DEBIT_CARD_NUMBER' | 'US_SOCIAL_SECURITY_NUMBER' | 'IP_ADDRESS' | 'IBAN' | 'PASSPORT_NUMBER';
export const PII_ENTITIES: readonly PiiEntity[] = ['EMAIL', 'PHONE', 'NAME', 'ADDRESS', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS', 'IBAN', 'PASSPORT_NUMBER'];

/**
 * The entities the router's local filter finds by pattern (lib/router/guard/local/pii.ts); names and
 * addresses need a cloud guard's classifier.
 */
export const ROUTER_LOCAL_PII_ENTITIES: readonly PiiEntity[] = ['EMAIL', 'PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS', 'IBAN', 'PASSPORT_NUMBER'];

/** What a guard outage (the cloud guard throttled, failing, unreachable or too slow) does to a request. */
export type GuardFailMode = 'closed' | 'open';

/** The guard policy of one route, over the section's own. */
export interface GuardrailRouteDesign {
  /**
   * Check the route's prompts (local filters, then the cloud guard) before the model is called.
   * @default true
   */
  readonly input?: boolean;
  /**
   * Check the route's answers, streamed ones window by window, before they reach the client.
   * @default true
   */
  readonly output?: boolean;
  /** @default - the section's `failMode` */
  readonly failMode?: GuardFailMode;
  /** @default - the section's `parallel` */
  readonly parallel?: boolean;
}

/** Filters applied by the router before any paid call and on every response. */
export interface GuardrailDesign {
  /**
   * Prompt-injection / jailbreak filter strength on input.
   * @default 'high'
   */
  readonly promptAttack?: FilterStrength;
  /** @default - every category at 'high' */
  readonly content?: ContentFiltersDesign;
  /** @default - none */
  readonly deniedTopics?: readonly DeniedTopicDesign[];
  /**
   * Words and phrases to block.
   * @default - none
   */
  readonly blockedWords?: readonly string[];
  /**
   * Block the provider's managed profanity list.
   * @default true
   */
  readonly profanity?: boolean;
  /** @default - mask email, phone, card, SSN and IP address */
  readonly pii?: PiiDesign;
  /**
   * Message returned when a request or response is blocked.
   * @default 'This request was blocked by the content policy.'
   */
  readonly blockedMessage?: string;
  /**
   * A guard outage refuses the request (`closed`: 503 `guard_unavailable`), or lets it through
   * unchecked by the cloud guard and logs it (`open`; the local filters still run).
   * @default 'closed'
   */
  readonly failMode?: GuardFailMode;
  /**
   * Start the model call while the cloud input check runs, releasing no output until it passes:
   * the check's latency is hidden, but a prompt it then blocks has already been paid for. The
   * local filters always run first.
   * @default false - the input check passes before the model is called
   */
  readonly parallel?: boolean;
  /**
   * Streamed answers are checked in windows of this many characters; a client sees a window only
   * once it passed, so the first token is delayed by at most one window. 50-4000.
   * @default 400
   */
  readonly streamWindowChars?: number;
  /**
   * Longest wait for one cloud guard call, ms; past it the call counts as an outage (`failMode`). 100-30000.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * Guard policy per route name (each must be a route of `router.routes`).
   * @default - every route checks input and output with the section's policy
   */
  readonly routes?: Readonly<Record<string, GuardrailRouteDesign>>;
  /**
   * Where a cloud has no topic filter (Google Cloud, Azure), the router enforces `deniedTopics` by
   * asking one of its own models which topic, if any, a prompt asks about: the first of these
   * router model ids (`router.models[].id`) that the cloud's router serves, at temperature 0 with
   * at most 16 output tokens, charged to the tenant like a guard call. Bedrock enforces the topics
   * itself, so the AWS router never asks.
   * @default - none: denied topics are enforced on AWS only (a warning on the other clouds)
   */
  readonly topicClassifier?: TopicClassifierDesign;
}

/** The router models that may classify prompts against the denied topics. */
export interface TopicClassifierDesign {
  /** Router model ids, in order of preference; each cloud uses the first its router serves. */
  readonly models: readonly string[];
}

const FAIL_MODES = ['closed', 'open'];

export const guardrailShape = obj({
  promptAttack: oneOf(...STRENGTHS),
  content: obj({ hate: oneOf(...STRENGTHS), insults: oneOf(...STRENGTHS), sexual: oneOf(...STRENGTHS), violence: oneOf(...STRENGTHS), misconduct: oneOf(...STRENGTHS) }),
  deniedTopics: arrayOf(obj({ name: str, definition: str, examples: arrayOf(str) }, ['name', 'definition'])),
  blockedWords: arrayOf(str),
  profanity: bool,
  pii: obj({ action: oneOf('mask', 'block'), entities: arrayOf(oneOf(...PII_ENTITIES)) }),
  blockedMessage: str,
  failMode: oneOf(...FAIL_MODES),
  parallel: bool,
  streamWindowChars: num,
  timeoutMs: num,
  routes: recordOf(obj({ input: bool, output: bool, failMode: oneOf(...FAIL_MODES), parallel: bool })),
  topicClassifier: obj({ models: arrayOf(str) }, ['models']),
});

export const GUARDRAIL_DEFAULTS = {
  promptAttack: 'high' as FilterStrength,
  content: { hate: 'high', insults: 'high', sexual: 'high', violence: 'high', misconduct: 'high' } as Required<ContentFiltersDesign>,
  profanity: true,
  pii: { action: 'mask' as const, entities: ['EMAIL', 'PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS'] as PiiEntity[] },
  blockedMessage: 'This request was blocked by the content policy.',
  failMode: 'closed' as GuardFailMode,
  parallel: false,
  streamWindowChars: 400,
  timeoutMs: 2000,
};

/**
 * Bounds of the router's guard policy. A window under 50 characters makes a guard call every few
 * tokens; over 4000 delays the first token by seconds. Under 100 ms no cloud guard answers; over
 * 30 s a request waits longer on its guard than most routes wait on the model.
 */
const POLICY_NUMBERS: NumberRules<GuardrailDesign> = {
  streamWindowChars: { whole: true, min: 50, max: 4000, unit: 'characters' },
  timeoutMs: { whole: true, min: 100, max: 30000, unit: 'ms' },
};

/**
 * Limits of the guardrail services, the tightest of the three clouds (Bedrock Guardrails' quotas:
 * topic names 1-100 characters, definitions 1-200, at most 5 examples of at most 100 characters,
 * 30 denied topics, word filters of 1-100 characters and 10,000 words; blocked messaging 1-500).
 */
export const GUARDRAIL_LIMITS = {
  topics: 30,
  topicName: 100,
  definition: 200,
  examples: 5,
  example: 100,
  words: 10000,
  word: 100,
  blockedMessage: 500,
} as const;

const L = GUARDRAIL_LIMITS;
const TOPIC_NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9 _!?.-]{0,${L.topicName - 1}}$`);
/** A blocked word the router can match: one with a letter or digit (lib/router/guard/local/words.ts). */
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);
const list = <T>(v: readonly T[] | undefined): readonly T[] => (Array.isArray(v) && !isToken(v) ? v : []);

/** `text` is 1..max characters and not only spaces. */
function lengthProblem(text: string, max: number): string | undefined {
  if (text.trim() === '') return `must not be empty (got ${quote(text)})`;
  if (text.length > max) return `must be at most ${max} characters (got ${text.length}: ${quote(text)})`;
  return undefined;
}

export function validateGuardrails(g: GuardrailDesign, problems: Problems): void {
  const p = 'guardrails';
  const topics = list(g.deniedTopics);
  if (topics.length > L.topics) problems.add(join(p, 'deniedTopics'), `must list at most ${L.topics} topics (got ${topics.length})`);
  const names = new Map<string, number>();
  topics.forEach((t, i) => {
    if (typeof t !== 'object' || t === null) return;
    const tp = join(join(p, 'deniedTopics'), i);
    if (literal(t.name)) {
      if (!TOPIC_NAME.test(t.name)) problems.add(join(tp, 'name'), `must be 1-${L.topicName} letters, digits, spaces or _ ! ? . - starting with a letter or digit (got ${quote(t.name)})`);
      const first = names.get(t.name.toLowerCase());
      if (first === undefined) names.set(t.name.toLowerCase(), i);
      else problems.add(join(tp, 'name'), `duplicate denied topic ${quote(t.name)} (also ${join(join(join(p, 'deniedTopics'), first), 'name')})`);
    }
    if (literal(t.definition)) {
      const wrong = lengthProblem(t.definition, L.definition);
      if (wrong) problems.add(join(tp, 'definition'), wrong);
    }
    const examples = list(t.examples);
    if (examples.length > L.examples) problems.add(join(tp, 'examples'), `must list at most ${L.examples} examples (got ${examples.length})`);
    examples.forEach((ex, j) => {
      const wrong = literal(ex) ? lengthProblem(ex, L.example) : undefined;
      if (wrong) problems.add(join(join(tp, 'examples'), j), wrong);
    });
  });
  const words = list(g.blockedWords);
  if (words.length > L.words) problems.add(join(p, 'blockedWords'), `must list at most ${L.words} words (got ${words.length})`);
  words.forEach((w, i) => {
    const wrong = literal(w) ? (lengthProblem(w, L.word) ?? (HAS_WORD_CHAR.test(w) ? undefined : `must hold a letter or digit: the router matches blocked words on their letters and digits (got ${quote(w)})`)) : undefined;
    if (wrong) problems.add(join(join(p, 'blockedWords'), i), wrong);
  });
  if (literal(g.blockedMessage)) {
    const wrong = lengthProblem(g.blockedMessage, L.blockedMessage);
    if (wrong) problems.add(join(p, 'blockedMessage'), wrong);
  }
  validatePolicy(g, problems);
}

/** A value the router's config must hold as itself: the config is written at synth. */
function refuseToken(value: unknown, path: string, problems: Problems): boolean {
  if (!isToken(value)) return false;
  if (!problems.hasAt(path)) problems.add(path, "must be a literal, not an unresolved token: the router's guard policy is fixed at synth. Pass the value itself");
  return true;
}

function validatePolicy(g: GuardrailDesign, problems: Problems): void {
  const p = 'guardrails';
  for (const key of ['parallel', 'streamWindowChars', 'timeoutMs', 'routes', 'topicClassifier'] as const) refuseToken(g[key], join(p, key), problems);
  checkNumbers(g, POLICY_NUMBERS, p, problems);
  if (!isPlainObject(g.routes) || isToken(g.routes)) return;
  for (const [name, r] of Object.entries(g.routes)) {
    if (!isPlainObject(r)) continue;
    const rp = joinKey(join(p, 'routes'), name);
    for (const key of ['input', 'output', 'parallel'] as const) refuseToken(r[key], join(rp, key), problems);
    const parallel = r.parallel ?? g.parallel;
    if (r.input === false && parallel === true) {
      problems.add(join(rp, 'parallel'), `has no effect when input is false (no input check runs to overlap with the model call); remove ${r.parallel === undefined ? "the route's input: false or guardrails.parallel" : 'parallel'}`);
    }
  }
}

/**
 * Cross-section rule: `topicClassifier.models` name router models (at least one), and only when
 * there are denied topics to classify. `modelIds` is undefined when the design has no router.
 */
export function validateTopicClassifier(g: GuardrailDesign, modelIds: readonly unknown[] | undefined, problems: Problems): void {
  const c = g.topicClassifier;
  if (!isPlainObject(c) || isToken(c) || !Array.isArray(c.models) || isToken(c.models)) return;
  const p = join(join('guardrails', 'topicClassifier'), 'models');
  if (c.models.length === 0) problems.add(p, 'must name at least one router model (router.models[].id)');
  if (list(g.deniedTopics).length === 0) problems.add(join('guardrails', 'topicClassifier'), 'classifies prompts against deniedTopics, and the section has none: add deniedTopics or remove topicClassifier');
  const known = (modelIds ?? []).filter((n): n is string => typeof n === 'string');
  c.models.forEach((m, i) => {
    if (typeof m !== 'string' || isToken(m) || known.includes(m)) return;
    const where = modelIds === undefined ? 'the design has no router section' : `models: ${quoteList(known)}`;
    problems.add(join(p, i), `names no router model (${where}; got ${quote(m)})`);
  });
}

/**
 * Cross-section rule: every route named in `guardrails.routes` is a route of the router.
 * `routeNames` is undefined when the design has no router.
 */
export function validateGuardrailRoutes(g: GuardrailDesign, routeNames: readonly unknown[] | undefined, problems: Problems): void {
  if (!isPlainObject(g.routes) || isToken(g.routes)) return;
  const known = (routeNames ?? []).filter((n): n is string => typeof n === 'string');
  for (const name of Object.keys(g.routes)) {
    if (known.includes(name)) continue;
    const where = routeNames === undefined ? 'the design has no router section' : `routes: ${quoteList(known)}`;
    problems.add(joinKey(join('guardrails', 'routes'), name), `names no route of router.routes (${where})`);
  }
}

import { isToken, join, Problems } from './problems';
import { quote } from './quote';
import { arrayOf, bool, obj, oneOf, str } from './shape';

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
}

export const guardrailShape = obj({
  promptAttack: oneOf(...STRENGTHS),
  content: obj({ hate: oneOf(...STRENGTHS), insults: oneOf(...STRENGTHS), sexual: oneOf(...STRENGTHS), violence: oneOf(...STRENGTHS), misconduct: oneOf(...STRENGTHS) }),
  deniedTopics: arrayOf(obj({ name: str, definition: str, examples: arrayOf(str) }, ['name', 'definition'])),
  blockedWords: arrayOf(str),
  profanity: bool,
  pii: obj({ action: oneOf('mask', 'block'), entities: arrayOf(oneOf(...PII_ENTITIES)) }),
  blockedMessage: str,
});

export const GUARDRAIL_DEFAULTS = {
  promptAttack: 'high' as FilterStrength,
  content: { hate: 'high', insults: 'high', sexual: 'high', violence: 'high', misconduct: 'high' } as Required<ContentFiltersDesign>,
  profanity: true,
  pii: { action: 'mask' as const, entities: ['EMAIL', 'PHONE', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS'] as PiiEntity[] },
  blockedMessage: 'This request was blocked by the content policy.',
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
    const wrong = literal(w) ? lengthProblem(w, L.word) : undefined;
    if (wrong) problems.add(join(join(p, 'blockedWords'), i), wrong);
  });
  if (literal(g.blockedMessage)) {
    const wrong = lengthProblem(g.blockedMessage, L.blockedMessage);
    if (wrong) problems.add(join(p, 'blockedMessage'), wrong);
  }
}

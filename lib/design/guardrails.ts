import { join, Problems } from './problems';
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

export function validateGuardrails(g: GuardrailDesign, problems: Problems): void {
  const p = 'guardrails';
  const names = new Set<string>();
  (g.deniedTopics ?? []).forEach((t, i) => {
    const tp = join(join(p, 'deniedTopics'), i);
    if (typeof t.name === 'string' && !/^[A-Za-z0-9][A-Za-z0-9 _!?.-]{0,99}$/.test(t.name)) problems.add(join(tp, 'name'), `must be 1-100 letters, digits, spaces or _ ! ? . - (got '${t.name}')`);
    if (names.has(t.name)) problems.add(join(tp, 'name'), `duplicate denied topic '${t.name}'`);
    names.add(t.name);
    if (typeof t.definition === 'string' && (t.definition.length < 1 || t.definition.length > 200)) problems.add(join(tp, 'definition'), `must be 1-200 characters (got ${t.definition.length})`);
    if ((t.examples ?? []).length > 5) problems.add(join(tp, 'examples'), `at most 5 examples (got ${t.examples?.length})`);
  });
  (g.blockedWords ?? []).forEach((w, i) => {
    if (typeof w === 'string' && (w.trim() === '' || w.length > 100)) problems.add(join(join(p, 'blockedWords'), i), 'must be 1-100 characters');
  });
  if (typeof g.blockedMessage === 'string' && (g.blockedMessage.length < 1 || g.blockedMessage.length > 500)) problems.add(join(p, 'blockedMessage'), 'must be 1-500 characters');
}

// The design's guardrails section in Amazon Bedrock's terms: the policies an AWS::Bedrock::Guardrail
// is made of, and the tables that say how each design value maps. Pure: no aws-cdk-lib, so the AWS
// rules (lib/aws/guardrail/rules.ts) and the construct read the same tables.
import { GUARDRAIL_DEFAULTS, type ContentFiltersDesign, type FilterStrength, type GuardrailDesign, type PiiEntity } from '../../design/guardrails';

/** Bedrock's filter strengths (CloudFormation `InputStrength` / `OutputStrength`). */
export const BEDROCK_STRENGTHS: Readonly<Record<FilterStrength, string>> = { none: 'NONE', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };

/** The design's content categories as Bedrock's content filter types, in the order they are rendered. */
export const BEDROCK_CONTENT_TYPES: Readonly<Record<keyof ContentFiltersDesign, string>> = {
  hate: 'HATE',
  insults: 'INSULTS',
  sexual: 'SEXUAL',
  violence: 'VIOLENCE',
  misconduct: 'MISCONDUCT',
};

/**
 * How each design PII entity maps to a Bedrock PII entity type (`PiiEntityConfig.Type`, whose allowed
 * values are listed in the Bedrock API reference, GuardrailPiiEntityConfig). `narrower` says what
 * Bedrock's type leaves out of the design's meaning; the construct warns about it. An entity with
 * `bedrock: undefined` has no Bedrock type: the AWS rules refuse it (never a silent drop).
 */
export const BEDROCK_PII_ENTITIES: Readonly<Record<PiiEntity, { readonly bedrock: string | undefined; readonly narrower?: string }>> = {
  EMAIL: { bedrock: 'EMAIL' },
  PHONE: { bedrock: 'PHONE' },
  NAME: { bedrock: 'NAME' },
  ADDRESS: { bedrock: 'ADDRESS' },
  CREDIT_DEBIT_CARD_NUMBER: { bedrock: 'CREDIT_DEBIT_CARD_NUMBER' },
  US_SOCIAL_SECURITY_NUMBER: { bedrock: 'US_SOCIAL_SECURITY_NUMBER' },
  IP_ADDRESS: { bedrock: 'IP_ADDRESS' },
  IBAN: { bedrock: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER' },
  PASSPORT_NUMBER: { bedrock: 'US_PASSPORT_NUMBER', narrower: 'Bedrock detects US passport numbers only (US_PASSPORT_NUMBER); passports of other countries pass its filter' },
};

/** `mask` anonymizes (Bedrock replaces the entity with a tag such as `{EMAIL}`); `block` refuses. */
export const BEDROCK_PII_ACTIONS = { mask: 'ANONYMIZE', block: 'BLOCK' } as const;

// The policy shapes below are CloudFormation's (aws-cdk-lib's CfnGuardrail property types, camelCase),
// restated so this file needs no construct library.

export interface BedrockContentFilter {
  readonly type: string;
  readonly inputStrength: string;
  readonly outputStrength: string;
}
export interface BedrockTopic {
  readonly name: string;
  readonly definition: string;
  readonly examples?: string[];
  readonly type: 'DENY';
}
export interface BedrockPolicies {
  readonly contentPolicyConfig?: { readonly filtersConfig: BedrockContentFilter[] };
  readonly topicPolicyConfig?: { readonly topicsConfig: BedrockTopic[] };
  readonly wordPolicyConfig?: { readonly wordsConfig?: { readonly text: string }[]; readonly managedWordListsConfig?: { readonly type: 'PROFANITY' }[] };
  readonly sensitiveInformationPolicyConfig?: { readonly piiEntitiesConfig: { readonly type: string; readonly action: string; readonly inputAction: string; readonly outputAction: string }[] };
  readonly blockedInputMessaging: string;
  readonly blockedOutputsMessaging: string;
}

/** The design with its defaults, the fields the Bedrock guardrail renders. */
export interface ResolvedGuardrail {
  readonly promptAttack: FilterStrength;
  readonly content: Required<ContentFiltersDesign>;
  readonly deniedTopics: NonNullable<GuardrailDesign['deniedTopics']>;
  readonly blockedWords: readonly string[];
  readonly profanity: boolean;
  readonly pii: { readonly action: 'mask' | 'block'; readonly entities: readonly PiiEntity[] };
  readonly blockedMessage: string;
}

/** Fills in the design's defaults (`GUARDRAIL_DEFAULTS`): a field left out is the default, one given replaces it. */
export function resolveGuardrail(g: GuardrailDesign): ResolvedGuardrail {
  const d = GUARDRAIL_DEFAULTS;
  return {
    promptAttack: g.promptAttack ?? d.promptAttack,
    content: { ...d.content, ...definedOnly(g.content ?? {}) },
    deniedTopics: g.deniedTopics ?? [],
    blockedWords: g.blockedWords ?? [],
    profanity: g.profanity ?? d.profanity,
    pii: { action: g.pii?.action ?? d.pii.action, entities: g.pii?.entities ?? d.pii.entities },
    blockedMessage: g.blockedMessage ?? d.blockedMessage,
  };
}

/**
 * The Bedrock policies of a design. A filter at `none` filters nothing and is left out, as is a policy
 * with nothing in it (CloudFormation takes no empty filter lists). The prompt-attack filter applies to
 * prompts only: CloudFormation refuses any output strength but NONE for `PROMPT_ATTACK`
 * (hashicorp/terraform-provider-awscc#1905, which passes the CloudFormation schema through). The
 * design's one strength per content category applies to prompts and answers alike. Duplicate words
 * and entities are rendered once.
 */
export function bedrockPolicies(g: GuardrailDesign): BedrockPolicies {
  const r = resolveGuardrail(g);
  const filters: BedrockContentFilter[] = [];
  for (const [category, type] of Object.entries(BEDROCK_CONTENT_TYPES) as [keyof ContentFiltersDesign, string][]) {
    const strength = r.content[category];
    if (strength !== 'none') filters.push({ type, inputStrength: BEDROCK_STRENGTHS[strength], outputStrength: BEDROCK_STRENGTHS[strength] });
  }
  if (r.promptAttack !== 'none') filters.push({ type: 'PROMPT_ATTACK', inputStrength: BEDROCK_STRENGTHS[r.promptAttack], outputStrength: 'NONE' });

  const topics: BedrockTopic[] = r.deniedTopics.map((t) => ({
    name: t.name,
    definition: t.definition,
    // A token list passes through whole: CloudFormation takes the examples as one list.
    ...(t.examples && t.examples.length > 0 ? { examples: t.examples as string[] } : {}),
    type: 'DENY',
  }));

  const words = [...new Set(r.blockedWords)].map((text) => ({ text }));
  const entities = [...new Set(r.pii.entities.map((e) => BEDROCK_PII_ENTITIES[e]?.bedrock).filter((t): t is string => t !== undefined))];
  const action = BEDROCK_PII_ACTIONS[r.pii.action];

  return {
    ...(filters.length > 0 ? { contentPolicyConfig: { filtersConfig: filters } } : {}),
    ...(topics.length > 0 ? { topicPolicyConfig: { topicsConfig: topics } } : {}),
    ...(words.length > 0 || r.profanity
      ? { wordPolicyConfig: { ...(words.length > 0 ? { wordsConfig: words } : {}), ...(r.profanity ? { managedWordListsConfig: [{ type: 'PROFANITY' as const }] } : {}) } }
      : {}),
    ...(entities.length > 0
      ? { sensitiveInformationPolicyConfig: { piiEntitiesConfig: entities.map((type) => ({ type, action, inputAction: action, outputAction: action })) } }
      : {}),
    blockedInputMessaging: r.blockedMessage,
    blockedOutputsMessaging: r.blockedMessage,
  };
}

/** True when the policies filter nothing: Bedrock refuses such a guardrail. */
export function filtersNothing(p: BedrockPolicies): boolean {
  return !p.contentPolicyConfig && !p.topicPolicyConfig && !p.wordPolicyConfig && !p.sensitiveInformationPolicyConfig;
}

/** The design entities whose Bedrock type detects less than the design means, each with what it leaves out. */
export function narrowerEntities(g: GuardrailDesign): { entity: PiiEntity; narrower: string }[] {
  const entities = resolveGuardrail(g).pii.entities;
  return [...new Set(entities)].flatMap((entity) => {
    const narrower = BEDROCK_PII_ENTITIES[entity]?.narrower;
    return narrower ? [{ entity, narrower }] : [];
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

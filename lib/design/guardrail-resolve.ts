// The filter fields of a `guardrails` section with their defaults applied, and the one comparison
// every cloud's rendering needs (several design categories fold into one native filter). Pure.
import { GUARDRAIL_DEFAULTS, PII_ENTITIES, type ContentFiltersDesign, type FilterStrength, type GuardrailDesign, type PiiEntity } from './guardrails';
import { isToken } from './problems';

/** Weakest first: a later strength blocks more. */
export const FILTER_STRENGTH_ORDER: readonly FilterStrength[] = ['none', 'low', 'medium', 'high'];

/** The strongest of `strengths` (`none` for an empty list). */
export function strongest(...strengths: FilterStrength[]): FilterStrength {
  return strengths.reduce<FilterStrength>((a, b) => (FILTER_STRENGTH_ORDER.indexOf(b) > FILTER_STRENGTH_ORDER.indexOf(a) ? b : a), 'none');
}

/** What the managed guard services can be asked to filter, defaults applied. */
export interface ResolvedGuardrailFilters {
  readonly promptAttack: FilterStrength;
  readonly content: Required<ContentFiltersDesign>;
  readonly profanity: boolean;
  /** Entities in catalog order, without repeats; empty when the design detects none. */
  readonly pii: { readonly action: 'mask' | 'block'; readonly entities: readonly PiiEntity[] };
  /** How many denied topics and blocked words the design lists (an unresolved list counts as some). */
  readonly deniedTopicCount: number;
  readonly blockedWordCount: number;
  /** The router models that may classify the denied topics (`topicClassifier.models`), or none. */
  readonly topicClassifierModels: readonly string[];
}

const D = GUARDRAIL_DEFAULTS;

const count = (list: readonly unknown[] | undefined): number => (list === undefined ? 0 : isToken(list) || !Array.isArray(list) ? 1 : list.length);

/** `g`'s filters with every default applied (expects a section that passed its shape). */
export function resolveGuardrailFilters(g: GuardrailDesign): ResolvedGuardrailFilters {
  const entities = new Set(g.pii?.entities ?? D.pii.entities);
  return {
    promptAttack: g.promptAttack ?? D.promptAttack,
    content: {
      hate: g.content?.hate ?? D.content.hate,
      insults: g.content?.insults ?? D.content.insults,
      sexual: g.content?.sexual ?? D.content.sexual,
      violence: g.content?.violence ?? D.content.violence,
      misconduct: g.content?.misconduct ?? D.content.misconduct,
    },
    profanity: g.profanity ?? D.profanity,
    pii: { action: g.pii?.action ?? D.pii.action, entities: PII_ENTITIES.filter((e) => entities.has(e)) },
    deniedTopicCount: count(g.deniedTopics),
    blockedWordCount: count(g.blockedWords),
    topicClassifierModels: Array.isArray(g.topicClassifier?.models) ? g.topicClassifier.models.filter((m): m is string => typeof m === 'string') : [],
  };
}

/**
 * The denied topics on a cloud whose guard has no topic filter (Google Cloud, Azure): enforced by
 * the router's topic classifier when the design names one, else by nothing there (said, not claimed).
 */
export function routerTopicsPlan(r: Pick<ResolvedGuardrailFilters, 'deniedTopicCount' | 'topicClassifierModels'>): { readonly enforced: readonly string[]; readonly notEnforced: readonly string[] } {
  if (r.deniedTopicCount === 0) return { enforced: [], notEnforced: [] };
  const topics = `denied topics (${r.deniedTopicCount})`;
  if (r.topicClassifierModels.length === 0) return { enforced: [], notEnforced: [topics] };
  return { enforced: [`${topics}, by the router's topic classifier (the first of ${r.topicClassifierModels.join(', ')} this router serves)`], notEnforced: [] };
}

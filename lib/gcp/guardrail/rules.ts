// What `ai-stack check` must know of the guardrails on Google Cloud, and the pure plan the Guardrail
// construct renders (a Model Armor template, and Sensitive Data Protection templates when PII goes
// beyond Model Armor's basic detectors). Pure: no cdktf or provider.
import type { ContentFiltersDesign, FilterStrength, GuardrailDesign, PiiEntity } from '../../design/guardrails';
import { resolveGuardrailFilters, routerTopicsPlan, strongest } from '../../design/guardrail-resolve';
import { isToken, join, type Problems } from '../../design/problems';

/** Model Armor's detection confidence levels (`DetectionConfidenceLevel`). */
export type ModelArmorConfidence = 'LOW_AND_ABOVE' | 'MEDIUM_AND_ABOVE' | 'HIGH';

/**
 * Design strength → the lowest confidence at which Model Armor reports a match. A stronger filter
 * blocks more, so it matches from a lower confidence: `high` from LOW_AND_ABOVE, `medium` from
 * MEDIUM_AND_ABOVE, `low` only at HIGH (Bedrock's strengths read the same way). `none` omits the
 * filter: Model Armor has no "off" level for a responsible-AI filter that is listed.
 */
export const MODEL_ARMOR_CONFIDENCE: Readonly<Record<Exclude<FilterStrength, 'none'>, ModelArmorConfidence>> = {
  high: 'LOW_AND_ABOVE',
  medium: 'MEDIUM_AND_ABOVE',
  low: 'HIGH',
};

/** Model Armor's responsible-AI filter types (`RaiFilterType`). */
export type RaiFilterType = 'HATE_SPEECH' | 'HARASSMENT' | 'SEXUALLY_EXPLICIT' | 'DANGEROUS';

/**
 * The design categories each Model Armor filter covers; the filter takes the strongest of them.
 * Harassment is "threatening, intimidating, bullying or abusive comments" (insults and threats of
 * violence), Dangerous "promotes or enables access to harmful goods, services and activities"
 * (violence and misconduct).
 */
export const RAI_FILTER_SOURCES: Readonly<Record<RaiFilterType, readonly (keyof ContentFiltersDesign)[]>> = {
  HATE_SPEECH: ['hate'],
  HARASSMENT: ['insults', 'violence'],
  SEXUALLY_EXPLICIT: ['sexual'],
  DANGEROUS: ['violence', 'misconduct'],
};

/** The design's PII entities as Sensitive Data Protection infoTypes. */
export const DLP_INFO_TYPES: Readonly<Record<PiiEntity, string>> = {
  EMAIL: 'EMAIL_ADDRESS',
  PHONE: 'PHONE_NUMBER',
  NAME: 'PERSON_NAME',
  ADDRESS: 'STREET_ADDRESS',
  CREDIT_DEBIT_CARD_NUMBER: 'CREDIT_CARD_NUMBER',
  US_SOCIAL_SECURITY_NUMBER: 'US_SOCIAL_SECURITY_NUMBER',
  IP_ADDRESS: 'IP_ADDRESS',
  IBAN: 'IBAN_CODE',
  PASSPORT_NUMBER: 'PASSPORT',
};

/**
 * The infoTypes Model Armor's basic Sensitive Data Protection config detects (a fixed set, inspect
 * only): a design that blocks only entities of this set needs no templates of its own.
 */
export const SDP_BASIC_INFO_TYPES: readonly string[] = [
  'CREDIT_CARD_NUMBER',
  'US_SOCIAL_SECURITY_NUMBER',
  'FINANCIAL_ACCOUNT_NUMBER',
  'US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER',
  'GCP_CREDENTIALS',
  'GCP_API_KEY',
];

/** How the template screens for PII. */
export type SdpPlan =
  | { readonly mode: 'none' }
  /** Model Armor's basic config: it blocks the basic set, which covers every entity of the design. */
  | { readonly mode: 'basic' }
  /** An inspect template of the design's infoTypes, and a de-identify template when the design masks. */
  | { readonly mode: 'advanced'; readonly infoTypes: readonly string[]; readonly deidentify: boolean };

/** What the Model Armor template holds, and what the router enforces itself. */
export interface ModelArmorPlan {
  readonly raiFilters: readonly { readonly filterType: RaiFilterType; readonly confidenceLevel: ModelArmorConfidence }[];
  /** Confidence of the prompt-injection and jailbreak filter; undefined when it is off (`promptAttack: none`). */
  readonly promptAttack?: ModelArmorConfidence;
  readonly sdp: SdpPlan;
  /** What Model Armor cannot express, enforced by the router's guard stage (empty when nothing). */
  readonly routerEnforced: readonly string[];
  /** What neither Model Armor nor the router's local filter can enforce. */
  readonly notEnforced: readonly string[];
}

/** The Model Armor rendering of a guardrails section (validated). */
export function planModelArmor(g: GuardrailDesign): ModelArmorPlan {
  const r = resolveGuardrailFilters(g);
  const raiFilters = (Object.keys(RAI_FILTER_SOURCES) as RaiFilterType[]).flatMap((filterType) => {
    const strength = strongest(...RAI_FILTER_SOURCES[filterType].map((c) => r.content[c]));
    return strength === 'none' ? [] : [{ filterType, confidenceLevel: MODEL_ARMOR_CONFIDENCE[strength] }];
  });
  const infoTypes = r.pii.entities.map((e) => DLP_INFO_TYPES[e]);
  let sdp: SdpPlan;
  if (infoTypes.length === 0) sdp = { mode: 'none' };
  else if (r.pii.action === 'block' && infoTypes.every((t) => SDP_BASIC_INFO_TYPES.includes(t))) sdp = { mode: 'basic' };
  else sdp = { mode: 'advanced', infoTypes, deidentify: r.pii.action === 'mask' };
  // The router's local filter takes the words; a topic classifier and a profanity list it does not have.
  const topics = routerTopicsPlan(r);
  const routerEnforced = [...(r.blockedWordCount > 0 ? [`blocked words (${r.blockedWordCount})`] : []), ...topics.enforced];
  const notEnforced = [...topics.notEnforced, ...(r.profanity ? ['the managed profanity list'] : [])];
  return {
    raiFilters,
    ...(r.promptAttack === 'none' ? {} : { promptAttack: MODEL_ARMOR_CONFIDENCE[r.promptAttack] }),
    sdp,
    routerEnforced,
    notEnforced,
  };
}

/**
 * Rules Google Cloud adds to the neutral guardrail rules, with `path` the section's path: the PII
 * entities become the inspect template's infoTypes at synth, so they must be a literal list.
 */
export function validateGuardrailsOnGcp(g: GuardrailDesign, path: string, problems: Problems): void {
  const entities = g.pii?.entities;
  if (entities !== undefined && isToken(entities)) {
    problems.add(join(path, 'pii.entities'), 'must be a literal list on Google Cloud, not an unresolved token: the Sensitive Data Protection inspect template lists its infoTypes at synth');
  }
}

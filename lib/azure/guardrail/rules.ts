// What `ai-stack check` must know of the guardrails on Azure, and the pure plan the Guardrail
// construct renders: the RAI policy (content filters) the Azure OpenAI deployments use, and what the
// router enforces itself. Pure: no cdktf or provider.
import { ROUTER_LOCAL_PII_ENTITIES, type ContentFiltersDesign, type FilterStrength, type GuardrailDesign } from '../../design/guardrails';
import { resolveGuardrailFilters, routerTopicsPlan, strongest } from '../../design/guardrail-resolve';
import { isToken, join, type Problems } from '../../design/problems';

/** An RAI policy content filter's severity threshold (`ContentLevel`): the lowest severity it acts on. */
export type ContentSeverity = 'Low' | 'Medium' | 'High';

/**
 * Design strength → severity threshold. A stronger filter blocks more, so it acts from a lower
 * severity: `high` from Low (low, medium and high severity are blocked), `medium` from Medium,
 * `low` only at High. `none` turns the filter off, which Azure allows only to subscriptions
 * approved for modified content filtering; without that approval it renders as `low` (High).
 */
export const AZURE_SEVERITY_THRESHOLD: Readonly<Record<Exclude<FilterStrength, 'none'>, ContentSeverity>> = {
  high: 'Low',
  medium: 'Medium',
  low: 'High',
};

/** The harm categories of Azure OpenAI content filters. */
export type AzureHarmCategory = 'Hate' | 'Sexual' | 'Violence' | 'SelfHarm';

/**
 * The design categories each Azure category covers; the filter takes the strongest of them. Hate
 * and fairness covers attacks and pejorative language (hate, insults); Violence covers physical
 * harm, weapons and violent crime (violence, misconduct); Self-harm is violence against oneself.
 */
export const AZURE_CATEGORY_SOURCES: Readonly<Record<AzureHarmCategory, readonly (keyof ContentFiltersDesign)[]>> = {
  Hate: ['hate', 'insults'],
  Sexual: ['sexual'],
  Violence: ['violence', 'misconduct'],
  SelfHarm: ['violence', 'misconduct'],
};

/** Content is screened on the way in and on the way out. */
export const RAI_SOURCES = ['Prompt', 'Completion'] as const;

/** One `content_filter` block of `azurerm_cognitive_account_rai_policy`. */
export interface RaiContentFilterPlan {
  readonly name: AzureHarmCategory | 'Jailbreak';
  readonly source: (typeof RAI_SOURCES)[number];
  readonly filterEnabled: boolean;
  readonly blockEnabled: boolean;
  readonly severityThreshold: ContentSeverity;
}

/** What the RAI policy holds, and what the router enforces itself. */
export interface RaiPolicyPlan {
  /** Hate, Sexual, Violence and SelfHarm on Prompt then Completion, then Jailbreak on Prompt. */
  readonly contentFilters: readonly RaiContentFilterPlan[];
  /** Categories the design turns off that render at the High threshold (no modified-filtering approval). */
  readonly offWithoutApproval: readonly AzureHarmCategory[];
  /** What Azure cannot express, enforced by the router's guard stage (empty when nothing). */
  readonly routerEnforced: readonly string[];
  /** What neither Azure's filters nor the router's local filter can enforce. */
  readonly notEnforced: readonly string[];
}

/**
 * The Azure rendering of a guardrails section (validated). `offApproved`: the subscription may turn
 * content filters off (modified content filtering), so `none` disables a category.
 */
export function planRaiPolicy(g: GuardrailDesign, offApproved = false): RaiPolicyPlan {
  const r = resolveGuardrailFilters(g);
  const offWithoutApproval: AzureHarmCategory[] = [];
  const contentFilters: RaiContentFilterPlan[] = [];
  for (const source of RAI_SOURCES) {
    for (const name of Object.keys(AZURE_CATEGORY_SOURCES) as AzureHarmCategory[]) {
      const strength = strongest(...AZURE_CATEGORY_SOURCES[name].map((c) => r.content[c]));
      if (strength === 'none' && offApproved) {
        contentFilters.push({ name, source, filterEnabled: false, blockEnabled: false, severityThreshold: 'High' });
        continue;
      }
      if (strength === 'none' && source === 'Prompt') offWithoutApproval.push(name);
      contentFilters.push({ name, source, filterEnabled: true, blockEnabled: true, severityThreshold: AZURE_SEVERITY_THRESHOLD[strength === 'none' ? 'low' : strength] });
    }
  }
  // Prompt Shields' jailbreak classifier is on or off (no severity): any strength but none turns it on.
  // azurerm 4.55 requires a threshold that has no effect here (hashicorp/terraform-provider-azurerm#28653).
  const jailbreak = r.promptAttack !== 'none';
  contentFilters.push({ name: 'Jailbreak', source: 'Prompt', filterEnabled: jailbreak, blockEnabled: jailbreak, severityThreshold: 'High' });
  // The router's local filter takes the words and the PII it finds by pattern; a topic classifier, a
  // profanity list and name or address detection it does not have.
  const local = r.pii.entities.filter((e) => ROUTER_LOCAL_PII_ENTITIES.includes(e));
  const unseen = r.pii.entities.filter((e) => !ROUTER_LOCAL_PII_ENTITIES.includes(e));
  const piiVerb = r.pii.action === 'mask' ? 'masking' : 'blocking';
  const topics = routerTopicsPlan(r);
  const routerEnforced = [...(r.blockedWordCount > 0 ? [`blocked words (${r.blockedWordCount})`] : []), ...topics.enforced, ...(local.length > 0 ? [`PII ${piiVerb} (${local.join(', ')})`] : [])];
  const notEnforced = [
    ...topics.notEnforced,
    ...(r.profanity ? ['the managed profanity list'] : []),
    ...(unseen.length > 0 ? [`PII ${piiVerb} (${unseen.join(', ')})`] : []),
  ];
  return { contentFilters, offWithoutApproval, routerEnforced, notEnforced };
}

/**
 * Rules Azure adds to the neutral guardrail rules, with `path` the section's path: Azure has no PII
 * filter, so the router masks or blocks the entities from its config, written at synth: they must be
 * a literal list.
 */
export function validateGuardrailsOnAzure(g: GuardrailDesign, path: string, problems: Problems): void {
  const entities = g.pii?.entities;
  if (entities !== undefined && isToken(entities)) {
    problems.add(join(path, 'pii.entities'), "must be a literal list on Azure, not an unresolved token: Azure has no PII filter, so the router's guard stage masks or blocks them from its config, written at synth");
  }
}

import { BEDROCK_GUARDRAIL_NANO_PER_UNIT, CONTENT_SAFETY_NANO_PER_RECORD, MODEL_ARMOR_NANO_PER_TOKEN } from './catalog/guard-prices';
import type { Cloud } from './cloud';
import { resolveGuardrailFilters } from './guardrail-resolve';
import type { GuardrailDesign } from './guardrails';
import type { RouterDesign } from './router';
import { placeRouter } from './router-placement';

const DAYS_PER_MONTH = 30.4;
/** Characters per token of English text, the rule of thumb the guards' own unit counts follow. */
const CHARS_PER_TOKEN = 4;

export interface GuardrailCostItem {
  readonly item: string;
  readonly monthlyUsd: number;
}

/**
 * What the router's cloud guard calls cost a month on `cloud`, from the design's traffic on the
 * routes that cloud serves: every request's prompt is checked once, its answer once (the stream
 * windows add up to the answer). Bedrock bills each policy per 1,000-character text unit (word
 * filters free); Model Armor per token; Content Safety per 1,000-character record, twice for the
 * prompt (Prompt Shields and text analysis). The router's own topic classifier (GCP, Azure) is a
 * model call, not priced here. Pure.
 */
export function guardrailCostItems(guardrails: GuardrailDesign, router: RouterDesign, cloud: Cloud): GuardrailCostItem[] {
  const traffic = placeRouter(router, cloud).router.traffic ?? [];
  let requests = 0;
  let nano = 0;
  const r = resolveGuardrailFilters(guardrails);
  const contentOn = r.promptAttack !== 'none' || Object.values(r.content).some((s) => s !== 'none');
  const bedrockPerUnit =
    (contentOn ? BEDROCK_GUARDRAIL_NANO_PER_UNIT.content : 0) + (r.deniedTopicCount > 0 ? BEDROCK_GUARDRAIL_NANO_PER_UNIT.topic : 0) + (r.pii.entities.length > 0 ? BEDROCK_GUARDRAIL_NANO_PER_UNIT.sensitiveInformation : 0);
  for (const t of traffic) {
    const monthly = t.requestsPerDay * DAYS_PER_MONTH;
    const input = t.avgInputTokens * CHARS_PER_TOKEN;
    const output = t.avgOutputTokens * CHARS_PER_TOKEN;
    const units = (chars: number) => Math.max(1, Math.ceil(chars / 1000));
    requests += monthly;
    if (cloud === 'aws') nano += monthly * bedrockPerUnit * (units(input) + units(output));
    else if (cloud === 'gcp') nano += monthly * MODEL_ARMOR_NANO_PER_TOKEN * (Math.ceil(input / CHARS_PER_TOKEN) + Math.ceil(output / CHARS_PER_TOKEN));
    else nano += monthly * (units(input) * (CONTENT_SAFETY_NANO_PER_RECORD.shieldPrompt + CONTENT_SAFETY_NANO_PER_RECORD.analyze) + units(output) * CONTENT_SAFETY_NANO_PER_RECORD.analyze);
  }
  if (requests === 0) return [];
  const service = cloud === 'aws' ? 'Bedrock Guardrails' : cloud === 'gcp' ? 'Model Armor' : 'Content Safety';
  return [{ item: `guardrail calls: ${service}, prompt and answer of each request`, monthlyUsd: nano / 1e9 }];
}

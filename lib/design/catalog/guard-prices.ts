/**
 * List prices of the cloud guards, in integer nano-USD per billed unit, so a guard call's cost
 * adds exactly into the tenant's ledger (engine/cost.ts counts nano-dollars). A monthly free tier
 * cannot be known per request, so none is applied: the ledger errs on the side of charging.
 * Override them with the adapters' `prices` option (negotiated rates, another region).
 */

/**
 * Amazon Bedrock Guardrails, USD per 1,000 text units (a text unit is up to 1,000 characters of
 * one policy's input), after the December 2024 price reduction. Source: the Amazon Bedrock
 * pricing page, https://aws.amazon.com/bedrock/pricing/ (Guardrails), as quoted by
 * https://hivebook.wiki/wiki/aws-bedrock-guardrails-content-filters-pii-masking-grounding-checks-for-fms
 * and https://techjacksolutions.com/ai-tools/aws/what-is-bedrock-guardrails/ ("$0.15 per 1,000
 * text units for content filters"): content filters $0.15, denied topics $0.15, sensitive
 * information filters (PII) $0.10, regex filters free (`sensitiveInformationPolicyFreeUnits`),
 * word filters free, contextual grounding $0.10. ApplyGuardrail reports the units of each policy
 * in `usage`.
 */
export const BEDROCK_GUARDRAIL_NANO_PER_UNIT = {
  content: 150_000, // $0.15 / 1,000 units
  topic: 150_000, // $0.15 / 1,000 units
  sensitiveInformation: 100_000, // $0.10 / 1,000 units
  sensitiveInformationFree: 0,
  word: 0,
  contextualGrounding: 100_000, // $0.10 / 1,000 units
} as const;

/**
 * Google Cloud Model Armor, standalone (the sanitize API), USD 0.10 per 1 million tokens past a
 * free 2 million a month. Source: the Model Armor pricing section of
 * https://cloud.google.com/security-command-center/pricing. Not confirmed against a stored copy
 * of that page when this was written (no copy held the figure): check it before relying on it.
 * Model Armor's answer reports no token count, so the adapter counts tokens as
 * `ceil(characters / 4)` per text, Google's own rule of thumb for English.
 */
export const MODEL_ARMOR_NANO_PER_TOKEN = 100; // $0.10 / 1,000,000 tokens

/**
 * Azure AI Content Safety, Standard (S0) tier, billed per text record of up to 1,000 characters
 * (each call's text rounded up). Text moderation (`text:analyze`): USD 0.38 per 1,000 records;
 * source: https://azure.microsoft.com/pricing/details/cognitive-services/content-safety/, as
 * quoted by Microsoft Q&A
 * (https://learn.microsoft.com/answers/questions/5533653/why-are-content-safety-input-tokens-so-expensive-h:
 * "the Standard tier charges $0.38 per 1,000 records"). Prompt Shields (`text:shieldPrompt`) is
 * priced on the same page per 1,000 text records; its figure was not in any stored copy when
 * this was written, so the text moderation rate stands in for it: check it before relying on it.
 */
export const CONTENT_SAFETY_NANO_PER_RECORD = {
  analyze: 380_000, // $0.38 / 1,000 records
  shieldPrompt: 380_000, // assumed equal to analyze; see above
} as const;

export type BedrockGuardrailPrices = { readonly [K in keyof typeof BEDROCK_GUARDRAIL_NANO_PER_UNIT]: number };
export type ContentSafetyPrices = { readonly [K in keyof typeof CONTENT_SAFETY_NANO_PER_RECORD]: number };

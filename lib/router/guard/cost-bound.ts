import { BEDROCK_GUARDRAIL_NANO_PER_UNIT, CONTENT_SAFETY_NANO_PER_RECORD, MODEL_ARMOR_NANO_PER_TOKEN } from './prices';

/** Most a cloud guard may bill per unit of text, and how many characters a unit is. */
const UNIT: Readonly<Record<string, { readonly chars: number; readonly nano: number }>> = {
  // Every policy of one text unit (1,000 characters): content, topics, PII, grounding.
  bedrock: { chars: 1000, nano: BEDROCK_GUARDRAIL_NANO_PER_UNIT.content + BEDROCK_GUARDRAIL_NANO_PER_UNIT.topic + BEDROCK_GUARDRAIL_NANO_PER_UNIT.sensitiveInformation + BEDROCK_GUARDRAIL_NANO_PER_UNIT.contextualGrounding },
  // A token per 4 characters (the adapter's own count).
  'model-armor': { chars: 4, nano: MODEL_ARMOR_NANO_PER_TOKEN },
  // Prompt Shields and text analysis on every record of 1,000 characters.
  'content-safety': { chars: 1000, nano: CONTENT_SAFETY_NANO_PER_RECORD.shieldPrompt + CONTENT_SAFETY_NANO_PER_RECORD.analyze },
};

const DEAREST = Object.values(UNIT).reduce((a, b) => (b.nano / b.chars > a.nano / a.chars ? b : a));

/**
 * Characters a token may hold, for the bound on a streamed answer's length: byte-level BPE
 * vocabularies top out around 16-32 characters for their longest merges (runs of spaces, repeated
 * punctuation); the bound takes the high end, since the guard's price per character is tiny.
 */
export const MAX_CHARS_PER_TOKEN = 32;

export interface GuardCostInput {
  /** `GuardAdapter.kind`; undefined: only the local filter runs, which is free. */
  readonly kind: string | undefined;
  readonly input: boolean;
  readonly output: boolean;
  /** Characters of the prompt's checked texts, and how many texts. */
  readonly promptChars: number;
  readonly promptTexts: number;
  /** `max_tokens` of the answer. */
  readonly maxOutputTokens: number;
  readonly windowChars: number;
}

/**
 * The most the guard calls of one request can cost, nano-USD, so the budget reservation covers
 * them: every check is billed in whole units per text, and a streamed answer is checked window by
 * window with up to half a window checked twice (the hold-back of the output checker).
 */
export function guardCostBoundNano(c: GuardCostInput): number {
  if (c.kind === undefined) return 0;
  // A guard of another kind (a custom adapter) is bounded at the dearest known rate per character.
  const unit = UNIT[c.kind] ?? DEAREST;
  const units = (chars: number, calls: number) => Math.ceil(chars / unit.chars) + calls;
  let total = 0;
  if (c.input) total += units(c.promptChars, c.promptTexts) * unit.nano;
  if (c.output) {
    const chars = c.maxOutputTokens * MAX_CHARS_PER_TOKEN;
    const windows = Math.ceil(chars / Math.max(1, Math.floor(c.windowChars / 2))) + 2;
    total += units(2 * chars + c.windowChars, windows) * unit.nano;
  }
  return total;
}

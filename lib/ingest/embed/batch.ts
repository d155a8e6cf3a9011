/**
 * A token estimate used only to keep a batch under a provider's per-request token cap: 1 token per
 * 3 characters overestimates English (about 4) so a batch errs on the small side.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

/**
 * Splits inputs into consecutive batches of at most `maxTexts` inputs and `maxTokens` estimated tokens
 * (an input alone above `maxTokens` goes in a batch of its own: the provider truncates or refuses it,
 * which is its call). Returns [start, end) index ranges.
 */
export function batchRanges(texts: readonly string[], maxTexts: number, maxTokens: number, count: (t: string) => number = estimateTokens): Array<[number, number]> {
  if (!(maxTexts >= 1)) throw new Error(`maxTexts must be >= 1 (got ${maxTexts})`);
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) {
    const t = count(texts[i]);
    if (i > start && (i - start >= maxTexts || tokens + t > maxTokens)) {
      ranges.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += t;
  }
  if (start < texts.length) ranges.push([start, texts.length]);
  return ranges;
}

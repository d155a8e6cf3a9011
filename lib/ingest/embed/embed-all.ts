import { batchRanges, estimateTokens } from './batch';
import type { RateLimiter } from './rate-limit';
import { withRetries, type RetryOptions } from './retry';
import type { BatchEmbedder, EmbeddingResult } from './types';

export interface EmbedAllOptions {
  readonly retry?: RetryOptions;
  readonly rateLimiter?: RateLimiter;
  readonly countTokens?: (text: string) => number;
  /** Prefix of batch labels in errors, e.g. the document id. */
  readonly label?: string;
}

/** Embeds `texts` in batches within the embedder's limits, one request at a time, each retried. */
export async function embedAll(embedder: BatchEmbedder, texts: readonly string[], options: EmbedAllOptions = {}): Promise<EmbeddingResult> {
  const vectors: number[][] = [];
  let tokens = 0;
  const ranges = batchRanges(texts, embedder.maxBatchTexts, embedder.maxBatchTokens, options.countTokens ?? estimateTokens);
  for (let b = 0; b < ranges.length; b++) {
    const [start, end] = ranges[b];
    const batch = texts.slice(start, end);
    const label = `${embedder.where}: ${options.label ? `${options.label} ` : ''}batch ${b + 1}/${ranges.length} (inputs ${start}-${end - 1})`;
    const result = await withRetries(
      label,
      async () => {
        await options.rateLimiter?.take();
        return embedder.embedBatch(batch);
      },
      options.retry,
    );
    vectors.push(...result.vectors);
    tokens += result.tokens;
  }
  return { vectors, tokens };
}

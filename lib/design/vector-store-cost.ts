import { findModel } from './catalog/models';
import type { Cloud } from './cloud';
import { cronRunsPerMonth } from './cron-count';
import { resolveVectorStore, type VectorStoreDesign } from './vector-store';

/**
 * Tokens in a GiB of source text at 4 bytes per token (English prose in the embedding models'
 * tokenizers). Binary formats (PDF, office files) hold less text per byte, so for them the figure is
 * an upper bound.
 */
export const TOKENS_PER_GIB = 1024 ** 3 / 4;

export interface EmbeddingCost {
  /** Refreshes a month (`refreshSchedule`). */
  readonly runsPerMonth: number;
  /** Tokens embedded a month: changed share x corpus x chunk overlap, per run. */
  readonly tokensPerMonth: number;
  readonly monthlyUsd: number;
  /** The first full ingestion, once (not in the monthly figure). */
  readonly initialUsd: number;
}

/**
 * What keeping the embeddings fresh costs on `cloud`: each refresh re-embeds the changed share of the
 * corpus (`expectedChangedPercent`), chunk overlap included, at the embedding model's input price.
 * Pure; the design is validated first.
 */
export function embeddingCost(v: VectorStoreDesign, cloud: Cloud, priceOverridePer1kUsd?: number): EmbeddingCost {
  const r = resolveVectorStore(v, cloud);
  const price = priceOverridePer1kUsd ?? findModel(r.embedding.id)?.inputPer1kUsd ?? 0;
  const overlap = r.chunking.strategy === 'fixed' ? 1 + r.chunking.overlapPercent / 100 : 1;
  const corpusTokens = r.expectedSourceGiB * TOKENS_PER_GIB * overlap;
  const runsPerMonth = cronRunsPerMonth(r.refreshSchedule);
  const tokensPerMonth = corpusTokens * (r.expectedChangedPercent / 100) * runsPerMonth;
  return { runsPerMonth, tokensPerMonth, monthlyUsd: (tokensPerMonth / 1000) * price, initialUsd: (corpusTokens / 1000) * price };
}

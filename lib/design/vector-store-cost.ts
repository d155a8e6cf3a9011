import { findModel } from './catalog/models';
import type { Cloud } from './cloud';
import { cronRunsPerMonth } from './cron-count';
import { VECTOR_STORE_PRICES } from './catalog/fixed-costs';
import { resolveVectorStore, VECTOR_STORE_DEFAULTS, type VectorStoreDesign } from './vector-store';

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

/** Tokens of a search question: the one embedding call of each query. */
export const QUERY_TOKENS = 32;
/** Bytes of each chunk's key, document id and position kept beside its vector and text. */
const CHUNK_OVERHEAD_BYTES = 200;
/** Bytes of text per token, as in `TOKENS_PER_GIB`. */
const BYTES_PER_TOKEN = 4;

export interface IndexSizing {
  /** Chunks of the whole corpus (chunks of `maxTokens`, overlap included). */
  readonly chunks: number;
  /** The index's data: each chunk's vector (4 bytes a dimension), its text and its keys, GiB. */
  readonly indexGiB: number;
}

/** How big the index of `v` is on `cloud`. Pure; the design is validated first. */
export function indexSizing(v: VectorStoreDesign, cloud: Cloud): IndexSizing {
  const r = resolveVectorStore(v, cloud);
  const overlap = r.chunking.strategy === 'fixed' ? 1 + r.chunking.overlapPercent / 100 : 1;
  const corpusTokens = r.expectedSourceGiB * TOKENS_PER_GIB * overlap;
  const chunks = Math.ceil(corpusTokens / r.chunking.maxTokens);
  const bytesPerChunk = r.embedding.dimensions * 4 + r.chunking.maxTokens * BYTES_PER_TOKEN + CHUNK_OVERHEAD_BYTES;
  return { chunks, indexGiB: (chunks * bytesPerChunk) / 1024 ** 3 };
}

/** One priced line of the vector store. */
export interface VectorStoreCostItem {
  readonly item: string;
  readonly monthlyUsd: number;
}

const gib = (n: number) => (n < 10 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US'));

/**
 * Every monthly cost of the vector store on `cloud`: the index (its floor and its size), the source
 * documents, the queries and the embedding refresh. `embeddingPricePer1kUsd` overrides the catalog's
 * price of the embedding model (`design.prices`).
 */
export function vectorStoreCostItems(v: VectorStoreDesign, cloud: Cloud, embeddingPricePer1kUsd?: number): VectorStoreCostItem[] {
  const r = resolveVectorStore(v, cloud);
  const prices = VECTOR_STORE_PRICES[cloud];
  const price = embeddingPricePer1kUsd ?? findModel(r.embedding.id)?.inputPer1kUsd ?? 0;
  const size = indexSizing(v, cloud);
  const refresh = embeddingCost(v, cloud, embeddingPricePer1kUsd);
  const queries = v.expectedQueriesPerMonth ?? VECTOR_STORE_DEFAULTS.expectedQueriesPerMonth;
  const queryEmbeddingUsd = ((queries * QUERY_TOKENS) / 1000) * price;
  const items: VectorStoreCostItem[] = [];
  const index = prices.index;
  const sized = `${size.chunks.toLocaleString('en-US')} chunks, ${gib(size.indexGiB)} GiB`;
  if (index.kind === 'per-gib') {
    // Each refresh writes the vectors of the changed share again.
    const writtenGiB = size.indexGiB * (r.expectedChangedPercent / 100) * refresh.runsPerMonth;
    items.push({ item: `${index.item}: ${sized} stored + ${gib(writtenGiB)} GiB written a month`, monthlyUsd: size.indexGiB * index.perGiBMonthUsd + writtenGiB * index.writesPerGiBUsd });
    items.push({
      item: `queries: ${queries.toLocaleString('en-US')} a month (S3 Vectors query calls + ${QUERY_TOKENS}-token question embeddings)`,
      monthlyUsd: (queries / 1e6) * index.queriesPerMillionUsd + queryEmbeddingUsd,
    });
  } else {
    const units = Math.max(1, Math.ceil(size.indexGiB / index.unitGiB));
    const over = index.maxUnits !== undefined && units > index.maxUnits ? ` (above the tier's ${index.maxUnits}: a larger tier is needed)` : '';
    items.push({ item: `${index.item}: ${units} for ${sized}${over}`, monthlyUsd: units * index.unitMonthlyUsd });
    items.push({ item: `queries: ${queries.toLocaleString('en-US')} a month (searches included; ${QUERY_TOKENS}-token question embeddings)`, monthlyUsd: queryEmbeddingUsd });
  }
  items.push({ item: `source documents: ${gib(r.expectedSourceGiB)} GiB in ${prices.source.item}`, monthlyUsd: r.expectedSourceGiB * prices.source.perGiBMonthUsd });
  const runs = Number.isInteger(refresh.runsPerMonth) ? String(refresh.runsPerMonth) : refresh.runsPerMonth.toFixed(1);
  items.push({
    item: `embedding refresh: ${r.embedding.id}, ${runs} runs x ${r.expectedChangedPercent}% changed (first ingestion once: $${refresh.initialUsd.toFixed(2)})`,
    monthlyUsd: refresh.monthlyUsd,
  });
  return items;
}

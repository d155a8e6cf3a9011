import type { Cloud } from '../cloud';

/** A monthly cost that does not scale with traffic: the floor of a managed service. */
export interface FixedCost {
  readonly item: string;
  readonly monthlyUsd: number;
}

// List prices, noted 2025-10: AWS us-east-1 (ALB hour $0.0225, NAT gateway hour $0.045, S3 Vectors
// has no minimum), GCP us-central1 (forwarding rule $0.025/h, Cloud NAT gateway $0.0014/h per VM up
// to $0.044/h, Vector Search e2-standard-2 index node $0.0938/h), Azure East US (Standard Load
// Balancer first 5 rules $0.025/h, NAT gateway $0.045/h, AI Search Basic $73.73/month). 730 h/month.
const HOURS = 730;

/** The network floor of a GPU endpoint: its internal load balancer (the NAT is shared per stack). */
export const ENDPOINT_FIXED: Readonly<Record<Cloud, FixedCost>> = {
  aws: { item: 'internal ALB (hourly charge, LCUs extra)', monthlyUsd: 0.0225 * HOURS },
  gcp: { item: 'internal load balancer forwarding rule', monthlyUsd: 0.025 * HOURS },
  azure: { item: 'Standard internal load balancer (first 5 rules)', monthlyUsd: 0.025 * HOURS },
};

/** Egress for nodes without public IPs, one per stack that has GPU endpoints. */
export const NAT_FIXED: Readonly<Record<Cloud, FixedCost>> = {
  aws: { item: 'NAT gateway', monthlyUsd: 0.045 * HOURS },
  gcp: { item: 'Cloud NAT gateway', monthlyUsd: 0.044 * HOURS },
  azure: { item: 'NAT gateway', monthlyUsd: 0.045 * HOURS },
};

/**
 * What the vector store's index, source documents and queries cost on each cloud. List prices noted
 * 2026-12: AWS us-east-1 (S3 Vectors storage $0.06/GB-month, writes $0.20 per GB uploaded, queries
 * $2.50 per million calls, data-processed fees left out; S3 Standard $0.023/GB-month), GCP
 * us-central1 (Vector Search e2-standard-2 node $0.0938/h serving SHARD_SIZE_SMALL shards of 2 GiB,
 * one node per shard; Cloud Storage Standard $0.020/GB-month), Azure East US (AI Search Basic
 * $73.73 per unit a month, 5 GB of vector index per partition, at most 3; Blob Hot LRS
 * $0.018/GB-month). Searches are included in the Vertex node and the AI Search unit.
 */
export interface VectorStorePrices {
  /** The index's service floor and how it grows with the index's size. */
  readonly index:
    | { readonly kind: 'per-gib'; readonly item: string; readonly perGiBMonthUsd: number; readonly writesPerGiBUsd: number; readonly queriesPerMillionUsd: number }
    | { readonly kind: 'per-unit'; readonly item: string; readonly unitMonthlyUsd: number; readonly unitGiB: number; readonly maxUnits?: number };
  /** The source documents' object storage. */
  readonly source: { readonly item: string; readonly perGiBMonthUsd: number };
}

export const VECTOR_STORE_PRICES: Readonly<Record<Cloud, VectorStorePrices>> = {
  aws: {
    index: { kind: 'per-gib', item: 'S3 Vectors index (no minimum)', perGiBMonthUsd: 0.06, writesPerGiBUsd: 0.2, queriesPerMillionUsd: 2.5 },
    source: { item: 'S3 Standard', perGiBMonthUsd: 0.023 },
  },
  gcp: {
    index: { kind: 'per-unit', item: 'Vector Search deployed index, e2-standard-2 node(s), one per 2 GiB shard', unitMonthlyUsd: 0.0938 * HOURS, unitGiB: 2 },
    source: { item: 'Cloud Storage Standard', perGiBMonthUsd: 0.02 },
  },
  azure: {
    index: { kind: 'per-unit', item: 'Azure AI Search Basic unit(s), 5 GB of vectors per partition', unitMonthlyUsd: 73.73, unitGiB: 5, maxUnits: 3 },
    source: { item: 'Blob Storage Hot LRS', perGiBMonthUsd: 0.018 },
  },
};

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

/** The minimum monthly cost of the vector store on each cloud. */
export const VECTOR_STORE_FIXED: Readonly<Record<Cloud, FixedCost>> = {
  aws: { item: 'S3 Vectors index (no minimum; storage $0.06/GB-month)', monthlyUsd: 0 },
  gcp: { item: 'Vector Search deployed index (1 x e2-standard-2 node)', monthlyUsd: 0.0938 * HOURS },
  azure: { item: 'Azure AI Search Basic (1 unit)', monthlyUsd: 73.73 },
};

/** Storage per GiB-month of the vector store's source documents and vectors. */
export const VECTOR_STORAGE_PER_GIB: Readonly<Record<Cloud, number>> = { aws: 0.06, gcp: 0.02, azure: 0.02 };

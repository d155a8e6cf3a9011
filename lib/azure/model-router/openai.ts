// The Azure OpenAI deployments the router calls. Pure.
import { findModel } from '../../design/catalog/models';
import { ROUTER_DEFAULTS, type RouterDesign } from '../../design/router';

/**
 * Deployment type of every deployment: Global Standard, billed per token at the catalog's prices
 * (lib/design/catalog/models.ts: "Azure OpenAI global standard deployments"), served from Azure's
 * global capacity. The capacity below is a rate limit, not a reservation: it costs nothing unused.
 */
export const OPENAI_DEPLOYMENT_SKU = 'GlobalStandard';

/** Most capacity the default asks for per deployment: 1,000 units of 1,000 tokens per minute. */
export const MAX_DEFAULT_CAPACITY = 1000;

/** One `azurerm_cognitive_deployment`. */
export interface OpenAiDeploymentPlan {
  /** Deployment name: the catalog's provider model id, which the router config calls (`providerModelId`). */
  readonly name: string;
  readonly model: string;
  /** The catalog's model version (pinned; upgraded by Azure only when it retires). */
  readonly version: string;
  /** Thousands of tokens per minute. */
  readonly capacity: number;
  /** Ids of the router targets served by this deployment. */
  readonly targets: readonly string[];
}

/**
 * The most tokens per minute the router can send any one deployment: its admission control admits at
 * most each tenant's `tokensPerMinute` (prompt estimate plus the largest output), so the sum over
 * tenants bounds it. In thousands, at least 1, at most {@link MAX_DEFAULT_CAPACITY}.
 */
export function defaultOpenAiCapacity(router: Pick<RouterDesign, 'tenants'>): number {
  const tpm = (router.tenants ?? []).reduce((sum, t) => sum + (t.tokensPerMinute ?? ROUTER_DEFAULTS.tokensPerMinute), 0);
  return Math.min(MAX_DEFAULT_CAPACITY, Math.max(1, Math.ceil(tpm / 1000)));
}

/**
 * One deployment per catalog model among `router`'s azure-openai targets (two targets of one model
 * share it), in target order. `router` is the router as Azure serves it (`placeRouter`).
 */
export function openAiDeployments(router: Pick<RouterDesign, 'models' | 'tenants'>, capacity = defaultOpenAiCapacity(router)): OpenAiDeploymentPlan[] {
  const byName = new Map<string, { model: string; version: string; targets: string[] }>();
  for (const m of router.models) {
    if (m.provider !== 'azure-openai') continue;
    const spec = findModel(m.model);
    if (!spec || spec.provider !== 'azure-openai') continue; // validation reports it
    if (spec.version === undefined) throw new Error(`internal error: the model catalog has no Azure OpenAI version for '${spec.id}'`);
    const entry = byName.get(spec.providerModelId) ?? { model: spec.providerModelId, version: spec.version, targets: [] };
    entry.targets.push(m.id);
    byName.set(spec.providerModelId, entry);
  }
  return [...byName].map(([name, e]) => ({ name, model: e.model, version: e.version, capacity, targets: e.targets }));
}

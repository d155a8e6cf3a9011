// The router config a ModelRouter deploys, and the design facts AiStack hands it. Pure: no aws-cdk-lib.
import type { AiStackDesign } from '../../design/design';
import type { GpuEndpointDesign } from '../../design/gpu-endpoint';
import type { GuardrailDesign } from '../../design/guardrails';
import type { RouterDesign } from '../../design/router';
import type { RouterConfig } from '../../router/config';
import { deployedRouterConfig } from '../../router/deployed-config';

/** What the config of a router needs beyond its router section. */
export interface RouterConfigContext {
  /** Name of the router in its logs: the design's name (the construct's name prefix). */
  readonly name: string;
  /** Region of Bedrock targets without their own `region`: the stack's, when it is a literal. */
  readonly region?: string;
  /** The model each GPU endpoint serves (`server.model`), by endpoint name: sent as `model` to it. */
  readonly endpointModels: Readonly<Record<string, string>>;
  /** Clouds the router is deployed on: each one's ledger gets an even share of every tenant's budget. */
  readonly routerClouds: number;
  /** The guardrails section the router's guard stage runs (the router's `guardrail`), if any. */
  readonly guardrails?: GuardrailDesign;
}

/**
 * The config the AWS router deploys: `deployedRouterConfig(design, 'aws', routerClouds)` of the design
 * the router section and `context` stand for. `routerConfigFromDesign` reads of the design only its
 * name, the AWS region, `server.model` of the endpoints, the price overrides and the guardrails
 * section; the overrides are already folded into the router section by `routerSectionOf`, and the
 * guardrails come with the router's guardrail, so the result is exactly the design's.
 */
export function awsRouterConfig(router: RouterDesign, context: RouterConfigContext): RouterConfig {
  const endpoints = Object.entries(context.endpointModels).map(([name, model]) => ({ name, server: { model } }) as unknown as GpuEndpointDesign);
  const design = { name: context.name, region: { aws: context.region }, tags: {}, endpoints, router, ...(context.guardrails ? { guardrails: context.guardrails } : {}) } as unknown as AiStackDesign;
  return deployedRouterConfig(design, 'aws', context.routerClouds);
}

/**
 * The design's router section as `AiStack` passes it to `ModelRouter`: each managed target carries
 * the design's price overrides (`prices.models`) it would otherwise only find in the design, where
 * the target sets no price of its own (the precedence `routerConfigFromDesign` applies).
 */
export function routerSectionOf(design: AiStackDesign): RouterDesign {
  const router = design.router;
  if (!router) throw new Error("the design has no 'router' section");
  const prices = design.prices?.models ?? {};
  const models = router.models.map((m) => {
    const price = m.provider === 'endpoint' ? undefined : prices[m.model];
    if (!price) return m;
    return {
      ...m,
      ...(m.inputPer1kUsd === undefined && price.inputPer1kUsd !== undefined ? { inputPer1kUsd: price.inputPer1kUsd } : {}),
      ...(m.outputPer1kUsd === undefined && price.outputPer1kUsd !== undefined ? { outputPer1kUsd: price.outputPer1kUsd } : {}),
    };
  });
  return { ...router, models };
}


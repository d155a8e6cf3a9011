// Everything `ai-stack check` must know about Google Cloud beyond the neutral design. Pure: no cdktf.
import type { CloudRules } from '../design/cloud-rules';
import type { AiStackDesign } from '../design/design';
import type { Problems } from '../design/problems';
import { validateBudgetOnGcp } from './budget/rules';
import { validateGpuEndpointOnGcp } from './gpu-endpoint/rules';
import { validateGuardrailsOnGcp } from './guardrail/rules';
import { validateRouterNamePrefix, validateRouterOnGcp } from './model-router/rules';
import { validateBucketNamePart, validateVectorStoreOnGcp } from './vector-store/rules';

function stackRules(design: AiStackDesign, problems: Problems): void {
  // The design's name prefixes the router's globally named bucket.
  if (design.router) validateRouterNamePrefix(design.name, 'name', problems);
  // The design's name and the vector store's name make the vector store's globally named buckets.
  if (design.vectorStore) {
    // (With a router the rule above already refused such a name: one problem is enough.)
    if (!design.router) validateBucketNamePart(design.name, 'name', problems);
    validateBucketNamePart(design.vectorStore.name, 'vectorStore.name', problems);
  }
}

export const gcpRules: CloudRules = { gpuEndpoint: validateGpuEndpointOnGcp, router: validateRouterOnGcp, vectorStore: validateVectorStoreOnGcp, guardrails: validateGuardrailsOnGcp, budget: validateBudgetOnGcp, stack: stackRules };

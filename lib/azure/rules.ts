// Everything `ai-stack check` must know about Azure beyond the neutral design. Pure: no cdktf.
import type { CloudRules } from '../design/cloud-rules';
import { validateBudgetOnAzure } from './budget/rules';
import { validateGpuEndpointOnAzure } from './gpu-endpoint/rules';
import { validateGuardrailsOnAzure } from './guardrail/rules';
import { validateRouterOnAzure } from './model-router/rules';
import { validateVectorStoreOnAzure } from './vector-store/rules';

export const azureRules: CloudRules = {
  gpuEndpoint: validateGpuEndpointOnAzure,
  router: validateRouterOnAzure,
  vectorStore: validateVectorStoreOnAzure,
  guardrails: validateGuardrailsOnAzure,
  budget: validateBudgetOnAzure,
};

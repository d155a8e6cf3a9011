// Everything `ai-stack check` must know about AWS beyond the neutral design. Pure: no aws-cdk-lib.
import { deployedSections, notDeployedSections } from '../design/capabilities';
import type { CloudRules } from '../design/cloud-rules';
import type { AiStackDesign } from '../design/design';
import type { Problems } from '../design/problems';
import { budgetResourceCountOf, validateBudgetOnAws } from './budget/rules';
import { GUARDRAIL_RESOURCES, validateGuardrailsOnAws } from './guardrail/rules';
import { endpointResourceCount, STACK_NETWORK_RESOURCES, validateGpuEndpointOnAws } from './gpu-endpoint/rules';
import { routerResourceCount, validateRouterOnAws } from './model-router/rules';
import { validateVectorStoreOnAws, VECTOR_STORE_RESOURCES } from './vector-store/rules';

/** CloudFormation's limit of resources in one stack. */
export const CLOUDFORMATION_RESOURCE_LIMIT = 500;

function stackRules(design: AiStackDesign, problems: Problems): void {
  if (deployedSections(design, 'aws').length === 0) {
    // CloudFormation refuses a template without resources (cost tags alone make none).
    const waiting = notDeployedSections(design, 'aws');
    problems.add(
      'endpoints',
      'the design builds no resource on AWS, and CloudFormation refuses an empty stack: ' +
        `${waiting.length > 0 ? `${waiting.join(', ')} ${waiting.length === 1 ? 'is' : 'are'} not deployed on AWS yet and ` : ''}` +
        'there are no endpoints. Add an endpoint, or leave aws out of the design (clouds, or region.aws)',
    );
    return;
  }
  const endpoints = Array.isArray(design.endpoints) ? design.endpoints : [];
  const counts = endpoints.map(endpointResourceCount);
  const total = stackResourceCount(design);
  if (total > CLOUDFORMATION_RESOURCE_LIMIT) {
    let fit = 0;
    for (let sum = total - counts.reduce((a, b) => a + b, 0); fit < counts.length && sum + counts[fit] <= CLOUDFORMATION_RESOURCE_LIMIT; fit++) sum += counts[fit];
    problems.add(
      'endpoints',
      `${endpoints.length} endpoints make ${total} CloudFormation resources on AWS with the rest of the design, over the ${CLOUDFORMATION_RESOURCE_LIMIT} one stack may hold ` +
        `(the first ${fit} fit): split the endpoints over two designs, or build the endpoints in stacks of your own with aws.GpuEndpoint`,
    );
  }
}

/** The access-log bucket and its policy, shared by the load balancers and the vector store's source bucket. */
const ACCESS_LOG_RESOURCES = 2;

/** CloudFormation resources of the design's AWS stack, as `AiStack` builds it. */
export function stackResourceCount(design: AiStackDesign): number {
  const endpoints = Array.isArray(design.endpoints) ? design.endpoints : [];
  const vectorStore = design.vectorStore !== undefined;
  return (
    (endpoints.length > 0 ? STACK_NETWORK_RESOURCES : 0) +
    (endpoints.length > 0 || vectorStore ? ACCESS_LOG_RESOURCES : 0) +
    endpoints.map(endpointResourceCount).reduce((a, b) => a + b, 0) +
    routerResourceCount(design) +
    (vectorStore ? VECTOR_STORE_RESOURCES : 0) +
    (design.guardrails !== undefined ? GUARDRAIL_RESOURCES : 0) +
    budgetResourceCountOf(design)
  );
}

export const awsRules: CloudRules = { gpuEndpoint: validateGpuEndpointOnAws, router: validateRouterOnAws, vectorStore: validateVectorStoreOnAws, guardrails: validateGuardrailsOnAws, budget: validateBudgetOnAws, stack: stackRules };

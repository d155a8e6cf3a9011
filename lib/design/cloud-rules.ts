import type { BudgetDesign } from './budget';
import type { AiStackDesign } from './design';
import type { GpuEndpointDesign } from './gpu-endpoint';
import type { GuardrailDesign } from './guardrails';
import type { Problems } from './problems';
import type { RouterDesign } from './router';
import type { VectorStoreDesign } from './vector-store';

/**
 * What one cloud adds to the neutral rules of the design: the rules its constructs would otherwise
 * find only at synth. Each cloud's `rules.ts` (lib/aws, lib/gcp, lib/azure) exports one; the files
 * are pure (no construct library), so `validateDesign` and `ai-stack check` run them without loading
 * aws-cdk-lib or cdktf, and each construct runs the same functions on its props.
 */
export interface CloudRules {
  /** Rules of one GPU endpoint design on this cloud, with `path` the endpoint's path (`endpoints[0]`, or `props` in a construct). */
  readonly gpuEndpoint?: (endpoint: GpuEndpointDesign, path: string, problems: Problems) => void;
  /** Rules of the design's router on this cloud, with `path` its path (`router`, or `props` in a construct). */
  readonly router?: (router: RouterDesign, path: string, problems: Problems) => void;
  /** Rules of the design's vector store on this cloud, with `path` its path (`vectorStore`, or `props`). */
  readonly vectorStore?: (vectorStore: VectorStoreDesign, path: string, problems: Problems) => void;
  /** Rules of the design's guardrails on this cloud, with `path` their path (`guardrails`, or `props`). */
  readonly guardrails?: (guardrails: GuardrailDesign, path: string, problems: Problems) => void;
  /** Rules of the design's budget on this cloud, with `path` its path (`budget`, or `props`). */
  readonly budget?: (budget: BudgetDesign, path: string, problems: Problems) => void;
  /** Rules of the whole stack this cloud's `AiStack` builds from the design (e.g. a resource limit). */
  readonly stack?: (design: AiStackDesign, problems: Problems) => void;
}

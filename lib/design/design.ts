import { budgetShape, validateBudget, type BudgetDesign } from './budget';
import { CLOUDS, type Cloud } from './cloud';
import { gpuEndpointShape, validateGpuEndpoint, type GpuEndpointDesign } from './gpu-endpoint';
import { guardrailShape, validateGuardrailRoutes, validateGuardrails, validateTopicClassifier, type GuardrailDesign } from './guardrails';
import { isToken, join, joinKey, Problems, DesignError, ROOT_PATH } from './problems';
import { quote, quoteList } from './quote';
import { allAccelerators } from './catalog/accelerators';
import { allModels } from './catalog/models';
import { routerShape, validateEndpointCredentials, validateRouter, type RouterDesign } from './router';
import { arrayOf, checkNumbers, checkShape, closest, isPlainObject, num, obj, oneOf, recordOf, str, type NumberRule } from './shape';
import { costTagsShape, validateTags, type CostTagsDesign } from './tags';
import { validateVectorStore, vectorStoreShape, type VectorStoreDesign } from './vector-store';
import type { CloudRules } from './cloud-rules';
import { terraformStateShape, validateTerraformState, type TerraformStatesDesign } from './terraform-state';
import { awsRules } from '../aws/rules';
import { gcpRules } from '../gcp/rules';
import { azureRules } from '../azure/rules';

/** Each cloud's rules beyond the neutral ones (pure files in lib/<cloud>/rules.ts). */
const CLOUD_RULES: Readonly<Record<Cloud, CloudRules>> = { aws: awsRules, gcp: gcpRules, azure: azureRules };

/** The region of each cloud the design deploys to. */
export interface RegionDesign {
  /** AWS region, e.g. `us-east-1`. */
  readonly aws?: string;
  /** Google Cloud region, e.g. `us-central1`. */
  readonly gcp?: string;
  /** Azure region (location), e.g. `eastus`. */
  readonly azure?: string;
}

/** The account of each cloud: AWS account id, GCP project id, Azure subscription id. */
export interface AccountsDesign {
  /**
   * AWS account id.
   * @default - environment-agnostic: the account of the credentials `cdk deploy` runs with
   */
  readonly aws?: string;
  /**
   * GCP project id.
   * @default - a Terraform variable `gcp_project` set at `terraform apply`
   */
  readonly gcp?: string;
  /**
   * Azure subscription id.
   * @default - a Terraform variable `azure_subscription_id` set at `terraform apply`
   */
  readonly azure?: string;
}

/** Your own prices, replacing catalog prices (e.g. negotiated discounts). */
export interface PriceOverridesDesign {
  /**
   * Hourly prices per instance type / machine type / VM size.
   * @default - catalog prices
   */
  readonly instances?: Readonly<Record<string, InstancePriceOverride>>;
  /**
   * Per-1K-token prices per catalog model id.
   * @default - catalog prices
   */
  readonly models?: Readonly<Record<string, ModelPriceOverride>>;
}

export interface InstancePriceOverride {
  readonly onDemandHourlyUsd?: number;
  readonly spotHourlyUsd?: number;
  readonly committed1yHourlyUsd?: number;
}

export interface ModelPriceOverride {
  readonly inputPer1kUsd?: number;
  readonly outputPer1kUsd?: number;
}

/** The whole AI stack, cloud-neutral: one design synthesizes for AWS, Google Cloud or Azure. */
export interface AiStackDesign {
  /** Stack name and resource-name prefix: 3-20 lowercase letters, digits and hyphens, starting with a letter. */
  readonly name: string;
  /**
   * Clouds this design targets; each needs its region.
   * @default - every cloud whose region is set
   */
  readonly clouds?: readonly Cloud[];
  readonly region: RegionDesign;
  /** @default - account, project and subscription chosen at deploy time */
  readonly accounts?: AccountsDesign;
  readonly tags: CostTagsDesign;
  /** @default - no GPU endpoints */
  readonly endpoints?: readonly GpuEndpointDesign[];
  /** @default - no router */
  readonly router?: RouterDesign;
  /** @default - no vector store */
  readonly vectorStore?: VectorStoreDesign;
  /** @default - no guardrails (the router applies none) */
  readonly guardrails?: GuardrailDesign;
  /** @default - no budget */
  readonly budget?: BudgetDesign;
  /** @default - catalog prices */
  readonly prices?: PriceOverridesDesign;
  /**
   * Where Terraform keeps the state of the GCP and Azure stacks.
   * @default - a local state file beside each stack's cdk.tf.json (`terraform.tfstate`)
   */
  readonly terraformState?: TerraformStatesDesign;
}

const priceShape = obj({
  instances: recordOf(obj({ onDemandHourlyUsd: num, spotHourlyUsd: num, committed1yHourlyUsd: num })),
  models: recordOf(obj({ inputPer1kUsd: num, outputPer1kUsd: num })),
});

/** The structural schema of a design, used for unknown-key and type checks. */
export const designShape = obj(
  {
    name: str,
    clouds: arrayOf(oneOf(...CLOUDS)),
    region: obj({ aws: str, gcp: str, azure: str }),
    accounts: obj({ aws: str, gcp: str, azure: str }),
    tags: costTagsShape,
    endpoints: arrayOf(gpuEndpointShape),
    router: routerShape,
    vectorStore: vectorStoreShape,
    guardrails: guardrailShape,
    budget: budgetShape,
    prices: priceShape,
    terraformState: terraformStateShape,
  },
  ['name', 'region', 'tags'],
);

const REGION_FORMAT: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, example: 'us-east-1' },
  gcp: { pattern: /^[a-z]+-[a-z]+\d+$/, example: 'us-central1' },
  azure: { pattern: /^[a-z]+[a-z0-9]*$/, example: 'eastus' },
};

export interface ValidateOptions {
  /**
   * Clouds the design is about to be synthesized for; each must have its region and everything
   * must be available there.
   * @default - the design's `clouds`, else every cloud whose region is set
   */
  readonly clouds?: readonly Cloud[];
}

/** The clouds a design targets. */
export function targetClouds(design: AiStackDesign, options: ValidateOptions = {}): Cloud[] {
  if (options.clouds) return [...options.clouds];
  if (design.clouds) return [...design.clouds];
  return CLOUDS.filter((c) => design.region?.[c] !== undefined);
}

/**
 * Checks a design and throws one `DesignError` listing every problem with its path. Returns the
 * design unchanged when it is valid.
 */
export function validateDesign(design: AiStackDesign, options: ValidateOptions = {}): AiStackDesign {
  const problems = collectProblems(design, options);
  if (problems.count > 0) throw new DesignError(problems.all);
  return design;
}

/** Every problem of a design, without throwing. */
export function collectProblems(design: AiStackDesign, options: ValidateOptions = {}): Problems {
  const problems = new Problems();
  if (design === undefined || design === null) {
    problems.add(ROOT_PATH, 'is empty: a design is a map with at least name, region and tags (see docs/design.md)');
    return problems;
  }
  checkShape(design, designShape, '', problems);
  if (!isPlainObject(design)) return problems;
  const structural = problems.count;
  try {
    semanticRules(design, options, problems);
  } catch (err) {
    // A rule tripped over a value of the wrong type; the shape check has already reported it.
    if (structural === 0) throw err;
  }
  return problems;
}

function semanticRules(design: AiStackDesign, options: ValidateOptions, problems: Problems): void {
  const clouds = targetClouds(design, options);
  if (isToken(design.name)) {
    problems.add('name', 'must be a literal, not an unresolved token: it names the stacks and prefixes every resource name. Pass the name itself');
  } else if (typeof design.name === 'string' && !/^[a-z][a-z0-9-]{2,19}$/.test(design.name)) {
    problems.add('name', `must be 3-20 lowercase letters, digits or hyphens starting with a letter (got ${quote(design.name)})`);
  }
  if (clouds.length === 0) problems.add('region', 'set the region of at least one cloud (aws, gcp or azure)');
  for (const cloud of clouds) {
    const region = design.region?.[cloud];
    const fmt = REGION_FORMAT[cloud];
    if (region === undefined) problems.add(join('region', cloud), `is required to synthesize for ${cloud} (e.g. '${fmt.example}')`);
    else if (typeof region === 'string' && !isToken(region) && !fmt.pattern.test(region)) problems.add(join('region', cloud), `is not a ${cloud} region name (got ${quote(region)}, e.g. '${fmt.example}')`);
  }
  if (design.tags) validateTags(design.tags, clouds, problems);
  const ACCOUNT_FORMAT: Record<Cloud, { readonly pattern: RegExp; readonly what: string }> = {
    aws: { pattern: /^\d{12}$/, what: 'a 12-digit AWS account id' },
    gcp: { pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, what: 'a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen' },
    azure: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, what: 'an Azure subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)' },
  };
  for (const cloud of CLOUDS) {
    const account = design.accounts?.[cloud];
    if (typeof account === 'string' && !isToken(account) && !ACCOUNT_FORMAT[cloud].pattern.test(account)) {
      problems.add(join('accounts', cloud), `must be ${ACCOUNT_FORMAT[cloud].what} (got ${quote(account)})`);
    }
  }

  const endpoints = design.endpoints ?? [];
  const seen = new Set<string>();
  endpoints.forEach((e, i) => {
    const path = join('endpoints', i);
    if (isToken(e.name)) problems.add(join(path, 'name'), 'must be a literal, not an unresolved token: it names the endpoint\'s constructs and resources. Pass the name itself');
    else if (typeof e.name === 'string') {
      if (seen.has(e.name)) problems.add(join(path, 'name'), `duplicate endpoint name ${quote(e.name)}`);
      seen.add(e.name);
    }
    validateGpuEndpoint(e, path, clouds, problems);
    for (const cloud of clouds) CLOUD_RULES[cloud].gpuEndpoint?.(e, path, problems);
  });
  if (design.router) {
    validateRouter(design.router, endpoints.map((e) => e.name), problems);
    validateEndpointCredentials(design.router, endpoints, problems);
    for (const cloud of clouds) CLOUD_RULES[cloud].router?.(design.router, 'router', problems);
  }
  if (design.vectorStore) {
    validateVectorStore(design.vectorStore, clouds, problems);
    for (const cloud of clouds) CLOUD_RULES[cloud].vectorStore?.(design.vectorStore, 'vectorStore', problems);
  }
  if (design.guardrails) {
    validateGuardrails(design.guardrails, problems);
    const routes = design.router ? (Array.isArray(design.router.routes) ? design.router.routes.map((r) => (isPlainObject(r) ? r.name : undefined)) : []) : undefined;
    validateGuardrailRoutes(design.guardrails, routes, problems);
    const models = design.router ? (Array.isArray(design.router.models) ? design.router.models.map((m) => (isPlainObject(m) ? m.id : undefined)) : []) : undefined;
    validateTopicClassifier(design.guardrails, models, problems);
    for (const cloud of clouds) CLOUD_RULES[cloud].guardrails?.(design.guardrails, 'guardrails', problems);
  }
  if (design.budget) {
    validateBudget(design.budget, problems);
    for (const cloud of clouds) CLOUD_RULES[cloud].budget?.(design.budget, 'budget', problems);
  }
  if (design.terraformState) validateTerraformState(design.terraformState, problems);
  for (const cloud of clouds) CLOUD_RULES[cloud].stack?.(design, problems);
  // Prices: >= 0, and keyed by what the catalog prices (a price nothing reads is a silently ignored typo).
  const usd: NumberRule = { min: 0, unit: 'USD' };
  const instanceTypes = [...new Set(allAccelerators().flatMap((a) => CLOUDS.flatMap((c) => a.offerings[c].offers.map((o) => o.type))))];
  for (const [type, price] of Object.entries(isPlainObject(design.prices?.instances) ? design.prices.instances : {})) {
    const path = joinKey('prices.instances', type);
    if (!instanceTypes.includes(type)) {
      const hint = closest(type, instanceTypes);
      problems.add(path, `is not an instance type of the accelerator catalog, so nothing would use this price${hint ? ` (did you mean '${hint}'?)` : ''}; see lib/design/catalog/accelerators.ts`);
    }
    checkNumbers(price, { onDemandHourlyUsd: usd, spotHourlyUsd: usd, committed1yHourlyUsd: usd }, path, problems);
  }
  const modelIds = allModels().map((m) => m.id);
  for (const [id, price] of Object.entries(isPlainObject(design.prices?.models) ? design.prices.models : {})) {
    const path = joinKey('prices.models', id);
    if (!modelIds.includes(id)) {
      const hint = closest(id, modelIds);
      problems.add(path, `is not a model id of the model catalog, so nothing would use this price${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${quoteList(modelIds)}`);
    }
    checkNumbers(price, { inputPer1kUsd: usd, outputPer1kUsd: usd }, path, problems);
  }
}

// Validation of Budget props: one shape (the budget design's fields plus the AWS props, unknown keys
// refused), the neutral budget rules, AWS's rules (the same `ai-stack check` runs), then the props
// only the construct has.
import { budgetShape, validateBudget, type BudgetDesign } from '../../design/budget';
import { validateNamePrefix, type NamePrefixProps } from '../../design/naming';
import { isToken, join, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, checkNumber, checkShape, extendShape, num, obj, ref, str } from '../../design/shape';
import { awsRules } from '../rules';

/** The props checked here (a structural slice of BudgetProps, which imports aws-cdk-lib types). */
export interface AwsBudgetPropsToCheck extends BudgetDesign, NamePrefixProps {
  readonly costTag: { readonly key: string; readonly value: string };
  readonly gpuEndpoints?: readonly { readonly autoScalingGroup?: unknown }[];
  readonly autoScalingGroups?: readonly unknown[];
  readonly router?: { readonly tenantIds?: unknown; readonly metricsNamespace?: unknown; readonly ledgerTable?: unknown; readonly role?: unknown };
  readonly anomalyThresholdUsd?: number;
}

/** Every prop of the AWS Budget: a misspelled prop is an error with a "did you mean", never ignored. */
export const awsBudgetPropsShape = extendShape(
  budgetShape,
  {
    namePrefix: str,
    costTag: obj({ key: str, value: str }, ['key', 'value']),
    gpuEndpoints: arrayOf(ref('a GpuEndpoint (or an object with its autoScalingGroup)')),
    autoScalingGroups: arrayOf(ref('an autoscaling.IAutoScalingGroup')),
    router: ref('an IBudgetRouter (budgetRouterOf(modelRouter), or an object with ledgerTable, role, metricsNamespace and tenantIds)'),
    alarmTopic: ref('an sns.ITopic'),
    logEncryptionKey: ref('a kms.IKey'),
    logRetention: num,
    anomalyThresholdUsd: num,
  },
  ['costTag'],
);

/** Characters AWS allows in tag keys and values (as lib/design/tags.ts checks the design's tags). */
const AWS_TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** A router tenant id (lib/design/router.ts): also safe inside the ledger key pattern `<tenant>#*` of the stop function's policy. */
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateBudgetProps(props: AwsBudgetPropsToCheck, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, awsBudgetPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  const neutral = new Problems();
  validateBudget(props, neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^budget(?=$|[.[])/, path), p.message);
  awsRules.budget?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  validateCostTag(props.costTag, join(path, 'costTag'), problems);

  (props.gpuEndpoints ?? []).forEach((e, i) => {
    const group = e.autoScalingGroup as { autoScalingGroupName?: unknown } | undefined;
    if (typeof group !== 'object' || group === null || typeof group.autoScalingGroupName !== 'string') {
      problems.add(join(join(join(path, 'gpuEndpoints'), i), 'autoScalingGroup'), 'must be an autoscaling.IAutoScalingGroup: pass the GpuEndpoint itself');
    }
  });
  if (props.router !== undefined) validateRouter(props.router, join(path, 'router'), problems);
  if (props.anomalyThresholdUsd !== undefined) {
    if (props.anomalyDetection === false) problems.add(join(path, 'anomalyThresholdUsd'), 'applies only with anomalyDetection (it is false)');
    else checkNumber(props.anomalyThresholdUsd, { min: 0, unit: 'USD' }, join(path, 'anomalyThresholdUsd'), problems);
  }
}

function validateCostTag(tag: AwsBudgetPropsToCheck['costTag'], path: string, problems: Problems): void {
  for (const [field, max] of [['key', 128], ['value', 256]] as const) {
    const v = tag[field];
    if (isToken(v)) continue;
    const at = join(path, field);
    if (v.trim() === '') problems.add(at, `must not be empty (got ${quote(v)})`);
    else if (v.length > max) problems.add(at, `AWS tag ${field}s are at most ${max} characters (got ${v.length})`);
    else if (!AWS_TAG_CHARS.test(v)) problems.add(at, `AWS tag ${field}s allow letters, digits, spaces and _ . : / = + - @ only (got ${quote(v)})`);
  }
  if (!isToken(tag.key) && tag.key.startsWith('aws:')) {
    problems.add(join(path, 'key'), `is an AWS-generated tag (${quote(tag.key)}): the budget filters by a user-defined cost allocation tag (the filter is user:<key>$<value>); pass one of the design's tags`);
  }
}

function validateRouter(router: NonNullable<AwsBudgetPropsToCheck['router']>, path: string, problems: Problems): void {
  for (const field of ['ledgerTable', 'role'] as const) {
    if (typeof router[field] !== 'object' || router[field] === null) problems.add(join(path, field), `is required: ${field === 'role' ? 'the role the router calls Bedrock with' : "the router's ledger table"}`);
  }
  if (typeof router.metricsNamespace !== 'string' || (!isToken(router.metricsNamespace) && router.metricsNamespace.trim() === '')) {
    problems.add(join(path, 'metricsNamespace'), `must be the CloudWatch namespace of the router's metrics, e.g. routerMetricsNamespace(namePrefix) (got ${quote(router.metricsNamespace)})`);
  }
  const ids = router.tenantIds;
  if (!Array.isArray(ids)) {
    problems.add(join(path, 'tenantIds'), `must be a list of the router's tenant ids (got ${quote(ids)})`);
    return;
  }
  if (isToken(ids)) {
    problems.add(join(path, 'tenantIds'), 'must be a literal list: the construct makes two alarms per tenant and writes their ledger keys into the stop function\'s policy');
    return;
  }
  const seen = new Map<string, number>();
  ids.forEach((id: unknown, i: number) => {
    const at = join(join(path, 'tenantIds'), i);
    if (typeof id !== 'string' || isToken(id) || !TENANT_ID.test(id)) {
      problems.add(at, `must be a literal tenant id: 1-63 lowercase letters, digits and hyphens, starting with a letter or digit (got ${quote(id)})`);
      return;
    }
    const first = seen.get(id);
    if (first !== undefined) problems.add(at, `duplicate tenant id ${quote(id)} (also ${join(join(path, 'tenantIds'), first)})`);
    else seen.set(id, i);
  });
}

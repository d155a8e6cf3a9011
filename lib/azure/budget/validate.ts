// Validation of the Azure Budget's props: one shape (the design's budget fields plus the Azure props,
// unknown keys refused), the neutral budget rules, Azure's budget rules (the same `ai-stack check`
// runs once azure.AiStack builds the budget), then the props only the construct has.
import { Token } from 'cdktf';
import { budgetShape, validateBudget, type BudgetDesign } from '../../design/budget';
import { validateNamePrefix, type NamePrefixProps } from '../../design/naming';
import { isIpv4Range } from '../../design/network';
import { isToken, join, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, checkShape, extendShape, obj, oneOf, recordOf, ref, str } from '../../design/shape';
import { SUBNET_ID } from '../gpu-endpoint/validate';
import { STORAGE_REPLICATION_TYPES } from '../model-router/validate';
import { budgetRulesOnAzure } from './rules';

/** The Azure props checked here (a structural slice of `BudgetProps`). */
export interface AzureBudgetPropsToCheck extends BudgetDesign, NamePrefixProps {
  readonly resourceGroupName: string;
  readonly resourceGroupId: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly router?: unknown;
  readonly fleets?: readonly { readonly scaleSet: string; readonly autoscaleSetting?: string }[];
  readonly subnetId?: string;
  readonly deployerCidrs?: readonly string[];
  readonly packagePath?: string;
}

/** Every prop of the Azure Budget: a misspelled prop is an error with a "did you mean", never ignored. */
export const azureBudgetPropsShape = extendShape(
  budgetShape,
  {
    namePrefix: str,
    resourceGroupName: str,
    resourceGroupId: str,
    location: str,
    tags: recordOf(str),
    router: ref('the router whose ledger the stop function writes (budgetRouterOf(router), or an IBudgetRouter)'),
    endpoints: arrayOf(ref('a GPU endpoint (an azure.GpuEndpoint, or an object with reservedScaleSet, spotScaleSet and autoscaleSetting)')),
    fleets: arrayOf(obj({ scaleSet: str, autoscaleSetting: str }, ['scaleSet'])),
    subnetId: str,
    deployerCidrs: arrayOf(str),
    packagePath: str,
    storageAccountReplicationType: oneOf(...STORAGE_REPLICATION_TYPES),
  },
  ['resourceGroupName', 'resourceGroupId', 'location', 'tags'],
);

const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));
const RESOURCE_GROUP_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i;
export const SCALE_SET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/[^/?#]+$/i;
export const AUTOSCALE_SETTING_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Insights\/autoscalesettings\/[^/?#]+$/i;

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateAzureBudgetProps(props: AzureBudgetPropsToCheck, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, azureBudgetPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  const neutral = new Problems();
  validateBudget(props, neutral);
  // Messages name other fields by path too (a duplicate's first place): both become the props'.
  const local = (text: string) => text.replace(/(^|\(also )budget(?=$|[.[])/g, `$1${path}`);
  for (const p of neutral.all) problems.add(local(p.path), local(p.message));
  budgetRulesOnAzure(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);

  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (!unresolved(value) && value.trim() === '') problems.add(join(path, key), 'must not be empty');
  }
  if (!unresolved(props.resourceGroupId) && !RESOURCE_GROUP_ID.test(props.resourceGroupId)) {
    problems.add(join(path, 'resourceGroupId'), `must be a resource group id, '/subscriptions/<id>/resourceGroups/<name>': the budget is set on it (got ${quote(props.resourceGroupId)})`);
  }
  if (!unresolved(props.tags) && Object.keys(props.tags).length === 0) {
    problems.add(join(path, 'tags'), "must hold the stack's cost tags (azure.AiStack.costTags): the budget counts only costs that carry them");
  }
  props.fleets?.forEach((f, i) => {
    const at = join(join(path, 'fleets'), i);
    if (!unresolved(f.scaleSet) && !SCALE_SET_ID.test(f.scaleSet)) {
      problems.add(join(at, 'scaleSet'), `must be a scale set resource id, '/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>' (got ${quote(f.scaleSet)})`);
    }
    if (f.autoscaleSetting !== undefined && !unresolved(f.autoscaleSetting) && !AUTOSCALE_SETTING_ID.test(f.autoscaleSetting)) {
      problems.add(join(at, 'autoscaleSetting'), `must be an autoscale setting resource id, '/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Insights/autoscalesettings/<name>' (got ${quote(f.autoscaleSetting)})`);
    }
  });
  if (props.subnetId !== undefined && !unresolved(props.subnetId) && !SUBNET_ID.test(props.subnetId)) {
    problems.add(join(path, 'subnetId'), `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got ${quote(props.subnetId)})`);
  }
  const cidrs = props.deployerCidrs;
  if (cidrs !== undefined && !unresolved(cidrs)) {
    cidrs.forEach((cidr, i) => {
      if (typeof cidr === 'string' && !unresolved(cidr) && !isIpv4Range(cidr)) {
        problems.add(join(join(path, 'deployerCidrs'), i), `must be a public IPv4 address or CIDR such as '203.0.113.7' or '203.0.113.0/24' (got ${quote(cidr)})`);
      }
    });
  }
  if (props.packagePath !== undefined && unresolved(props.packagePath)) problems.add(join(path, 'packagePath'), 'must be a literal path: the file is read and hashed at synth');
}

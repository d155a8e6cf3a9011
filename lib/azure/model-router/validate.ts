// Validation of ModelRouter props: one shape (the router design's fields plus the Azure props, unknown
// keys refused), the neutral router rules, Azure's rules (the same `ai-stack check` runs), then the
// props only the construct has.
import { Token } from 'cdktf';
import { findModel, allModels } from '../../design/catalog/models';
import { validateNamePrefix, type NamePrefixProps } from '../../design/naming';
import { isIpv4Range } from '../../design/network';
import { isToken, join, joinKey, Problems } from '../../design/problems';
import { quote, quoteList } from '../../design/quote';
import { routerShape, validateRouter, type RouterDesign } from '../../design/router';
import { arrayOf, checkNumber, checkNumbers, checkShape, closest, extendShape, num, obj, oneOf, recordOf, ref, str } from '../../design/shape';
import { endpointKeyEnv, endpointUrlEnv } from '../../router/deploy-env';
import { validateGuardrailProp } from '../../cdktf/guard-env';
import { SUBNET_ID } from '../gpu-endpoint/validate';
import { azureRules } from '../rules';

/** Replication of the router's storage account (`account_replication_type`). */
export const STORAGE_REPLICATION_TYPES = ['LRS', 'ZRS', 'GRS', 'GZRS', 'RAGRS', 'RAGZRS'] as const;

/** The Azure props checked here (a structural slice of `ModelRouterProps`). */
export interface AzureModelRouterPropsToCheck extends RouterDesign, NamePrefixProps {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly endpoints?: Readonly<Record<string, { readonly url: string; readonly model: string; readonly gpuMetricResourceId?: string }>>;
  readonly modelPrices?: Readonly<Record<string, { readonly inputPer1kUsd?: number; readonly outputPer1kUsd?: number }>>;
  readonly routerClouds?: number;
  readonly subnetId?: string;
  readonly vaultClientSubnetIds?: readonly string[];
  readonly deployerCidrs?: readonly string[];
  readonly openAiCapacity?: number;
  readonly storageAccountReplicationType?: string;
  readonly guardrail?: { readonly routerEnvironment?: unknown; readonly raiPolicyFor?: unknown };
  readonly raiPolicyName?: string;
}

/** Every prop of the Azure ModelRouter: a misspelled prop is an error with a "did you mean", never ignored. */
export const azureModelRouterPropsShape = extendShape(
  routerShape,
  {
    namePrefix: str,
    resourceGroupName: str,
    location: str,
    endpoints: recordOf(obj({ url: str, model: str, gpuMetricResourceId: str }, ['url', 'model'])),
    modelPrices: recordOf(obj({ inputPer1kUsd: num, outputPer1kUsd: num })),
    routerClouds: num,
    subnetId: str,
    vaultClientSubnetIds: arrayOf(str),
    deployerCidrs: arrayOf(str),
    identity: ref('a managed identity (a UserAssignedIdentity, or an object with id, principalId and clientId)'),
    openAiAccount: ref('an Azure OpenAI account (a CognitiveAccount, or an object with id and endpoint)'),
    openAiCapacity: num,
    actionGroupId: str,
    packagePath: str,
    storageAccountReplicationType: oneOf(...STORAGE_REPLICATION_TYPES),
    guardrail: ref('a router guardrail (an azure.Guardrail, or an object with routerEnvironment and grantUse)'),
    raiPolicyName: str,
  },
  ['resourceGroupName', 'location'],
);

/** An unresolved token of any kind (string, number, list), by the design's rule or cdktf's. */
const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));

/** Ranges a storage account or Key Vault firewall cannot admit: private, shared, loopback and link-local addresses. */
const NOT_PUBLIC: readonly [number, number, number][] = [
  // [first octet, second octet from, second octet to] (inclusive); -1 matches any second octet.
  [0, -1, -1],
  [10, -1, -1],
  [100, 64, 127],
  [127, -1, -1],
  [169, 254, 254],
  [172, 16, 31],
  [192, 168, 168],
];

function isPublic(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return !NOT_PUBLIC.some(([first, from, to]) => a === first && (from === -1 || (b >= from && b <= to)));
}

/**
 * Adds every problem of `props` to `problems`, each under `path`. The neutral rules name router paths
 * `router.…`; a construct's are `props.…`.
 */
export function validateAzureModelRouter(props: AzureModelRouterPropsToCheck, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, azureModelRouterPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  const endpoints = props.endpoints ?? {};
  const neutral = new Problems();
  validateRouter(props, Object.keys(endpoints), neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^router(?=$|[.[])/, path), p.message);
  azureRules.router?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);

  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (!unresolved(value) && value.trim() === '') problems.add(join(path, key), 'must not be empty');
  }

  if (props.routerClouds !== undefined) {
    if (isToken(props.routerClouds)) problems.add(join(path, 'routerClouds'), 'must be a literal: it divides the budgets written into the router config at synth');
    else checkNumber(props.routerClouds, { whole: true, min: 1 }, join(path, 'routerClouds'), problems);
  }
  if (props.openAiCapacity !== undefined) checkNumber(props.openAiCapacity, { whole: true, min: 1 }, join(path, 'openAiCapacity'), problems);
  validateGuardrailProp(props.guardrail, join(path, 'guardrail'), problems);
  if (props.raiPolicyName !== undefined && !unresolved(props.raiPolicyName)) {
    if (props.raiPolicyName.trim() === '') problems.add(join(path, 'raiPolicyName'), "must name an RAI policy of the Azure OpenAI account, e.g. 'Microsoft.DefaultV2'");
    else if (typeof props.guardrail?.raiPolicyFor === 'function') {
      problems.add(join(path, 'raiPolicyName'), 'conflicts with props.guardrail, whose RAI policy the deployments use: pass one of them');
    }
  }

  const suffixes = new Map<string, string>();
  for (const [name, e] of Object.entries(endpoints)) {
    const at = joinKey(join(path, 'endpoints'), name);
    const env = endpointUrlEnv(name);
    const other = suffixes.get(env);
    if (other !== undefined) problems.add(at, `names the same app settings as endpoint ${quote(other)} (${env}, ${endpointKeyEnv(name)}); rename one`);
    suffixes.set(env, name);
    for (const key of ['url', 'model'] as const) {
      if (!unresolved(e[key]) && e[key].trim() === '') problems.add(join(at, key), 'must not be empty');
    }
    if (!unresolved(e.url) && !/^https?:\/\/[^\s/]+/.test(e.url)) problems.add(join(at, 'url'), `must be the endpoint's base URL, e.g. 'http://10.40.0.4:8000' (got ${quote(e.url)})`);
  }

  const modelIds = allModels().map((m) => m.id);
  for (const [id, price] of Object.entries(props.modelPrices ?? {})) {
    const at = joinKey(join(path, 'modelPrices'), id);
    if (!findModel(id)) {
      const hint = closest(id, modelIds);
      problems.add(at, `is not a model id of the model catalog, so nothing would use this price${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${quoteList(modelIds)}`);
    }
    checkNumbers(price, { inputPer1kUsd: { min: 0, unit: 'USD' }, outputPer1kUsd: { min: 0, unit: 'USD' } }, at, problems);
  }

  const subnetId = (value: unknown, at: string) => {
    if (typeof value === 'string' && !unresolved(value) && !SUBNET_ID.test(value)) {
      problems.add(at, `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got ${quote(value)})`);
    }
  };
  subnetId(props.subnetId, join(path, 'subnetId'));
  if (!unresolved(props.vaultClientSubnetIds)) (props.vaultClientSubnetIds ?? []).forEach((s, i) => subnetId(s, join(join(path, 'vaultClientSubnetIds'), i)));

  const cidrs = props.deployerCidrs;
  if (cidrs !== undefined && !unresolved(cidrs)) {
    cidrs.forEach((cidr, i) => {
      const at = join(join(path, 'deployerCidrs'), i);
      if (typeof cidr !== 'string' || unresolved(cidr)) return;
      if (!isIpv4Range(cidr)) {
        problems.add(at, `must be a public IPv4 address or CIDR such as '203.0.113.7' or '203.0.113.0/24' (got ${quote(cidr)})`);
        return;
      }
      const [address, prefix] = cidr.split('/');
      if (!isPublic(address)) {
        problems.add(at, `must be a public address range (got ${quote(cidr)}): the storage account and Key Vault firewalls admit public ranges only; a deployer inside the virtual network reaches them through a service endpoint of its subnet instead`);
      } else if (prefix === '31') {
        problems.add(at, `must not be a /31 (got ${quote(cidr)}): storage account firewalls take an address or a range of /30 or wider; list the two addresses`);
      }
    });
  }
}

/** A deployer range as a storage account IP rule takes it: a single address without `/32`. */
export function storageIpRule(cidr: string): string {
  return cidr.endsWith('/32') ? cidr.slice(0, -3) : cidr;
}

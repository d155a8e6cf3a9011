// Validation of the Azure VectorStore's props: one shape (the design's vectorStore fields plus the
// Azure props, unknown keys refused), the neutral rules, Azure's rules (the same `ai-stack check`
// runs), then the props only the construct has.
import { Token } from 'cdktf';
import { validateNamePrefix, type NamePrefixProps } from '../../design/naming';
import { isIpv4Range } from '../../design/network';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, checkNumbers, checkShape, extendShape, num, obj, oneOf, ref, str, type NumberRules } from '../../design/shape';
import { validateVectorStore, vectorStoreShape, type VectorStoreDesign } from '../../design/vector-store';
import { SUBNET_ID } from '../gpu-endpoint/validate';
import { FLEX_INSTANCE_MEMORY_MIB } from '../model-router/rules';
import { STORAGE_REPLICATION_TYPES } from '../model-router/validate';
import { azureRules } from '../rules';

/** AI Search tiers with vector search, managed identities and private endpoints (the free tier has no private endpoint). */
export const SEARCH_SKUS = ['basic', 'standard', 'standard2', 'standard3', 'storage_optimized_l1', 'storage_optimized_l2'] as const;

/** Partition counts AI Search allows (`partition_count`); the basic tier takes at most 3 partitions and 3 replicas. */
export const SEARCH_PARTITION_COUNTS: readonly number[] = [1, 2, 3, 4, 6, 12];
const BASIC_MAX_UNITS = 3;

/** The Azure props checked here (a structural slice of `VectorStoreProps`). */
export interface AzureVectorStorePropsToCheck extends VectorStoreDesign, NamePrefixProps {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly subnetId?: string;
  readonly privateEndpointSubnetId?: string;
  readonly virtualNetworkId?: string;
  readonly privateDnsZoneId?: string;
  readonly deployerCidrs?: readonly string[];
  readonly sourceWriterCidrs?: readonly string[];
  readonly storageAccount?: unknown;
  readonly encryptionKey?: { readonly keyVaultKeyId: string; readonly userAssignedIdentityId: string };
  readonly storageAccountReplicationType?: string;
  readonly openAiAccount?: unknown;
  readonly embeddingDeploymentName?: string;
  readonly embeddingCapacity?: number;
  readonly embeddingDeploymentAfter?: unknown;
  readonly embeddingPricePer1kUsd?: number;
  readonly searchSku?: string;
  readonly searchReplicaCount?: number;
  readonly searchPartitionCount?: number;
  readonly packagePath?: string;
  readonly timeoutMinutes?: number;
  readonly memoryMiB?: number;
}

/** Every prop of the Azure VectorStore: a misspelled prop is an error with a "did you mean", never ignored. */
export const azureVectorStorePropsShape = extendShape(
  vectorStoreShape,
  {
    namePrefix: str,
    resourceGroupName: str,
    location: str,
    subnetId: str,
    privateEndpointSubnetId: str,
    virtualNetworkId: str,
    privateDnsZoneId: str,
    deployerCidrs: arrayOf(str),
    sourceWriterCidrs: arrayOf(str),
    storageAccount: ref('a storage account (a StorageAccount, or an object with id and name)'),
    encryptionKey: obj({ keyVaultKeyId: str, userAssignedIdentityId: str }, ['keyVaultKeyId', 'userAssignedIdentityId']),
    storageAccountReplicationType: oneOf(...STORAGE_REPLICATION_TYPES),
    identity: ref('a managed identity (a UserAssignedIdentity, or an object with id, principalId and clientId)'),
    openAiAccount: ref('an Azure OpenAI account (a CognitiveAccount, or an object with id and endpoint)'),
    embeddingDeploymentName: str,
    embeddingCapacity: num,
    embeddingDeploymentAfter: ref('a list of Terraform resources (the deployments already on openAiAccount)'),
    embeddingPricePer1kUsd: num,
    searchSku: str,
    searchReplicaCount: num,
    searchPartitionCount: num,
    actionGroupId: str,
    packagePath: str,
    timeoutMinutes: num,
    memoryMiB: num,
  },
  ['resourceGroupName', 'location'],
);

const NUMBERS: NumberRules<AzureVectorStorePropsToCheck> = {
  embeddingCapacity: { whole: true, min: 1, unit: 'thousand tokens per minute' },
  embeddingPricePer1kUsd: { min: 0, unit: 'USD' },
  searchReplicaCount: { whole: true, min: 1, max: 12 },
  timeoutMinutes: { whole: true, min: 1, max: 1440, unit: 'minutes' },
};

const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));
const given = (v: unknown): boolean => v !== undefined;
const VIRTUAL_NETWORK_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
const SEARCH_DNS_ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/privatelink\.search\.windows\.net$/i;

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateAzureVectorStoreProps(props: AzureVectorStorePropsToCheck, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, azureVectorStorePropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  validateVectorStore(props, ['azure'], problems, path);
  azureRules.vectorStore?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  checkNumbers(props, NUMBERS, path, problems);
  const at = (key: string) => join(path, key);

  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (!unresolved(value) && value.trim() === '') problems.add(at(key), 'must not be empty');
  }

  // The network: bring all of it, or none (the construct then builds its own).
  if (given(props.subnetId) !== given(props.privateEndpointSubnetId)) {
    const missing = given(props.subnetId) ? 'privateEndpointSubnetId' : 'subnetId';
    problems.add(at(missing), `is needed with ${missing === 'subnetId' ? 'privateEndpointSubnetId' : 'subnetId'}: bring both subnets of the network (the function's integration subnet and the search service's private endpoint subnet), or neither`);
  }
  if (given(props.subnetId) && !given(props.virtualNetworkId) && !given(props.privateDnsZoneId)) {
    problems.add(
      at('virtualNetworkId'),
      "is needed with subnetId: the private DNS zone 'privatelink.search.windows.net' the construct creates is linked to it, so the function resolves the search service to its private endpoint; or pass privateDnsZoneId, a zone of that name already linked to the network",
    );
  }
  for (const key of ['virtualNetworkId', 'privateDnsZoneId'] as const) {
    if (given(props[key]) && !given(props.subnetId)) problems.add(at(key), 'applies only with subnetId and privateEndpointSubnetId: without them the construct builds its own network and DNS zone');
  }
  if (given(props.virtualNetworkId) && given(props.privateDnsZoneId)) {
    problems.add(at('virtualNetworkId'), 'conflicts with privateDnsZoneId: the zone you bring is already linked to your network; pass one of them');
  }
  for (const key of ['subnetId', 'privateEndpointSubnetId'] as const) {
    const value = props[key];
    if (value !== undefined && !unresolved(value) && !SUBNET_ID.test(value)) {
      problems.add(at(key), `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got ${quote(value)})`);
    }
  }
  if (props.virtualNetworkId !== undefined && !unresolved(props.virtualNetworkId) && !VIRTUAL_NETWORK_ID.test(props.virtualNetworkId)) {
    problems.add(at('virtualNetworkId'), `must be a virtual network resource id, '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>' (got ${quote(props.virtualNetworkId)})`);
  }
  if (props.privateDnsZoneId !== undefined && !unresolved(props.privateDnsZoneId) && !SEARCH_DNS_ZONE_ID.test(props.privateDnsZoneId)) {
    problems.add(at('privateDnsZoneId'), `must be the id of a private DNS zone named 'privatelink.search.windows.net', where AI Search private endpoints register (got ${quote(props.privateDnsZoneId)})`);
  }

  for (const key of ['deployerCidrs', 'sourceWriterCidrs'] as const) {
    const cidrs = props[key];
    if (cidrs === undefined || unresolved(cidrs)) continue;
    cidrs.forEach((cidr, i) => {
      if (typeof cidr === 'string' && !unresolved(cidr) && !isIpv4Range(cidr)) {
        problems.add(join(at(key), i), `must be a public IPv4 address or CIDR such as '203.0.113.7' or '203.0.113.0/24' (got ${quote(cidr)})`);
      }
    });
  }

  // Props of the storage account the construct creates.
  if (given(props.storageAccount)) {
    for (const key of ['encryptionKey', 'sourceWriterCidrs', 'storageAccountReplicationType'] as const) {
      if (given(props[key])) problems.add(at(key), 'applies only to the storage account the construct creates; configure the storageAccount you pass yourself');
    }
  }

  // The embedding deployment: one of yours, or a new one (after the deployments already on the account).
  if (given(props.embeddingDeploymentName) && !given(props.openAiAccount)) {
    problems.add(at('embeddingDeploymentName'), 'names a deployment on openAiAccount, which is missing: pass the account too, or leave both out (the construct then creates an account and the deployment)');
  }
  const deployment = props.embeddingDeploymentName;
  if (deployment !== undefined && !unresolved(deployment) && deployment.trim() === '') {
    problems.add(at('embeddingDeploymentName'), 'must not be empty');
  }
  if (given(props.embeddingDeploymentName)) {
    for (const key of ['embeddingCapacity', 'embeddingDeploymentAfter'] as const) {
      if (given(props[key])) problems.add(at(key), 'applies only to the deployment the construct creates, and embeddingDeploymentName names one of yours');
    }
  }
  if (given(props.embeddingDeploymentAfter) && !given(props.openAiAccount)) {
    problems.add(at('embeddingDeploymentAfter'), 'applies only with openAiAccount: the account the construct creates holds no other deployment');
  }

  const sku = props.searchSku;
  if (sku !== undefined && !unresolved(sku)) {
    if (sku === 'free') {
      problems.add(at('searchSku'), "'free' is refused: the free tier has no private endpoint (the search service takes queries on its private endpoint only), and a subscription holds one free service; 'basic' is the smallest tier with vector search and private endpoints");
    } else if (!(SEARCH_SKUS as readonly string[]).includes(sku)) {
      problems.add(at('searchSku'), `must be one of ${SEARCH_SKUS.map((s) => `'${s}'`).join(', ')} (got ${quote(sku)})`);
    }
  }
  const partitions = props.searchPartitionCount;
  if (typeof partitions === 'number' && !unresolved(partitions) && !SEARCH_PARTITION_COUNTS.includes(partitions)) {
    problems.add(at('searchPartitionCount'), `must be one of ${SEARCH_PARTITION_COUNTS.join(', ')}, the partition counts AI Search allows (got ${quote(partitions)})`);
  }
  if ((sku ?? 'basic') === 'basic') {
    for (const key of ['searchReplicaCount', 'searchPartitionCount'] as const) {
      const n = props[key];
      if (typeof n === 'number' && !unresolved(n) && n > BASIC_MAX_UNITS) problems.add(at(key), `must be at most ${BASIC_MAX_UNITS} on the basic tier (got ${n}); pick searchSku 'standard' for more`);
    }
  }

  const memory = props.memoryMiB;
  if (typeof memory === 'number' && !unresolved(memory) && !FLEX_INSTANCE_MEMORY_MIB.includes(memory)) {
    problems.add(at('memoryMiB'), `must be one of ${FLEX_INSTANCE_MEMORY_MIB.join(', ')} MiB, the instance sizes Flex Consumption offers (got ${quote(memory)})`);
  }
  if (props.packagePath !== undefined && unresolved(props.packagePath)) problems.add(at('packagePath'), 'must be a literal path: the file is read and hashed at synth');
}

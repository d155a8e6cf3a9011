import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, TerraformStack, Testing, type TerraformResource } from 'cdktf';
import { AiStack } from '../../lib/azure/ai-stack';
import { INGEST_ROLES, QUERY_ROLE, VectorStore, type VectorStoreProps } from '../../lib/azure/vector-store';
import { failedRunsQuery, indexAgeQuery, probesQuery } from '../../lib/azure/vector-store/queries';
import { ncrontab } from '../../lib/azure/vector-store/rules';
import { collectProblems, type AiStackDesign } from '../../lib/design';
import { INGEST_ENV } from '../../lib/ingest/deploy-env';
import { bareDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { makeStack, resourcesOf, synthJson, unresolvedReferences, type TfJson } from './helpers';

/** Zip stand-ins: the constructs hash and upload the files, they never open them. */
function packageFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ai-stack-ingest-pkg-')), 'azure.zip');
  writeFileSync(path, content);
  return path;
}
const PACKAGE = packageFile('PK ingest package');
const ROUTER_PACKAGE = packageFile('PK router package');
const BUDGET_PACKAGE = packageFile('PK budget package');

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg';
const VNET = `${SUB}/providers/Microsoft.Network/virtualNetworks/hub`;

type Json = Record<string, any>;
const ref = (r: TerraformResource, attribute = 'id') => `\${${r.terraformResourceType}.${r.friendlyUniqueId}.${attribute}}`;
const all = (json: TfJson, type: string): Json[] => Object.values(resourcesOf(json, type)) as Json[];
const only = (json: TfJson, type: string): Json => {
  const found = all(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
const byId = (json: TfJson, r: TerraformResource): Json => resourcesOf(json, r.terraformResourceType)[r.friendlyUniqueId] as Json;

function build(overrides: Partial<VectorStoreProps> = {}, configure?: (stack: TerraformStack) => Partial<VectorStoreProps>): { stack: TerraformStack; store: VectorStore; json: TfJson } {
  const { stack, resourceGroup } = makeStack();
  const store = new VectorStore(stack, 'Docs', {
    name: 'docs',
    resourceGroupName: resourceGroup.name,
    location: 'eastus2',
    packagePath: PACKAGE,
    deployerCidrs: ['203.0.113.0/24'],
    ...overrides,
    ...configure?.(stack),
  });
  return { stack, store, json: synthJson(stack) };
}

const problemsOf = (overrides: Partial<VectorStoreProps>) => {
  const { stack } = makeStack();
  return designErrorOf(() => new VectorStore(stack, 'Docs', { name: 'docs', resourceGroupName: 'rg', location: 'eastus2', packagePath: PACKAGE, ...overrides } as VectorStoreProps)).problems;
};
const warnings = (c: VectorStore) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));

describe('VectorStore (Azure) with every default', () => {
  const { store, json } = build();
  const search = byId(json, store.searchService);
  const principal = ref(store.identity as unknown as TerraformResource, 'principal_id');
  const mine = all(json, 'azurerm_role_assignment').filter((r) => r.principal_id === principal);
  const app = byId(json, store.functionApp);

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('the search service takes Entra ID tokens only, has no public network access, and has an identity', () => {
    expect(search).toMatchObject({ sku: 'basic', replica_count: 1, local_authentication_enabled: false, public_network_access_enabled: false, network_rule_bypass_option: 'None', identity: { type: 'SystemAssigned' } });
    // API keys are off, so no failure mode for them is set (azurerm allows it only with local auth).
    expect(search.authentication_failure_mode).toBeUndefined();
    expect(search.name).toMatch(/^[a-z0-9](?:[a-z0-9]|-(?!-)){0,58}[a-z0-9]$/);
  });

  test('its partitions are the units the estimate prices for the default corpus: 1 GiB, 1,073,742 chunks of 7,544 bytes, 7.5 GiB, 2 of 5 GB', () => {
    // 1 GiB at 4 bytes a token with 20% overlap, in 300-token chunks; each a 1536-float vector, its text and 200 bytes of keys.
    const chunks = Math.ceil(((1024 ** 3 / 4) * 1.2) / 300);
    const gib = (chunks * (1536 * 4 + 300 * 4 + 200)) / 1024 ** 3;
    expect(search.partition_count).toBe(Math.ceil(gib / 5));
    expect(search.partition_count).toBe(2);
    expect(warnings(store).some((w) => w.includes('index-size'))).toBe(false);
  });

  test('it is reached through a private endpoint in the network, registered in the privatelink zone linked to that network', () => {
    const endpoint = byId(json, store.privateEndpoint);
    expect(endpoint.subnet_id).toBe(ref(store.network!.subnet));
    expect(endpoint.private_service_connection).toEqual({ name: `${search.name}-search`, private_connection_resource_id: ref(store.searchService), subresource_names: ['searchService'], is_manual_connection: false });
    expect(endpoint.private_dns_zone_group).toEqual({ name: 'search', private_dns_zone_ids: [ref(store.privateDnsZone!)] });
    expect(byId(json, store.privateDnsZone!).name).toBe('privatelink.search.windows.net');
    expect(byId(json, store.privateDnsZoneLink!)).toMatchObject({ virtual_network_id: ref(store.network!.virtualNetwork), registration_enabled: false });
  });

  test("without a network it builds its own, says so, and the function joins that network's delegated subnet", () => {
    expect(warnings(store)).toEqual(expect.arrayContaining([expect.stringMatching(/^\[ai-stack:azure-vector-store-own-network\] /)]));
    expect(app.virtual_network_subnet_id).toBe(ref(store.network!.routerSubnet!));
    expect(byId(json, store.network!.routerSubnet!).delegation[0].service_delegation.name).toBe('Microsoft.App/environments');
  });

  test('the storage account is Entra-only, TLS 1.2, HTTPS only, private, double-encrypted, versioned, admitting the integration subnet only', () => {
    const account = byId(json, store.storageAccount!);
    expect(account).toMatchObject({
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      allow_nested_items_to_be_public: false,
      infrastructure_encryption_enabled: true,
      cross_tenant_replication_enabled: false,
      local_user_enabled: false,
      sftp_enabled: false,
      account_replication_type: 'ZRS',
      network_rules: { default_action: 'Deny', virtual_network_subnet_ids: [ref(store.network!.routerSubnet!)], ip_rules: [] },
      blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 7 }, container_delete_retention_policy: { days: 7 } },
    });
    expect(account.customer_managed_key).toBeUndefined();
    for (const c of [store.sourceContainer, store.stateContainer]) expect(byId(json, c)).toMatchObject({ storage_account_id: ref(store.storageAccount!), container_access_type: 'private' });
    expect([byId(json, store.sourceContainer).name, byId(json, store.stateContainer).name]).toEqual(['docs-source', 'docs-state']);
  });

  test('the host storage is a separate, equally hardened account: the host\'s Owner role never reaches the documents', () => {
    const host = byId(json, store.hostStorageAccount);
    expect(host).toMatchObject({ shared_access_key_enabled: false, min_tls_version: 'TLS1_2', allow_nested_items_to_be_public: false, infrastructure_encryption_enabled: true });
    expect(host.name).not.toBe(byId(json, store.storageAccount!).name);
    expect(host.network_rules.ip_rules).toEqual(['203.0.113.0/24']);
  });

  test('least privilege: each role of the identity on exactly one resource, data roles on the containers and the search service only', () => {
    const byRole = mine.map((r) => [r.role_definition_name, r.scope]);
    expect(byRole.sort()).toEqual(
      [
        ['Storage Blob Data Reader', ref(store.sourceContainer)],
        ['Storage Blob Data Contributor', ref(store.stateContainer)],
        ['Search Index Data Contributor', ref(store.searchService)],
        ['Search Service Contributor', ref(store.searchService)],
        ['Cognitive Services OpenAI User', ref(store.openAiAccount!)],
        ['Storage Blob Data Owner', ref(store.hostStorageAccount)],
        ['Monitoring Metrics Publisher', ref(store.appInsights)],
      ].sort(),
    );
    // Nothing on the resource group, the subscription, or the account of the documents.
    for (const r of mine) {
      expect(r.scope).not.toMatch(/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$/);
      expect(r.scope).not.toMatch(/azurerm_resource_group/);
      expect(r.scope).not.toBe(ref(store.storageAccount!));
      expect(r.principal_type).toBe('ServicePrincipal');
    }
    expect(Object.values(INGEST_ROLES)).toEqual(['Storage Blob Data Reader', 'Storage Blob Data Contributor', 'Search Index Data Contributor', 'Search Service Contributor', 'Cognitive Services OpenAI User']);
  });

  test('the embedding model is deployed on a new, Entra-only Azure OpenAI account admitting the integration subnet', () => {
    expect(byId(json, store.openAiAccount!)).toMatchObject({ kind: 'OpenAI', local_auth_enabled: false, network_acls: { default_action: 'Deny', virtual_network_rules: [{ subnet_id: ref(store.network!.routerSubnet!) }] } });
    expect(byId(json, store.embeddingDeployment!)).toMatchObject({
      name: 'text-embedding-3-small',
      cognitive_account_id: ref(store.openAiAccount!),
      model: { format: 'OpenAI', name: 'text-embedding-3-small', version: '1' },
      sku: { name: 'GlobalStandard', capacity: 350 },
    });
  });

  test("the function app runs the shipped package with the ingestion's settings", () => {
    expect(app).toMatchObject({ runtime_name: 'node', runtime_version: '22', instance_memory_in_mb: 2048, https_only: true, public_network_access_enabled: false, identity: { type: 'UserAssigned', identity_ids: [ref(store.identity as unknown as TerraformResource)] } });
    const clientId = ref(store.identity as unknown as TerraformResource, 'client_id');
    expect(app.app_settings).toEqual({
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: byId(json, store.hostStorageAccount).name,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: clientId,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
      AzureFunctionsJobHost__functionTimeout: '02:00:00',
      AI_STACK_INGEST_NAME: 'docs',
      AI_STACK_INGEST_CHUNKING: '{"strategy":"fixed","maxTokens":300,"overlapPercent":20}',
      AI_STACK_INGEST_EMBEDDING_MODEL: 'text-embedding-3-small',
      AI_STACK_INGEST_EMBEDDING_MODEL_ID: 'text-embedding-3-small',
      AI_STACK_INGEST_EMBEDDING_RPM: '2100',
      AI_STACK_INGEST_DIMENSIONS: '1536',
      AI_STACK_INGEST_DISTANCE: 'cosine',
      // $0.00002 per 1K tokens in the catalog.
      AI_STACK_INGEST_COST_PER_MTOK_USD: '0.02',
      AI_STACK_INGEST_BLOB_ENDPOINT: `https://${byId(json, store.storageAccount!).name}.blob.core.windows.net`,
      AI_STACK_INGEST_SOURCE_CONTAINER: 'docs-source',
      AI_STACK_INGEST_STATE_CONTAINER: 'docs-state',
      AI_STACK_INGEST_SEARCH_ENDPOINT: `https://${search.name}.search.windows.net`,
      AI_STACK_INGEST_OPENAI_ENDPOINT: ref(store.openAiAccount!, 'endpoint'),
      // The design's default '0 3 * * *' (UTC) with seconds; no WEBSITE_TIME_ZONE, so the timer runs in UTC.
      AI_STACK_INGEST_SCHEDULE: '0 0 3 * * *',
      AZURE_CLIENT_ID: clientId,
    });
    expect(INGEST_ENV.schedule).toBe('AI_STACK_INGEST_SCHEDULE');
  });

  test('the app starts after its package, roles, private endpoint, DNS link, deployment and egress; the timers are registered after each package', () => {
    const deps = app.depends_on as string[];
    for (const r of [store.packageBlob, store.privateEndpoint, store.privateDnsZoneLink!, store.embeddingDeployment!, store.network!.routerEgressAssociation!, ...store.roleAssignments]) {
      expect(deps).toContain(`${r.terraformResourceType}.${r.friendlyUniqueId}`);
    }
    expect(byId(json, store.syncTriggers)).toMatchObject({ action: 'syncfunctiontriggers', resource_id: ref(store.functionApp), lifecycle: { replace_triggered_by: [`\${azurerm_storage_blob.${store.packageBlob.friendlyUniqueId}}`] } });
    expect(byId(json, store.packageContainer).name).toMatch(/^pkg-[0-9a-f]{24}$/);
  });

  test('a failed run alerts: any failed-run event of this vector store in the window', () => {
    const a = byId(json, store.failedRunAlert);
    expect(a).toMatchObject({ scopes: [ref(store.appInsights)], evaluation_frequency: 'PT15M', window_duration: 'PT30M', auto_mitigation_enabled: true });
    expect(a.criteria[0]).toMatchObject({ query: failedRunsQuery('docs'), metric_measure_column: 'failedRuns', operator: 'GreaterThan', threshold: 0 });
    expect(failedRunsQuery('docs')).toContain("| where tostring(e.event) == 'ai-stack.ingest.run' and tostring(e.name) == 'docs'");
    expect(failedRunsQuery('docs')).toMatch(/\| where outcome == 'failed'\n\| summarize failedRuns = count\(\)$/);
    // Without an action group the alerts notify no one.
    expect(a.action).toBeUndefined();
  });

  test('a stale index alerts: the latest probe older than twice the refresh interval (daily: 172800 s, 48 h)', () => {
    expect(store.staleAfterSeconds).toBe(48 * 3600);
    const a = byId(json, store.staleIndexAlert);
    expect(a).toMatchObject({ evaluation_frequency: 'PT1H', window_duration: 'PT2H' });
    expect(a.criteria[0]).toMatchObject({ query: indexAgeQuery('docs'), metric_measure_column: 'ageSeconds', operator: 'GreaterThan', threshold: 172800 });
    expect(indexAgeQuery('docs')).toContain("| where tostring(e.event) == 'ai-stack.ingest.freshness' and tostring(e.name) == 'docs'");
    expect(indexAgeQuery('docs')).toMatch(/\| extend ageSeconds = todouble\(e\.ageSeconds\)\n\| where isnotnull\(ageSeconds\)\n\| summarize arg_max\(timestamp, ageSeconds\)\n\| project ageSeconds$/);
  });

  test('no probe for 3 hours alerts: the app is not running its timers', () => {
    const a = byId(json, store.noProbeAlert);
    expect(a).toMatchObject({ evaluation_frequency: 'PT1H', window_duration: 'PT3H' });
    expect(a.criteria[0]).toMatchObject({ query: probesQuery('docs'), metric_measure_column: 'probes', operator: 'LessThan', threshold: 1 });
    expect(probesQuery('docs')).toMatch(/\| summarize probes = count\(\)$/);
  });

  test('the dashboard charts the run figures from the run events', () => {
    const parts = JSON.parse(byId(json, store.dashboard).dashboard_properties).lenses['0'].parts;
    const queries = Object.values(parts).map((p: any) => p.metadata.inputs.find((i: Json) => i.name === 'Query').value as string);
    const text = queries.join('\n');
    for (const figure of ['documentsSeen', 'documentsChanged', 'documentsRemoved', 'documentsSkipped', 'chunksEmbedded', 'embeddingTokens', 'costUsd', 'ageSeconds']) expect(text).toContain(figure);
    for (const q of queries) expect(q).toContain("tostring(e.name) == 'docs'");
  });
});

describe('the refresh schedule as NCRONTAB', () => {
  test.each([
    ['0 3 * * *', '0 0 3 * * *'],
    ['*/15 * * * *', '0 */15 * * * *'],
    ['30 2 * * 1-5', '0 30 2 * * 1-5'],
    ['0 3 * * 0-7', '0 0 3 * * 0-6'],
    ['0 3 * * 5-7', '0 0 3 * * 0,5-6'],
    ['0 3 * * 7', '0 0 3 * * 0'],
    // cron's 1/2 runs to 7 (Sunday); NCrontab's would stop at 5.
    ['0 3 * * 1/2', '0 0 3 * * 0-1,3,5'],
    ['0 3 * * */2', '0 0 3 * * 0,2,4,6'],
    ['0 3 1,15 * *', '0 0 3 1,15 * *'],
    ['15 */6 * 1-6 *', '0 15 */6 * 1-6 *'],
  ])('%s → %s', (cron, expected) => {
    expect(ncrontab(cron)).toEqual({ expression: expected });
  });

  test('a cron restricting both day-of-month and day-of-week has none: NCRONTAB needs both to match', () => {
    expect(ncrontab('0 3 1 * 1')).toEqual({ problem: expect.stringContaining('an Azure Functions timer (NCRONTAB) only on a day matching both') });
  });

  test('the timer gets the converted schedule; an hourly refresh is stale after 2 h, a weekly one after 2 weeks', () => {
    const hourly = build({ refreshSchedule: '0 * * * *' });
    expect(byId(hourly.json, hourly.store.functionApp).app_settings.AI_STACK_INGEST_SCHEDULE).toBe('0 0 * * * *');
    expect(byId(hourly.json, hourly.store.staleIndexAlert).criteria[0].threshold).toBe(7200);
    const weekly = build({ refreshSchedule: '0 3 * * 7' });
    expect(byId(weekly.json, weekly.store.functionApp).app_settings.AI_STACK_INGEST_SCHEDULE).toBe('0 0 3 * * 0');
    expect(byId(weekly.json, weekly.store.staleIndexAlert).criteria[0].threshold).toBe(14 * 86400);
  });
});

describe('grants', () => {
  test('grantQuery gives the application Search Index Data Reader on this search service only', () => {
    const { stack, resourceGroup } = makeStack();
    const store = new VectorStore(stack, 'Docs', { name: 'docs', resourceGroupName: resourceGroup.name, location: 'eastus2', packagePath: PACKAGE, deployerCidrs: [] });
    const grant = store.grantQuery('11111111-1111-1111-1111-111111111111');
    const json = synthJson(stack);
    expect(byId(json, grant)).toMatchObject({ scope: ref(store.searchService), role_definition_name: 'Search Index Data Reader', principal_id: '11111111-1111-1111-1111-111111111111', principal_type: 'ServicePrincipal' });
    expect(QUERY_ROLE).toBe('Search Index Data Reader');
    // A second grant is a second assignment, not a replaced one.
    const user = store.grantQuery('22222222-2222-2222-2222-222222222222', 'User');
    expect(user.node.id).toBe('Query2');
    expect(byId(synthJson(stack), user)).toMatchObject({ principal_type: 'User', scope: ref(store.searchService) });
  });

  test('grantEmbedding and grantSourceWrite: the OpenAI account, the source container', () => {
    const { stack, resourceGroup } = makeStack();
    const store = new VectorStore(stack, 'Docs', { name: 'docs', resourceGroupName: resourceGroup.name, location: 'eastus2', packagePath: PACKAGE, deployerCidrs: [] });
    const embed = store.grantEmbedding('app');
    const write = store.grantSourceWrite('uploader');
    const json = synthJson(stack);
    expect(byId(json, embed)).toMatchObject({ scope: ref(store.openAiAccount!), role_definition_name: 'Cognitive Services OpenAI User' });
    expect(byId(json, write)).toMatchObject({ scope: ref(store.sourceContainer), role_definition_name: 'Storage Blob Data Contributor' });
  });
});

describe('bring your own', () => {
  test('storage account: the containers are created in it, no account is created, the roles are on the containers', () => {
    const account = { id: `${SUB}/providers/Microsoft.Storage/storageAccounts/teamdocs`, name: 'teamdocs' };
    const { store, json } = build({ storageAccount: account });
    expect(store.storageAccount).toBeUndefined();
    expect(all(json, 'azurerm_storage_account').map((a) => a.name)).toEqual([byId(json, store.hostStorageAccount).name]);
    expect(byId(json, store.sourceContainer).storage_account_id).toBe(account.id);
    expect(byId(json, store.functionApp).app_settings.AI_STACK_INGEST_BLOB_ENDPOINT).toBe('https://teamdocs.blob.core.windows.net');
    const reader = all(json, 'azurerm_role_assignment').find((r) => r.role_definition_name === 'Storage Blob Data Reader')!;
    expect(reader.scope).toBe(ref(store.sourceContainer));
  });

  test('a customer-managed key on the account it creates', () => {
    const key = { keyVaultKeyId: 'https://kv.vault.azure.net/keys/docs', userAssignedIdentityId: `${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk` };
    const { store, json } = build({ encryptionKey: key });
    expect(byId(json, store.storageAccount!)).toMatchObject({
      identity: { type: 'UserAssigned', identity_ids: [key.userAssignedIdentityId] },
      customer_managed_key: { key_vault_key_id: key.keyVaultKeyId, user_assigned_identity_id: key.userAssignedIdentityId },
      infrastructure_encryption_enabled: true,
    });
  });

  test('identity: none is created, and the given principal holds the roles', () => {
    const identity = { id: `${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest`, principalId: 'p-1', clientId: 'c-1' };
    const { json } = build({ identity });
    expect(resourcesOf(json, 'azurerm_user_assigned_identity')).toEqual({});
    expect(all(json, 'azurerm_role_assignment').every((r) => r.principal_id === 'p-1')).toBe(true);
    expect(only(json, 'azurerm_function_app_flex_consumption').app_settings.AZURE_CLIENT_ID).toBe('c-1');
  });

  test('OpenAI account: the deployment goes on it after the deployments already there; or an existing deployment by name', () => {
    const openAiAccount = { id: `${SUB}/providers/Microsoft.CognitiveServices/accounts/shared`, endpoint: 'https://shared.openai.azure.com/' };
    const { json } = build({ openAiAccount }, (stack) => ({ embeddingDeploymentAfter: [stack.node.findChild('rg') as TerraformResource] }));
    expect(resourcesOf(json, 'azurerm_cognitive_account')).toEqual({});
    expect(only(json, 'azurerm_cognitive_deployment')).toMatchObject({ cognitive_account_id: openAiAccount.id, depends_on: ['azurerm_resource_group.rg'] });
    expect(only(json, 'azurerm_function_app_flex_consumption').app_settings.AI_STACK_INGEST_OPENAI_ENDPOINT).toBe('https://shared.openai.azure.com/');
    expect(all(json, 'azurerm_role_assignment').find((r) => r.role_definition_name === 'Cognitive Services OpenAI User')!.scope).toBe(openAiAccount.id);

    const existing = build({ openAiAccount, embeddingDeploymentName: 'embed-small' }).json;
    expect(resourcesOf(existing, 'azurerm_cognitive_deployment')).toEqual({});
    expect(only(existing, 'azurerm_function_app_flex_consumption').app_settings.AI_STACK_INGEST_EMBEDDING_MODEL_ID).toBe('text-embedding-3-small');
    expect(only(existing, 'azurerm_function_app_flex_consumption').app_settings.AI_STACK_INGEST_EMBEDDING_MODEL).toBe('embed-small');
    // Its capacity is not known here: no request rate, the run lives on the 429s' retry-after.
    expect(only(existing, 'azurerm_function_app_flex_consumption').app_settings.AI_STACK_INGEST_EMBEDDING_RPM).toBeUndefined();
  });

  test('network: no network is created; the private endpoint and the function use the given subnets, the DNS zone links to the given network', () => {
    const subnetId = `${VNET}/subnets/apps`;
    const privateEndpointSubnetId = `${VNET}/subnets/endpoints`;
    const { store, json } = build({ subnetId, privateEndpointSubnetId, virtualNetworkId: VNET });
    expect(resourcesOf(json, 'azurerm_virtual_network')).toEqual({});
    expect(warnings(store).some((w) => w.includes('own-network'))).toBe(false);
    expect(byId(json, store.functionApp).virtual_network_subnet_id).toBe(subnetId);
    expect(byId(json, store.privateEndpoint).subnet_id).toBe(privateEndpointSubnetId);
    expect(byId(json, store.privateDnsZoneLink!).virtual_network_id).toBe(VNET);
    expect(byId(json, store.storageAccount!).network_rules.virtual_network_subnet_ids).toEqual([subnetId]);
  });

  test("a hub's DNS zone: the endpoint registers in it, and no zone or link is created", () => {
    const zone = `${SUB}/providers/Microsoft.Network/privateDnsZones/privatelink.search.windows.net`;
    const { store, json } = build({ subnetId: `${VNET}/subnets/apps`, privateEndpointSubnetId: `${VNET}/subnets/endpoints`, privateDnsZoneId: zone });
    expect(resourcesOf(json, 'azurerm_private_dns_zone')).toEqual({});
    expect(resourcesOf(json, 'azurerm_private_dns_zone_virtual_network_link')).toEqual({});
    expect(byId(json, store.privateEndpoint).private_dns_zone_group.private_dns_zone_ids).toEqual([zone]);
  });

  test('a corpus larger than the basic tier holds: 3 partitions and a warning that names the fix', () => {
    const { store, json } = build({ expectedSourceGiB: 20 });
    expect(byId(json, store.searchService).partition_count).toBe(3);
    expect(warnings(store)).toEqual(expect.arrayContaining([expect.stringMatching(/^\[ai-stack:azure-vector-store-index-size\] .*basic tier has at most 3.*Pass searchSku 'standard'/)]));
    // Another tier: the caller sizes it.
    expect(byId(build({ expectedSourceGiB: 20, searchSku: 'standard' }).json, store.searchService).partition_count).toBe(1);
  });

  test('search tier, replicas and partitions, an action group, the capacity', () => {
    const { store, json } = build({ searchSku: 'standard', searchReplicaCount: 2, searchPartitionCount: 4, actionGroupId: `${SUB}/providers/Microsoft.Insights/actionGroups/ops`, embeddingCapacity: 50 });
    expect(byId(json, store.searchService)).toMatchObject({ sku: 'standard', replica_count: 2, partition_count: 4 });
    for (const a of [store.failedRunAlert, store.staleIndexAlert, store.noProbeAlert]) expect(byId(json, a).action).toEqual({ action_groups: [`${SUB}/providers/Microsoft.Insights/actionGroups/ops`] });
    expect(byId(json, store.embeddingDeployment!).sku.capacity).toBe(50);
  });
});

describe('what it refuses', () => {
  test.each([
    ['hierarchical', { chunking: { strategy: 'hierarchical' } }],
    ['semantic', { chunking: { strategy: 'semantic' } }],
  ] as const)('%s chunking, with the path and why', (strategy, props) => {
    expect(problemsOf(props as Partial<VectorStoreProps>)).toEqual([{ path: 'props.chunking.strategy', message: expect.stringContaining(`'${strategy}' chunking is Bedrock's (AWS only): on Azure the shipped ingestion runtime chunks`) }]);
  });

  test('`ai-stack check` refuses the same for Azure only, at the design path', () => {
    const design: AiStackDesign = { ...bareDesign(), vectorStore: { name: 'docs', chunking: { strategy: 'semantic' }, refreshSchedule: '0 3 1 * 1' } };
    const azure = collectProblems(design, { clouds: ['azure'] }).all;
    expect(azure).toContainEqual({ path: 'vectorStore.chunking.strategy', message: expect.stringContaining("'semantic' chunking is Bedrock's") });
    expect(azure).toContainEqual({ path: 'vectorStore.refreshSchedule', message: expect.stringContaining('NCRONTAB') });
    expect(collectProblems({ ...design, vectorStore: { name: 'docs', chunking: { strategy: 'semantic' } } }, { clouds: ['aws'] }).count).toBe(0);
  });

  test('a schedule NCRONTAB cannot express', () => {
    expect(problemsOf({ refreshSchedule: '0 3 1 * 1-5' })).toEqual([{ path: 'props.refreshSchedule', message: expect.stringContaining("keep one of them '*'") }]);
  });

  test.each<[string, Partial<VectorStoreProps>, { path: string; message: RegExp }]>([
    ['the free tier', { searchSku: 'free' }, { path: 'props.searchSku', message: /^'free' is refused: the free tier has no private endpoint/ }],
    ['an unknown tier', { searchSku: 'premium' }, { path: 'props.searchSku', message: /^must be one of 'basic', 'standard'/ }],
    ['4 replicas on basic', { searchReplicaCount: 4 }, { path: 'props.searchReplicaCount', message: /^must be at most 3 on the basic tier/ }],
    ['5 partitions', { searchSku: 'standard', searchPartitionCount: 5 }, { path: 'props.searchPartitionCount', message: /^must be one of 1, 2, 3, 4, 6, 12/ }],
    ['one subnet of two', { subnetId: `${VNET}/subnets/apps`, virtualNetworkId: VNET }, { path: 'props.privateEndpointSubnetId', message: /^is needed with subnetId/ }],
    ['subnets without DNS', { subnetId: `${VNET}/subnets/apps`, privateEndpointSubnetId: `${VNET}/subnets/pe` }, { path: 'props.virtualNetworkId', message: /^is needed with subnetId: the private DNS zone/ }],
    ['a subnet name for its id', { subnetId: 'apps', privateEndpointSubnetId: `${VNET}/subnets/pe`, virtualNetworkId: VNET }, { path: 'props.subnetId', message: /^must be a subnet resource id/ }],
    ['a key for an account it does not create', { storageAccount: { id: 'x', name: 'x' }, encryptionKey: { keyVaultKeyId: 'k', userAssignedIdentityId: 'i' } }, { path: 'props.encryptionKey', message: /^applies only to the storage account the construct creates/ }],
    ['a deployment name without the account', { embeddingDeploymentName: 'embed' }, { path: 'props.embeddingDeploymentName', message: /^names a deployment on openAiAccount, which is missing/ }],
    ['a memory size Flex does not offer', { memoryMiB: 1024 }, { path: 'props.memoryMiB', message: /^must be one of 512, 2048, 4096 MiB/ }],
    ['a zero timeout', { timeoutMinutes: 0 }, { path: 'props.timeoutMinutes', message: /^must be a whole number between 1 and 1440 minutes/ }],
    ['a chat model to embed with', { embeddingModels: { azure: 'gpt-4o' } }, { path: 'props.embeddingModels.azure', message: /is a chat model, not an embedding model/ }],
  ])('%s', (_what, props, problem) => {
    expect(problemsOf(props)).toEqual([{ path: problem.path, message: expect.stringMatching(problem.message) }]);
  });

  test('a misspelled prop, with a "did you mean"', () => {
    expect(problemsOf({ searchSKU: 'basic' } as Partial<VectorStoreProps>)).toEqual([{ path: 'props.searchSKU', message: expect.stringMatching(/^unknown key \(did you mean 'searchSku'\?\)/) }]);
  });
});

describe('AiStack builds it', () => {
  const design: AiStackDesign = {
    ...bareDesign(),
    router: { models: [{ id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' }], routes: [{ name: 'chat', targets: [{ model: 'mini' }] }] },
    budget: { monthlyLimitUsd: 500, notifyEmails: ['ops@example.com'] },
    vectorStore: { name: 'support-docs', refreshSchedule: '30 4 * * 1-5' },
  };
  const stack = new AiStack(Testing.app(), 'rag', { design, routerPackagePath: ROUTER_PACKAGE, budgetPackagePath: BUDGET_PACKAGE, ingestPackagePath: PACKAGE });
  const json = synthJson(stack);
  const store = stack.vectorStore!;
  const router = stack.router!;

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test("the ingestion shares the router's subnet and Azure OpenAI account; the embedding deployment waits for the router's", () => {
    expect(byId(json, store.functionApp).virtual_network_subnet_id).toBe(ref(stack.network!.routerSubnet!));
    expect(byId(json, store.privateEndpoint).subnet_id).toBe(ref(stack.network!.subnet));
    expect(store.openAiAccount).toBeUndefined();
    expect(byId(json, store.embeddingDeployment!)).toMatchObject({ cognitive_account_id: ref(router.openAiAccount!) });
    expect(byId(json, store.embeddingDeployment!).depends_on).toEqual(Object.values(router.openAiDeployments).map((d) => `azurerm_cognitive_deployment.${d.friendlyUniqueId}`));
    expect(byId(json, store.functionApp).app_settings.AI_STACK_INGEST_SCHEDULE).toBe('0 30 4 * * 1-5');
  });

  test("the freshness alerts email the budget's addresses", () => {
    for (const a of [store.failedRunAlert, store.staleIndexAlert, store.noProbeAlert]) expect(byId(json, a).action).toEqual({ action_groups: [ref(stack.budget!.emailActionGroup)] });
  });

  test('outputs: the source container, the search endpoint, the index name', () => {
    expect(json.output).toMatchObject({
      'vector-store-source-container': { value: `https://${byId(json, store.storageAccount!).name}.blob.core.windows.net/support-docs-source` },
      'vector-store-search-endpoint': { value: store.searchEndpoint },
      'vector-store-index-name': { value: 'support-docs' },
    });
  });

  test('AI Search is registered, and every vector store resource that takes tags carries the cost tags', () => {
    expect((json.provider as any).azurerm[0].resource_providers_to_register).toContain('Microsoft.Search');
    const expected = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' };
    // The types of the store's resources that take tags in azurerm 4.55 (role assignments, containers, blobs and deployments take none).
    const taggable = new Set([
      'azurerm_search_service',
      'azurerm_storage_account',
      'azurerm_private_endpoint',
      'azurerm_private_dns_zone',
      'azurerm_private_dns_zone_virtual_network_link',
      'azurerm_user_assigned_identity',
      'azurerm_log_analytics_workspace',
      'azurerm_application_insights',
      'azurerm_service_plan',
      'azurerm_function_app_flex_consumption',
      'azurerm_portal_dashboard',
      'azurerm_monitor_scheduled_query_rules_alert_v2',
    ]);
    const resources = store.node.findAll().filter((c): c is TerraformResource => taggable.has((c as TerraformResource).terraformResourceType));
    expect(new Set(resources.map((r) => r.terraformResourceType))).toEqual(taggable);
    for (const r of resources) expect([r.node.path, byId(json, r).tags]).toEqual([r.node.path, expected]);
  });

  test('without a router it still gets the shared network, its own OpenAI account, and a deployer variable', () => {
    const alone = new AiStack(Testing.app(), 'rag', { design: { ...bareDesign(), vectorStore: { name: 'docs' } }, ingestPackagePath: PACKAGE });
    const out = synthJson(alone);
    expect(unresolvedReferences(out)).toEqual([]);
    expect(alone.vectorStore!.openAiAccount).toBeDefined();
    expect(byId(out, alone.vectorStore!.functionApp).virtual_network_subnet_id).toBe(ref(alone.network!.routerSubnet!));
    expect(Object.keys(out.variable ?? {})).toEqual(expect.arrayContaining(['vector_store_deployer_cidrs', 'vector_store_source_writer_cidrs']));
  });
});

describe('docs/azure/vector-store.md', () => {
  test('the example synthesizes, with every reference resolved and the query granted', () => {
    const doc = readFileSync(join(__dirname, '../../docs/azure/vector-store.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    expect(source).toContain('app.synth();');
    // The shipped package may not be built in a checkout: the example runs against the stand-in.
    const patched = source
      .replace('new App()', 'new App({ outdir: OUTDIR })')
      .replace('app.synth();', 'exports.app = app;')
      .replace("new VectorStore(this, 'Docs', {", "new VectorStore(this, 'Docs', { packagePath: PACKAGE_PATH,");
    expect(patched).toContain('PACKAGE_PATH');
    const code = transformSync(patched, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code;
    const modules: Record<string, unknown> = { 'ai-stack-constructs/azure': require('../../lib/azure') };
    const exported: { app?: App } = {};
    new Function('require', 'exports', 'OUTDIR', 'PACKAGE_PATH', code)((m: string) => modules[m] ?? require(m), exported, mkdtempSync(join(tmpdir(), 'ai-stack-vs-docs-')), PACKAGE);
    const stack = exported.app!.node.children.find((c): c is TerraformStack => c instanceof TerraformStack)!;
    const json = synthJson(stack);
    expect(unresolvedReferences(json)).toEqual([]);
    expect(only(json, 'azurerm_search_service').local_authentication_enabled).toBe(false);
    expect(all(json, 'azurerm_role_assignment').filter((r) => r.role_definition_name === 'Search Index Data Reader')).toHaveLength(1);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { App, Lazy, TerraformStack, Testing, type TerraformResource } from 'cdktf';
import { AiStack } from '../../lib/azure/ai-stack';
import { ModelRouter, type ModelRouterProps } from '../../lib/azure/model-router';
import { LEDGER_TABLE, RATE_TABLE } from '../../lib/azure/model-router/names';
import { FLEX_MAX_INSTANCES, flexScalePlan } from '../../lib/azure/model-router/rules';
import { collectProblems, findModel, type AiStackDesign, type RouterDesign } from '../../lib/design';
import { deployedRouterConfig } from '../../lib/router/deployed-config';
import { decodeCustomData, expressionsIn, makeStack, onlyResource, referencesIn, resourcesOf, synthJson, unresolvedReferences, type TfJson } from './helpers';
import { designErrorOf } from '../support/design-error';

/** A zip stand-in: the construct hashes and uploads the file, it never opens it. */
function packageFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ai-stack-router-pkg-')), 'azure.zip');
  writeFileSync(path, content);
  return path;
}
const PACKAGE = packageFile('PK package one');

const ROUTER: RouterDesign = {
  models: [
    { id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' },
    { id: 'big', provider: 'azure-openai', model: 'gpt-4o' },
    { id: 'mini-eu', provider: 'azure-openai', model: 'gpt-4o-mini', region: 'swedencentral' },
    { id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' },
  ],
  routes: [
    { name: 'chat', targets: [{ model: 'mini' }], fallbacks: ['big', 'mini-eu'] },
    { name: 'claude', targets: [{ model: 'haiku' }] },
  ],
  tenants: [
    { id: 'team-a', monthlyBudgetUsd: 100, tokensPerMinute: 50000 },
    { id: 'team-b', monthlyBudgetUsd: 30, tokensPerMinute: 20000 },
  ],
  deployment: { memoryMiB: 4096, maxConcurrentRequests: 1000, timeoutSeconds: 120, logRetentionDays: 90 },
  alarms: { errorRatePercent: 2, p99LatencyMs: 3000, evaluationMinutes: 10 },
};

interface Built {
  readonly stack: TerraformStack;
  readonly router: ModelRouter;
  readonly json: TfJson;
}

function build(overrides: Partial<ModelRouterProps> = {}, setup?: (stack: TerraformStack) => Partial<ModelRouterProps>): Built {
  const { stack, resourceGroup } = makeStack();
  const extra = setup?.(stack) ?? {};
  const router = new ModelRouter(stack, 'Router', { ...ROUTER, packagePath: PACKAGE, deployerCidrs: ['203.0.113.0/24'], resourceGroupName: resourceGroup.name, location: resourceGroup.location, ...extra, ...overrides });
  return { stack, router, json: synthJson(stack) };
}

/** `${type.name.attr}`: how the Terraform JSON refers to an attribute of a construct's resource. */
function ref(resource: TerraformResource, attribute = 'id'): string {
  return `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
}

const warningsOf = (scope: { node: { findAll(): { node: { metadata: { type: string; data: unknown }[] } }[] } }) =>
  scope.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));

const functionApp = (json: TfJson) => onlyResource(json, 'azurerm_function_app_flex_consumption') as Record<string, any>;
const appSettings = (json: TfJson) => functionApp(json).app_settings as Record<string, string>;

/** The GPU endpoint design of the stack tests: one A100 endpoint the router calls. */
const DESIGN: AiStackDesign = {
  name: 'acme-ai',
  region: { azure: 'eastus2' },
  tags: { team: 'ml', costCenter: 'cc-1', environment: 'prod', application: 'assistant' },
  endpoints: [
    {
      name: 'llm',
      accelerator: 'nvidia-a100-80gb',
      server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
      capacity: { min: 1, max: 3 },
    },
  ],
  router: {
    models: [
      { id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' },
      { id: 'llm', provider: 'endpoint', model: 'llm' },
      { id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' },
    ],
    routes: [{ name: 'chat', targets: [{ model: 'llm' }], fallbacks: ['mini', 'haiku'] }],
    tenants: [{ id: 'team-a', monthlyBudgetUsd: 90 }],
  },
};

function buildStack(design: AiStackDesign = DESIGN, packagePath = PACKAGE): { stack: AiStack; json: TfJson } {
  const stack = new AiStack(Testing.app(), design.name, { design, routerPackagePath: packagePath });
  return { stack, json: synthJson(stack) };
}

describe('ModelRouter (Azure): the function app', () => {
  const { router, json } = build();
  const app = functionApp(json);

  test('Flex Consumption (FC1, Linux) on Node.js 22, with the design memory', () => {
    const plan = onlyResource(json, 'azurerm_service_plan');
    expect(plan).toMatchObject({ sku_name: 'FC1', os_type: 'Linux', name: 'asp-test-router' });
    expect(app.service_plan_id).toBe(ref(router.servicePlan));
    expect(app).toMatchObject({ runtime_name: 'node', runtime_version: '22', instance_memory_in_mb: 4096, https_only: true });
    expect(app.webdeploy_publish_basic_authentication_enabled).toBe(false);
    expect(app.site_config).toMatchObject({ minimum_tls_version: '1.2', scm_minimum_tls_version: '1.2', vnet_route_all_enabled: true });
  });

  test('instances x per-instance concurrency keep maxConcurrentRequests, with the fewest instances Flex allows', () => {
    // 1000 requests: 40 instances (the floor) of 25.
    expect(app.maximum_instance_count).toBe(40);
    expect(app.http_concurrency).toBe(25);
    expect(appSettings(json).AI_STACK_ROUTER_MAX_IN_FLIGHT).toBe('25');
    expect(router.scale).toEqual({ maximumInstanceCount: 40, httpConcurrency: 25, maxConcurrentRequests: 1000 });
    const { json: small } = build({ deployment: { ...ROUTER.deployment, maxConcurrentRequests: 100 } });
    expect([functionApp(small).maximum_instance_count, functionApp(small).http_concurrency]).toEqual([50, 2]);
  });

  test('the plan never passes the cap and stays within Flex Consumption ranges', () => {
    for (let m = FLEX_MAX_INSTANCES.min; m <= 10000; m++) {
      const p = flexScalePlan(m);
      expect(p.maximumInstanceCount * p.httpConcurrency).toBe(p.maxConcurrentRequests);
      if (p.maxConcurrentRequests > m || p.maximumInstanceCount < 40 || p.maximumInstanceCount > 79 || p.httpConcurrency < 1 || p.httpConcurrency > 1000) {
        throw new Error(`maxConcurrentRequests ${m}: ${JSON.stringify(p)}`);
      }
    }
    expect(flexScalePlan(40)).toEqual({ maximumInstanceCount: 40, httpConcurrency: 1, maxConcurrentRequests: 40 });
    expect(flexScalePlan(79)).toEqual({ maximumInstanceCount: 79, httpConcurrency: 1, maxConcurrentRequests: 79 });
  });

  test('the function timeout and the reservations expiry follow timeoutSeconds', () => {
    expect(appSettings(json).AzureFunctionsJobHost__functionTimeout).toBe('00:02:00');
    expect(appSettings(json).AI_STACK_MAX_REQUEST_MS).toBe('120000');
  });

  test('the config is the design as Azure serves it, with the tables, store and identity', () => {
    const settings = appSettings(json);
    expect(JSON.parse(settings.AI_STACK_ROUTER_CONFIG)).toEqual(
      JSON.parse(JSON.stringify(deployedRouterConfig({ name: 'test', region: { azure: '${azurerm_resource_group.rg.location}' }, tags: DESIGN.tags, router: ROUTER }, 'azure', 1))),
    );
    expect(settings).toMatchObject({
      AI_STACK_ROUTER_STORE: 'azure-tables',
      AI_STACK_LEDGER_TABLE: LEDGER_TABLE,
      AI_STACK_RATE_TABLE: RATE_TABLE,
      AI_STACK_TABLES_ENDPOINT: `https://${router.names.storageAccount}.table.core.windows.net`,
      AI_STACK_SECRET_REFRESH_SECONDS: '60',
      AZURE_CLIENT_ID: ref(router.identity as UserAssignedIdentity, 'client_id'),
      AZURE_OPENAI_ENDPOINT: ref(router.openAiAccount!, 'endpoint'),
      AI_STACK_KEY_HASHES: `azure-kv:https://${router.names.keyVault}.vault.azure.net/secrets/router-key-hashes`,
    });
  });

  test('routerClouds splits each budget', () => {
    const { json: split } = build({ routerClouds: 2 });
    expect(JSON.parse(appSettings(split).AI_STACK_ROUTER_CONFIG).tenants.map((t: { monthlyBudgetUsd: number }) => t.monthlyBudgetUsd)).toEqual([50, 15]);
  });

  test('no secret value in the app settings: only names, ids and secret references', () => {
    const settings = appSettings(json);
    const refs = Object.values(settings).flatMap((v) => expressionsIn(v).flatMap(referencesIn));
    // Everything referenced is an endpoint, a client id or (in the config) the region; no key, password or secret value.
    expect([...new Set(refs)].sort()).toEqual([ref(router.openAiAccount!, 'endpoint'), '${azurerm_resource_group.rg.location}', ref(router.identity as UserAssignedIdentity, 'client_id')].map((r) => r.slice(2, -1).split('.').slice(0, 2).join('.')).sort());
    for (const v of Object.values(settings)) expect(v).not.toMatch(/random_password|key_vault_secret|access_key|connection_string|AccountKey=|\.value\b/);
    expect(settings.AzureWebJobsStorage).toBe('');
    expect(settings).toMatchObject({ AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__accountName: router.names.storageAccount });
    expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${ref(router.identity as UserAssignedIdentity, 'client_id')};Authorization=AAD`);
  });

  test('the router is reached at the function host, under /api/v1', () => {
    expect(router.url).toMatch(/^https:\/\/\$\{TfToken\[.*\]\}\/api\/v1$/);
  });
});

describe('ModelRouter (Azure): identity and roles', () => {
  const { router, json } = build();
  const principal = ref(router.identity as UserAssignedIdentity, 'principal_id');

  test('the identity holds exactly these roles, each on one resource', () => {
    const roles = Object.values(resourcesOf(json, 'azurerm_role_assignment'))
      .filter((r) => r.principal_id === principal)
      .map((r) => [r.role_definition_name, r.scope])
      .sort();
    expect(roles).toEqual(
      [
        ['Cognitive Services OpenAI User', ref(router.openAiAccount!)],
        ['Key Vault Secrets User', ref(router.keyHashesSecret, 'resource_versionless_id')],
        ['Monitoring Metrics Publisher', ref(router.appInsights)],
        ['Storage Blob Data Owner', ref(router.storageAccount)],
        ['Storage Table Data Contributor', ref(router.ledgerTable)],
        ['Storage Table Data Contributor', ref(router.rateTable)],
      ].sort(),
    );
    expect(Object.values(resourcesOf(json, 'azurerm_role_assignment')).every((r) => r.principal_id === principal && r.principal_type === 'ServicePrincipal')).toBe(true);
  });

  test('the app runs as the identity, also for its deployment storage, and starts after its roles', () => {
    const app = functionApp(json);
    expect(app.identity).toEqual({ type: 'UserAssigned', identity_ids: [ref(router.identity as UserAssignedIdentity)] });
    expect(app).toMatchObject({ storage_authentication_type: 'UserAssignedIdentity', storage_user_assigned_identity_id: ref(router.identity as UserAssignedIdentity) });
    for (const r of router.roleAssignments) expect(app.depends_on).toContain(`azurerm_role_assignment.${r.friendlyUniqueId}`);
  });

  test('a bring-your-own identity is used and none is created', () => {
    let mine!: UserAssignedIdentity;
    const { json: byo, router: r } = build({}, (stack) => {
      mine = new UserAssignedIdentity(stack, 'Mine', { name: 'id-mine', resourceGroupName: 'rg-test', location: 'eastus2' });
      return { identity: mine };
    });
    expect(Object.keys(resourcesOf(byo, 'azurerm_user_assigned_identity'))).toEqual([mine.friendlyUniqueId]);
    expect(r.identity).toBe(mine);
    expect(functionApp(byo).identity.identity_ids).toEqual([ref(mine)]);
    expect(appSettings(byo).AZURE_CLIENT_ID).toBe(ref(mine, 'client_id'));
    const principals = new Set(Object.values(resourcesOf(byo, 'azurerm_role_assignment')).map((a) => a.principal_id));
    expect([...principals]).toEqual([ref(mine, 'principal_id')]);
  });
});

describe('ModelRouter (Azure): ledger storage and Key Vault', () => {
  const { router, json } = build();

  test('the storage account takes Entra ID only, TLS 1.2, no public blobs, infrastructure encryption, the router subnet and the deployers only', () => {
    const account = onlyResource(json, 'azurerm_storage_account');
    expect(account).toMatchObject({
      account_kind: 'StorageV2',
      account_replication_type: 'ZRS',
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      allow_nested_items_to_be_public: false,
      infrastructure_encryption_enabled: true,
      table_encryption_key_type: 'Account',
      allowed_copy_scope: 'AAD',
      network_rules: { default_action: 'Deny', bypass: ['AzureServices'], virtual_network_subnet_ids: [ref(router.network!.routerSubnet!)], ip_rules: ['203.0.113.0/24'] },
    });
  });

  test('the two tables are created through ARM (the storage account has no shared key) in that account', () => {
    const tables = Object.values(resourcesOf(json, 'azapi_resource'));
    expect(tables.map((t) => [t.type, t.name, t.parent_id]).sort()).toEqual(
      [
        ['Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01', LEDGER_TABLE, `${ref(router.storageAccount)}/tableServices/default`],
        ['Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01', RATE_TABLE, `${ref(router.storageAccount)}/tableServices/default`],
      ].sort(),
    );
    expect(resourcesOf(json, 'azurerm_storage_table')).toEqual({});
    expect((json.terraform as { required_providers: Record<string, unknown> }).required_providers.azapi).toEqual({ source: 'azure/azapi', version: '~> 2.0' });
  });

  test('Key Vault: RBAC authorization, purge protection, soft delete, deny by default', () => {
    const vault = onlyResource(json, 'azurerm_key_vault');
    expect(vault).toMatchObject({
      name: router.names.keyVault,
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      network_acls: { default_action: 'Deny', bypass: 'AzureServices', ip_rules: ['203.0.113.0/24'], virtual_network_subnet_ids: [ref(router.network!.routerSubnet!)] },
    });
    expect(vault.access_policy).toBeUndefined();
  });

  test('the key-hash secret starts as {} and Terraform never reverts the operator\u2019s edits', () => {
    const secret = onlyResource(json, 'azurerm_key_vault_secret');
    expect(secret).toMatchObject({ name: 'router-key-hashes', value: '{}', content_type: 'application/json', lifecycle: { ignore_changes: ['value'] } });
    expect(router.keyHashesSecretId).toBe(`https://${router.names.keyVault}.vault.azure.net/secrets/router-key-hashes`);
  });

  test('without deployerCidrs the firewalls admit the router subnet only, and a warning says how to deploy', () => {
    const { router: r, json: closed } = build({ deployerCidrs: undefined });
    expect((onlyResource(closed, 'azurerm_key_vault').network_acls as { ip_rules: unknown }).ip_rules).toEqual([]);
    expect((onlyResource(closed, 'azurerm_storage_account').network_rules as { ip_rules: unknown }).ip_rules).toEqual([]);
    expect(warningsOf(r)).toContainEqual(expect.stringMatching(/^\[ai-stack:azure-router-deployer-network\] /));
    expect(warningsOf(build().router)).not.toContainEqual(expect.stringMatching(/azure-router-deployer-network/));
  });

  test('a /32 deployer address is written as a plain address for the storage firewall', () => {
    const { json: one } = build({ deployerCidrs: ['203.0.113.7/32'] });
    expect((onlyResource(one, 'azurerm_storage_account').network_rules as { ip_rules: unknown }).ip_rules).toEqual(['203.0.113.7']);
    expect((onlyResource(one, 'azurerm_key_vault').network_acls as { ip_rules: unknown }).ip_rules).toEqual(['203.0.113.7/32']);
  });
});

describe('ModelRouter (Azure): the code package', () => {
  const { router, json } = build();

  test('the zip is uploaded as released-package.zip into a private container named by its hash, the deployment container of the app', () => {
    const container = onlyResource(json, 'azurerm_storage_container');
    const blob = onlyResource(json, 'azurerm_storage_blob');
    expect(container).toMatchObject({ name: router.package.containerName, container_access_type: 'private', lifecycle: { create_before_destroy: true } });
    expect(router.package.containerName).toMatch(/^pkg-[0-9a-f]{24}$/);
    expect(blob).toMatchObject({ name: 'released-package.zip', type: 'Block', storage_container_name: ref(router.packageContainer, 'name'), metadata: { sha256: router.package.sha256 } });
    expect(blob.source).toMatch(new RegExp(`^assets/.+/${router.package.sha256}/azure\\.zip$`));
    expect(functionApp(json)).toMatchObject({ storage_container_type: 'blobContainer', storage_container_endpoint: `${ref(router.storageAccount, 'primary_blob_endpoint')}${ref(router.packageContainer, 'name')}` });
    expect(functionApp(json).depends_on).toContain(`azurerm_storage_blob.${router.packageBlob.friendlyUniqueId}`);
  });

  test('a new zip is a new container, blob source and deployment endpoint; the same zip gives the same', () => {
    const other = build({ packagePath: packageFile('PK package two') });
    const same = build({ packagePath: packageFile('PK package one') });
    const names = (b: Built) => ({
      container: onlyResource(b.json, 'azurerm_storage_container').name,
      source: onlyResource(b.json, 'azurerm_storage_blob').source,
      sha: (onlyResource(b.json, 'azurerm_storage_blob').metadata as { sha256: string }).sha256,
    });
    const one = names({ router, json } as Built);
    const two = names(other);
    expect(two.container).not.toBe(one.container);
    expect(two.source).not.toBe(one.source);
    expect(two.sha).not.toBe(one.sha);
    expect(names(same)).toEqual(one);
  });

  test('the HTTP trigger is synced after each package change', () => {
    const sync = onlyResource(json, 'azapi_resource_action');
    expect(sync).toMatchObject({ type: 'Microsoft.Web/sites@2023-12-01', action: 'syncfunctiontriggers', method: 'POST', resource_id: ref(router.functionApp) });
    expect((sync.lifecycle as { replace_triggered_by: string[] }).replace_triggered_by).toEqual([`\${azurerm_storage_blob.${router.packageBlob.friendlyUniqueId}}`]);
  });

  test('a missing package is refused with how to build it', () => {
    const { stack } = makeStack();
    expect(() => new ModelRouter(stack, 'Router', { ...ROUTER, packagePath: '/nonexistent/azure.zip', resourceGroupName: 'rg', location: 'eastus2' })).toThrow(/the Azure router package is missing \(\/nonexistent\/azure\.zip\): .*npm run build:router/);
  });
});

describe('ModelRouter (Azure): Azure OpenAI', () => {
  const { router, json } = build();

  test('an account with a custom subdomain and local (key) auth disabled, admitting the router subnet only', () => {
    const account = onlyResource(json, 'azurerm_cognitive_account');
    expect(account).toMatchObject({
      kind: 'OpenAI',
      sku_name: 'S0',
      custom_subdomain_name: router.names.openAi,
      local_auth_enabled: false,
      network_acls: { default_action: 'Deny', virtual_network_rules: [{ subnet_id: ref(router.network!.routerSubnet!) }] },
    });
  });

  test('one deployment per model of the azure-openai targets, named as the config calls it, at the catalog version', () => {
    const deployments = Object.values(resourcesOf(json, 'azurerm_cognitive_deployment'));
    const config = JSON.parse(appSettings(json).AI_STACK_ROUTER_CONFIG) as { targets: { provider: string; providerModelId: string }[] };
    const called = [...new Set(config.targets.filter((t) => t.provider === 'azure-openai').map((t) => t.providerModelId))].sort();
    expect(deployments.map((d) => d.name).sort()).toEqual(called);
    expect(called).toEqual(['gpt-4o', 'gpt-4o-mini']);
    for (const d of deployments) {
      const spec = findModel(d.name === 'gpt-4o' ? 'gpt-4o' : 'gpt-4o-mini')!;
      expect(d).toMatchObject({
        cognitive_account_id: ref(router.openAiAccount!),
        model: { format: 'OpenAI', name: spec.providerModelId, version: spec.version },
        // The tenants' 50K + 20K tokens per minute.
        sku: { name: 'GlobalStandard', capacity: 70 },
        version_upgrade_option: 'OnceCurrentVersionExpired',
      });
    }
    // One at a time: Azure refuses concurrent deployments on an account.
    const byName = Object.fromEntries(deployments.map((d) => [d.name, d]));
    expect(byName['gpt-4o'].depends_on).toEqual([`azurerm_cognitive_deployment.${router.openAiDeployments['gpt-4o-mini'].friendlyUniqueId}`]);
    expect(byName['gpt-4o-mini'].depends_on).toBeUndefined();
  });

  test('a bring-your-own account gets the deployments and the role, and none is created', () => {
    const account = { id: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai-mine', endpoint: 'https://oai-mine.openai.azure.com/' };
    const { json: byo } = build({ openAiAccount: account, openAiCapacity: 5 });
    expect(resourcesOf(byo, 'azurerm_cognitive_account')).toEqual({});
    expect(Object.values(resourcesOf(byo, 'azurerm_cognitive_deployment')).map((d) => [d.cognitive_account_id, (d.sku as { capacity: number }).capacity])).toEqual([
      [account.id, 5],
      [account.id, 5],
    ]);
    expect(Object.values(resourcesOf(byo, 'azurerm_role_assignment')).filter((r) => r.role_definition_name === 'Cognitive Services OpenAI User').map((r) => r.scope)).toEqual([account.id]);
    expect(appSettings(byo).AZURE_OPENAI_ENDPOINT).toBe(account.endpoint);
  });

  test('without azure-openai targets there is no account, deployment, role or endpoint setting', () => {
    const { json: none } = build({ models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }], routes: [{ name: 'claude', targets: [{ model: 'haiku' }] }] });
    expect(resourcesOf(none, 'azurerm_cognitive_account')).toEqual({});
    expect(resourcesOf(none, 'azurerm_cognitive_deployment')).toEqual({});
    expect(appSettings(none).AZURE_OPENAI_ENDPOINT).toBeUndefined();
  });
});

describe('ModelRouter (Azure): observability', () => {
  const { router, json } = build({ actionGroupId: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Insights/actionGroups/oncall' });

  test('workspace-based Application Insights with Entra-only ingestion, the workspace keeping logs logRetentionDays', () => {
    expect(onlyResource(json, 'azurerm_log_analytics_workspace')).toMatchObject({ sku: 'PerGB2018', retention_in_days: 90 });
    expect(onlyResource(json, 'azurerm_application_insights')).toMatchObject({ workspace_id: ref(router.logAnalyticsWorkspace), local_authentication_disabled: true });
    expect(functionApp(json).site_config.application_insights_connection_string).toBe(ref(router.appInsights, 'connection_string'));
  });

  test('a dashboard with requests, errors by class, p50/p95/p99, fallbacks and retries, cost and budget used per tenant', () => {
    const dashboard = onlyResource(json, 'azurerm_portal_dashboard');
    const props = JSON.parse(dashboard.dashboard_properties as string);
    const parts = Object.values(props.lenses['0'].parts) as { metadata: { type: string; inputs: { name: string; value: unknown }[] } }[];
    const input = (p: (typeof parts)[0], name: string) => p.metadata.inputs.find((i) => i.name === name)?.value as string;
    expect(parts.map((p) => input(p, 'PartTitle'))).toEqual(['Requests', 'Errors by class', 'Latency', 'Fallbacks and retries', 'Cost per tenant', 'Budget used per tenant', 'Guard']);
    for (const p of parts) expect(input(p, 'ComponentId')).toBe(ref(router.appInsights));
    expect(input(parts[1], 'Query')).toContain('summarize requests = count() by bin(timestamp, 5m), outcome');
    expect(input(parts[2], 'Query')).toContain('p50 = percentile(latencyMs, 50), p95 = percentile(latencyMs, 95), p99 = percentile(latencyMs, 99)');
    expect(input(parts[3], 'Query')).toContain('fallbacks = toint(r.fallbacks), retries = toint(r.retries)');
    expect(input(parts[3], 'Query')).toContain('summarize fellBack = countif(fallbacks > 0), retried = countif(retries > 0) by bin(timestamp, 5m)');
    expect(input(parts[5], 'Query')).toContain('budgetUsedPercent = todouble(r.budgetUsedPercent)');
    expect(input(parts[5], 'Query')).toContain('summarize budgetUsedPercent = max(budgetUsedPercent) by bin(timestamp, 1h), tenant');
    expect(input(parts[6], 'Query')).toContain('guardAction = tostring(r.guard.action), guardFailedOpen = tobool(r.guard.failedOpen)');
    expect(input(parts[6], 'Query')).toContain("summarize blocked = countif(guardAction == 'block'), masked = countif(guardAction == 'mask'), unchecked = countif(guardFailedOpen == true) by bin(timestamp, 5m), tenant");
    expect(input(parts[4], 'Query')).toContain('summarize costUsd = sum(costUsd) by bin(timestamp, 1h), tenant');
  });

  test('two log alerts over evaluationMinutes with the design thresholds, notifying the action group', () => {
    const alerts = Object.values(resourcesOf(json, 'azurerm_monitor_scheduled_query_rules_alert_v2')) as Record<string, any>[];
    expect(alerts.map((a) => [a.name, a.criteria[0].metric_measure_column, a.criteria[0].operator, a.criteria[0].threshold]).sort()).toEqual([
      ['alert-test-router-errors', 'errorRatePercent', 'GreaterThan', 2],
      ['alert-test-router-p99', 'p99LatencyMs', 'GreaterThan', 3000],
    ]);
    for (const a of alerts) {
      expect(a).toMatchObject({ window_duration: 'PT10M', evaluation_frequency: 'PT5M', scopes: [ref(router.appInsights)], action: { action_groups: ['/subscriptions/0/resourceGroups/rg/providers/Microsoft.Insights/actionGroups/oncall'] } });
    }
    const errors = alerts.find((a) => a.name.endsWith('errors'))!;
    expect(errors.criteria[0].query).toContain('countif(status >= 500)');
    const p99 = alerts.find((a) => a.name.endsWith('p99'))!;
    expect(p99.criteria[0].query).toContain('| where stream == false\n| summarize p99LatencyMs = percentile(latencyMs, 99)');
  });

  test('defaults: 5 % errors, p99 2000 ms over 5 minutes; no action group', () => {
    const { json: defaults } = build({ alarms: undefined, actionGroupId: undefined });
    const alerts = Object.values(resourcesOf(defaults, 'azurerm_monitor_scheduled_query_rules_alert_v2')) as Record<string, any>[];
    expect(alerts.map((a) => [a.criteria[0].threshold, a.window_duration, a.evaluation_frequency, a.action]).sort()).toEqual([
      [2000, 'PT5M', 'PT5M', undefined],
      [5, 'PT5M', 'PT5M', undefined],
    ]);
  });
});

describe('ModelRouter (Azure): standing alone', () => {
  const { stack, router, json } = build();

  test('in a plain TerraformStack it builds its own network, with a warning, and every reference resolves', () => {
    expect(router.network).toBeDefined();
    const subnet = Object.values(resourcesOf(json, 'azurerm_subnet')).find((s) => (s.name as string).endsWith('-router'))!;
    expect(subnet.delegation).toEqual([{ name: 'flex-consumption', service_delegation: { name: 'Microsoft.App/environments', actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] } }]);
    expect(subnet.service_endpoints).toEqual(['Microsoft.CognitiveServices', 'Microsoft.KeyVault', 'Microsoft.Storage']);
    expect(functionApp(json).virtual_network_subnet_id).toBe(ref(router.network!.routerSubnet!));
    expect(warningsOf(stack)).toContainEqual(expect.stringMatching(/^\[ai-stack:azure-router-own-network\] /));
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('a target of another cloud is left out with a warning; a router left with no route warns too', () => {
    expect(warningsOf(router)).toContainEqual(expect.stringMatching(/^\[ai-stack:router-targets-elsewhere\] .*: haiku; and the routes left with no target here: claude\./));
    expect(warningsOf(router)).not.toContainEqual(expect.stringMatching(/router-no-routes/));
    const { router: empty } = build({ models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }], routes: [{ name: 'claude', targets: [{ model: 'haiku' }] }] });
    expect(warningsOf(empty)).toContainEqual(expect.stringMatching(/^\[ai-stack:router-no-routes\] /));
  });

  test('the default name prefix is the stack id; names keep each service\u2019s rules', () => {
    expect(router.names).toMatchObject({ functionApp: 'func-test-router', keyVault: 'kv-test-rtr', openAi: 'oai-test-router' });
    expect(router.names.storageAccount).toMatch(/^sttestrtr[0-9a-f]{6}$/);
    const long = build({ namePrefix: 'a--very-long-prefix-' }).router.names;
    expect(long.keyVault).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
    expect(long.keyVault).not.toContain('--');
    expect(long.storageAccount).toMatch(/^[a-z0-9]{3,24}$/);
    expect(long.openAi).not.toMatch(/--|-$/);
    expect(build({ namePrefix: 'a-very-long-prefix' }).router.names.keyVault).not.toBe(long.keyVault);
  });
});

describe('ModelRouter (Azure): props refused with their path', () => {
  const refused = (overrides: Record<string, unknown>) => {
    const { stack } = makeStack();
    return designErrorOf(() => new ModelRouter(stack, 'Router', { ...ROUTER, packagePath: PACKAGE, resourceGroupName: 'rg', location: 'eastus2', ...overrides } as ModelRouterProps)).problems;
  };

  test('a misspelled prop, with a "did you mean"', () => {
    expect(refused({ subnetID: '/x' })).toEqual([{ path: 'props.subnetID', message: expect.stringMatching(/^unknown key \(did you mean 'subnetId'\?\)/) }]);
  });

  test('Azure rules and neutral rules under props', () => {
    const problems = refused({ deployment: { memoryMiB: 1024, maxConcurrentRequests: 10 }, routes: [{ name: 'chat', targets: [{ model: 'nope' }] }] });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'props.deployment.memoryMiB', message: expect.stringMatching(/^must be one of 512, 2048, 4096 MiB on Azure.*\(got 1024\); 512 is the nearest/) },
        { path: 'props.deployment.maxConcurrentRequests', message: expect.stringMatching(/^must be at least 40 on Azure \(got 10\)/) },
        { path: 'props.routes[0].targets[0].model', message: expect.stringMatching(/^names no model target/) },
      ]),
    );
  });

  test('construct-only props', () => {
    const problems = refused({
      deployerCidrs: ['10.0.0.0/8', '203.0.113.0/31', 'nope'],
      subnetId: 'subnet-1',
      routerClouds: 0,
      endpoints: { llm: { url: 'llm:8000', model: 'm' } },
      modelPrices: { 'gpt-4o-mimi': { inputPer1kUsd: -1 } },
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'props.deployerCidrs[0]',
        'props.deployerCidrs[1]',
        'props.deployerCidrs[2]',
        'props.endpoints.llm.url',
        'props.modelPrices.gpt-4o-mimi',
        'props.modelPrices.gpt-4o-mimi.inputPer1kUsd',
        'props.routerClouds',
        'props.subnetId',
      ].sort(),
    );
    expect(problems.find((p) => p.path === 'props.deployerCidrs[0]')!.message).toMatch(/must be a public address range/);
    expect(problems.find((p) => p.path === 'props.modelPrices.gpt-4o-mimi')!.message).toMatch(/did you mean 'gpt-4o-mini'/);
  });

  test('a token in the router config is refused: the config and the scale plan are computed at synth', () => {
    const problems = refused({ deployment: { maxConcurrentRequests: Lazy.numberValue({ produce: () => 100 }) } });
    expect(problems).toEqual([{ path: 'props.deployment.maxConcurrentRequests', message: expect.stringMatching(/^must be a literal, not an unresolved token/) }]);
  });
});

describe('design validation (ai-stack check) runs the Azure router rules', () => {
  const design = (router: Partial<RouterDesign>): AiStackDesign => ({ ...DESIGN, router: { ...DESIGN.router!, ...router } });
  const problemsOf = (d: AiStackDesign, clouds: ('aws' | 'gcp' | 'azure')[]) => collectProblems(d, { clouds }).all;

  test('memory outside 512, 2048, 4096 MiB is refused for Azure only', () => {
    const d = design({ deployment: { memoryMiB: 1024 } });
    expect(problemsOf(d, ['azure'])).toEqual([{ path: 'router.deployment.memoryMiB', message: expect.stringMatching(/^must be one of 512, 2048, 4096 MiB on Azure/) }]);
    expect(problemsOf({ ...d, region: { ...d.region, gcp: 'us-central1' } }, ['gcp']).filter((p) => /on Azure/.test(p.message))).toEqual([]);
    expect(problemsOf(design({ deployment: { memoryMiB: 512 } }), ['azure'])).toEqual([]);
  });

  test('the other Azure limits: concurrency floor, alert windows, retention, the 230 s response limit', () => {
    const d = design({
      deployment: { maxConcurrentRequests: 39, logRetentionDays: 14, timeoutSeconds: 300 },
      alarms: { evaluationMinutes: 7 },
      routes: [{ name: 'chat', targets: [{ model: 'llm' }], deadlineMs: 240000, timeoutMs: 30000 }],
    });
    expect(problemsOf(d, ['azure']).map((p) => p.path).sort()).toEqual(
      ['router.alarms.evaluationMinutes', 'router.deployment.logRetentionDays', 'router.deployment.maxConcurrentRequests', 'router.routes[0].deadlineMs'].sort(),
    );
    expect(problemsOf(d, ['azure']).find((p) => p.path === 'router.alarms.evaluationMinutes')!.message).toMatch(/one of 1, 5, 10, 15, 30, 45, 60 minutes on Azure.*\(got 7\); 5 is the nearest/);
  });

  test('a token in the router is refused on Azure, with the reason', () => {
    const token = '${TfToken[TOKEN.1]}';
    const problems = problemsOf(design({ tenants: [{ id: 'team-a', monthlyBudgetUsd: 90, routes: [token] }] }), ['azure']);
    expect(problems).toContainEqual({ path: 'router.tenants[0].routes[0]', message: expect.stringMatching(/must be a literal, not an unresolved token: the deployed router's config, size and alarms are fixed at synth/) });
  });
});

describe('azure.AiStack builds the router', () => {
  const { stack, json } = buildStack();
  const router = stack.router!;

  test('in the endpoints\u2019 VNet: a delegated router subnet, and the endpoints\u2019 security group admits it on the server port', () => {
    const network = stack.network!;
    expect(router.network).toBeUndefined();
    const subnets = Object.values(resourcesOf(json, 'azurerm_subnet'));
    const routerSubnet = subnets.find((s) => s.name === 'snet-acme-ai-router')!;
    expect(routerSubnet).toMatchObject({ address_prefixes: ['10.40.16.0/24'], virtual_network_name: ref(network.virtualNetwork, 'name') });
    expect(routerSubnet.delegation).toEqual([{ name: 'flex-consumption', service_delegation: { name: 'Microsoft.App/environments', actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] } }]);
    expect(functionApp(json).virtual_network_subnet_id).toBe(ref(network.routerSubnet!));
    const rule = Object.values(resourcesOf(json, 'azurerm_network_security_rule')).find((r) => r.name === 'allow-server-from-clients')!;
    expect(rule).toMatchObject({ access: 'Allow', direction: 'Inbound', destination_port_range: '8000', source_address_prefixes: ['10.40.0.0/20', '10.40.16.0/24'] });
    // The router subnet egresses through the NAT gateway; the endpoints' subnet reaches the vault by service endpoint.
    expect(Object.values(resourcesOf(json, 'azurerm_subnet_nat_gateway_association')).map((a) => a.subnet_id).sort()).toEqual([ref(network.routerSubnet!), ref(network.subnet)].sort());
    expect(subnets.find((s) => s.name === 'snet-acme-ai')!.service_endpoints).toEqual(['Microsoft.KeyVault']);
    expect((onlyResource(json, 'azurerm_key_vault').network_acls as { virtual_network_subnet_ids: string[] }).virtual_network_subnet_ids).toEqual([ref(network.routerSubnet!), ref(network.subnet)]);
  });

  test('the endpoint gets VLLM_API_KEY from the router\u2019s Key Vault; the router holds the same secret', () => {
    const key = router.endpointKeys.llm;
    const secret = resourcesOf(json, 'azurerm_key_vault_secret')[key.secret.friendlyUniqueId];
    expect(secret).toMatchObject({ name: 'endpoint-key-llm', value: ref(key.password, 'result'), key_vault_id: ref(router.keyVault) });
    expect(onlyResource(json, 'random_password')).toMatchObject({ length: 48, special: false });
    const url = 'https://kv-acme-ai-rtr.vault.azure.net/secrets/endpoint-key-llm';
    expect(appSettings(json)).toMatchObject({ AI_STACK_ENDPOINT_KEY_LLM: `azure-kv:${url}`, AI_STACK_ENDPOINT_URL_LLM: `http://${ref(stack.endpoints.llm.loadBalancer, 'private_ip_address')}:8000` });
    const endpoint = stack.endpoints.llm;
    const reader = resourcesOf(json, 'azurerm_role_assignment')[endpoint.secretReaders.VLLM_API_KEY.friendlyUniqueId];
    expect(reader).toMatchObject({ role_definition_name: 'Key Vault Secrets User', scope: `${ref(key.secret, 'key_vault_id')}/secrets/endpoint-key-llm`, principal_id: ref(endpoint.identity, 'principal_id') });
    const burst = Object.values(resourcesOf(json, 'azurerm_orchestrated_virtual_machine_scale_set')).find((s) => String(s.name).endsWith('-spot') || String(s.name).endsWith('-burst'))!;
    expect(decodeCustomData(burst)).toContain(`read_secret 'VLLM_API_KEY' '${url}'`);
    // The router reads it too, and only it besides the replicas.
    expect(Object.values(resourcesOf(json, 'azurerm_role_assignment')).filter((r) => String(r.scope).includes('endpoint-key-llm') || r.scope === ref(key.secret, 'resource_versionless_id')).map((r) => r.principal_id).sort()).toEqual(
      [ref(endpoint.identity, 'principal_id'), ref(router.identity as UserAssignedIdentity, 'principal_id')].sort(),
    );
  });

  test('no secret value in the app settings here either: endpoint URLs and keys by reference', () => {
    const refs = Object.values(appSettings(json)).flatMap((v) => expressionsIn(v).flatMap(referencesIn));
    expect([...new Set(refs.map((r) => r.split('.')[0]))].sort()).toEqual(['azurerm_cognitive_account', 'azurerm_lb', 'azurerm_user_assigned_identity']);
    expect(refs.filter((r) => r.startsWith('azurerm_lb.'))).toEqual([`azurerm_lb.${stack.endpoints.llm.loadBalancer.friendlyUniqueId}`]);
  });

  test('the dashboard charts the endpoint\u2019s GPU utilization', () => {
    const props = JSON.parse(onlyResource(json, 'azurerm_portal_dashboard').dashboard_properties as string);
    const gpu = Object.values(props.lenses['0'].parts as Record<string, any>).find((p) => p.metadata.type === 'Extension/HubsExtension/PartType/MonitorChartPart')!;
    expect(gpu.metadata.settings.content.options.chart.metrics).toEqual([
      { resourceMetadata: { id: ref(stack.endpoints.llm.loadBalancer) }, name: 'GpuUtilization', aggregationType: 4, namespace: 'aistack/gpu', metricVisualization: { displayName: 'GPU utilization, llm' } },
    ]);
  });

  test('outputs the router URL and the key-hash secret id; the deployers are a variable', () => {
    expect(json.output!['router-url']).toMatchObject({ value: `https://${ref(router.functionApp, 'default_hostname')}/api/v1` });
    expect(json.output!['router-key-hashes-secret-id']).toMatchObject({ value: 'https://kv-acme-ai-rtr.vault.azure.net/secrets/router-key-hashes' });
    expect(json.variable!.router_deployer_cidrs).toMatchObject({ type: 'list(string)' });
    expect((onlyResource(json, 'azurerm_key_vault').network_acls as { ip_rules: unknown }).ip_rules).toBe('${var.router_deployer_cidrs}');
  });

  test('the provider writes blobs with Entra ID and registers the router\u2019s resource providers', () => {
    const provider = (json.provider as { azurerm: Record<string, unknown>[] }).azurerm[0];
    expect(provider).toMatchObject({ storage_use_azuread: true, resource_provider_registrations: 'core' });
    expect(provider.resource_providers_to_register).toEqual(expect.arrayContaining(['Microsoft.App', 'Microsoft.Web', 'Microsoft.KeyVault', 'Microsoft.CognitiveServices']));
  });

  test('targets of other clouds warn; every reference resolves; the endpoint without a router keeps its old network', () => {
    expect(warningsOf(stack)).toContainEqual(expect.stringMatching(/^\[ai-stack:router-targets-elsewhere\] .*: haiku\./));
    expect(unresolvedReferences(json)).toEqual([]);
    const { json: plain } = buildStack({ ...DESIGN, router: undefined });
    expect(resourcesOf(plain, 'azurerm_function_app_flex_consumption')).toEqual({});
    expect(Object.values(resourcesOf(plain, 'azurerm_subnet')).map((s) => [s.name, s.service_endpoints])).toEqual([['snet-acme-ai', undefined]]);
    expect((Object.values(resourcesOf(plain, 'azurerm_network_security_rule')).find((r) => r.name === 'allow-server-from-clients')!).source_address_prefixes).toEqual(['10.40.0.0/20']);
    expect(resourcesOf(plain, 'azurerm_role_assignment')).not.toEqual({});
    expect(Object.values(resourcesOf(plain, 'azurerm_role_assignment')).filter((r) => r.role_definition_name === 'Key Vault Secrets User')).toEqual([]);
  });

  test('deterministic: two synths in different directories write the same Terraform JSON', () => {
    const synthIn = () => {
      const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-router-synth-'));
      const app = new App({ outdir });
      new AiStack(app, DESIGN.name, { design: DESIGN, routerPackagePath: PACKAGE });
      app.synth();
      return readFileSync(join(outdir, 'stacks', DESIGN.name, 'cdk.tf.json'), 'utf8');
    };
    const [a, b] = [synthIn(), synthIn()];
    expect(a).toBe(b);
    expect(a).toContain('released-package.zip');
    expect(a).not.toContain(tmpdir());
  });
});

describe('docs/azure/model-router.md', () => {
  test('the example synthesizes, with every reference resolved', () => {
    const doc = readFileSync(join(__dirname, '../../docs/azure/model-router.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    expect(source).toContain('app.synth();');
    expect(source).toContain('new App()');
    expect(source).toContain("new ModelRouter(this, 'Router', {");
    // The shipped package may not be built in a checkout: the example runs against the test package.
    const patched = source
      .replace('new App()', 'new App({ outdir: OUTDIR })')
      .replace('app.synth();', 'exports.app = app;')
      .replace("new ModelRouter(this, 'Router', {", "new ModelRouter(this, 'Router', { packagePath: PACKAGE_PATH,");
    const code = transformSync(patched, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    }).code;
    const modules: Record<string, unknown> = {
      'ai-stack-constructs': require('../../lib/design'),
      'ai-stack-constructs/azure': { ...require('../../lib/azure/model-router'), ...require('../../lib/azure/network') },
    };
    const exported: { app?: App } = {};
    const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-docs-'));
    new Function('require', 'exports', 'OUTDIR', 'PACKAGE_PATH', code)((m: string) => modules[m] ?? require(m), exported, outdir, PACKAGE);
    const stack = exported.app!.node.children.find((c): c is TerraformStack => c instanceof TerraformStack)!;
    const json = synthJson(stack);
    expect(functionApp(json)).toMatchObject({ runtime_name: 'node', runtime_version: '22' });
    expect(Object.values(resourcesOf(json, 'azurerm_cognitive_deployment')).map((d) => d.name)).toEqual(['gpt-4o-mini']);
    expect(unresolvedReferences(json)).toEqual([]);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, TerraformStack, Testing, type TerraformResource } from 'cdktf';
import { Budget, budgetRouterOf, BUDGET_START_DATE, READER_ACTIONS, SCALER_ACTIONS, type BudgetProps } from '../../lib/azure/budget';
import { WATCH_QUERY, tenantBudgetQuery, NOTICE_QUERY } from '../../lib/azure/budget/queries';
import { GpuEndpoint } from '../../lib/azure/gpu-endpoint';
import { ModelRouter } from '../../lib/azure/model-router';
import type { RouterDesign } from '../../lib/design';
import { designErrorOf } from '../support/design-error';
import { makeStack, resourcesOf, synthJson, unresolvedReferences, type TfJson } from './helpers';

/** Zip stand-ins: the constructs hash and upload the files, they never open them. */
function packageFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ai-stack-budget-pkg-')), 'azure.zip');
  writeFileSync(path, content);
  return path;
}
const PACKAGE = packageFile('PK budget package');
const ROUTER_PACKAGE = packageFile('PK router package');

const TAGS = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' };
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg';
const ROUTER = {
  tablesEndpoint: 'https://strtr.table.core.windows.net',
  ledgerTable: 'aistackledger',
  ledgerTableId: `${SUB}/providers/Microsoft.Storage/storageAccounts/strtr/tableServices/default/tables/aistackledger`,
  rateTable: 'aistackrate',
  tenants: ['team-a'],
  appInsightsId: `${SUB}/providers/Microsoft.Insights/components/appi-router`,
  subnetId: `${SUB}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/router`,
};

type Json = Record<string, any>;
const ref = (r: TerraformResource, attribute = 'id') => `\${${r.terraformResourceType}.${r.friendlyUniqueId}.${attribute}}`;
const all = (json: TfJson, type: string): Json[] => Object.values(resourcesOf(json, type)) as Json[];
const only = (json: TfJson, type: string): Json => {
  const found = all(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};

function build(overrides: Partial<BudgetProps> = {}): { stack: TerraformStack; budget: Budget; json: TfJson } {
  const { stack, resourceGroup } = makeStack();
  const budget = new Budget(stack, 'Budget', {
    monthlyLimitUsd: 1000,
    notifyEmails: ['ops@example.com'],
    resourceGroupName: resourceGroup.name,
    resourceGroupId: resourceGroup.id,
    location: 'eastus2',
    tags: TAGS,
    packagePath: PACKAGE,
    deployerCidrs: ['203.0.113.0/24'],
    ...overrides,
  });
  return { stack, budget, json: synthJson(stack) };
}

const warnings = (budget: Budget) => budget.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
const problemsOf = (overrides: Partial<BudgetProps>) => {
  const { stack, resourceGroup } = makeStack();
  return designErrorOf(
    () =>
      new Budget(stack, 'Budget', { monthlyLimitUsd: 1000, notifyEmails: ['ops@example.com'], resourceGroupName: resourceGroup.name, resourceGroupId: resourceGroup.id, location: 'eastus2', tags: TAGS, packagePath: PACKAGE, ...overrides } as BudgetProps),
  ).problems.map((p) => `${p.path}: ${p.message}`);
};

describe('with the router and a GPU endpoint, and a hard stop', () => {
  const { stack, resourceGroup } = makeStack();
  const routerDesign: RouterDesign = {
    models: [{ id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' }],
    routes: [{ name: 'chat', targets: [{ model: 'mini' }] }],
    tenants: [
      { id: 'team-a', monthlyBudgetUsd: 100 },
      { id: 'team-b', monthlyBudgetUsd: 30 },
    ],
  };
  const router = new ModelRouter(stack, 'Router', { ...routerDesign, packagePath: ROUTER_PACKAGE, deployerCidrs: ['203.0.113.0/24'], resourceGroupName: resourceGroup.name, location: resourceGroup.location });
  const endpoint = new GpuEndpoint(stack, 'Llm', {
    name: 'llm',
    accelerator: 'nvidia-a100-80gb',
    server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
    capacity: { min: 3, max: 10 },
    purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: 70 },
    resourceGroupName: resourceGroup.name,
    location: resourceGroup.location,
  });
  const budget = new Budget(stack, 'Budget', {
    monthlyLimitUsd: 5000,
    notifyEmails: ['ops@example.com', 'finance@example.com'],
    thresholds: [{ percent: 50 }, { percent: 80 }, { percent: 110, type: 'forecast' }],
    hardStop: { atPercent: 95 },
    resourceGroupName: resourceGroup.name,
    resourceGroupId: resourceGroup.id,
    location: resourceGroup.location,
    tags: TAGS,
    router: budgetRouterOf(router),
    endpoints: [endpoint],
    packagePath: PACKAGE,
    deployerCidrs: ['203.0.113.0/24'],
  });
  const json = synthJson(stack);
  const consumption = only(json, 'azurerm_consumption_budget_resource_group');
  const app = all(json, 'azurerm_function_app_flex_consumption').find((a) => a.name === 'func-test-budget')!;
  const principal = ref(budget.identity as unknown as TerraformResource, 'principal_id');
  const mine = all(json, 'azurerm_role_assignment').filter((r) => r.principal_id === principal);

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test("the consumption budget is on the stack's resource group, monthly, in the design's amount, filtered by every cost tag", () => {
    expect(consumption).toMatchObject({ resource_group_id: ref(resourceGroup), amount: 5000, time_grain: 'Monthly' });
    expect(consumption.filter).toEqual({
      tag: [
        { name: 'team', operator: 'In', values: ['ml-platform'] },
        { name: 'cost-center', operator: 'In', values: ['cc-1'] },
        { name: 'environment', operator: 'In', values: ['test'] },
        { name: 'application', operator: 'In', values: ['demo'] },
      ],
    });
  });

  test('it starts on the first of the month Terraform plans the create in, and keeps that date', () => {
    expect(consumption.time_period).toEqual({ start_date: '${formatdate("YYYY-MM-01\'T\'00:00:00\'Z\'", plantimestamp())}' });
    expect(consumption.lifecycle).toEqual({ ignore_changes: ['time_period'] });
    expect(Testing.synth(stack)).not.toMatch(/"start_date": "\d{4}-/);
    expect(BUDGET_START_DATE).toMatch(/^\$\{TfToken/);
  });

  test('every design threshold with its type, and the hard stop calling the stop action group', () => {
    const emails = ['ops@example.com', 'finance@example.com'];
    expect(consumption.notification).toEqual([
      { enabled: true, operator: 'GreaterThan', threshold: 50, threshold_type: 'Actual', contact_emails: emails },
      { enabled: true, operator: 'GreaterThan', threshold: 80, threshold_type: 'Actual', contact_emails: emails },
      { enabled: true, operator: 'GreaterThan', threshold: 110, threshold_type: 'Forecasted', contact_emails: emails },
      { enabled: true, operator: 'GreaterThan', threshold: 95, threshold_type: 'Actual', contact_emails: emails, contact_groups: [ref(budget.stopActionGroup!)] },
    ]);
  });

  test("the stop action group's webhook calls the function with the key read by listkeys, never a literal key", () => {
    const group = all(json, 'azurerm_monitor_action_group').find((g) => g.name === 'ag-test-budget-stop')!;
    expect(group.webhook_receiver).toEqual([
      { name: 'budget-stop', service_uri: `https://${ref(budget.functionApp!, 'default_hostname')}/api/budget?code=\${${budget.functionKey!.terraformResourceType}.${budget.functionKey!.friendlyUniqueId}.sensitive_output.default}`, use_common_alert_schema: true },
    ]);
    const key = resourcesOf(json, 'azapi_resource_action')[budget.functionKey!.friendlyUniqueId] as Json;
    expect(key).toMatchObject({
      type: 'Microsoft.Web/sites/functions@2023-12-01',
      resource_id: `${ref(budget.functionApp!)}/functions/budget`,
      action: 'listkeys',
      sensitive_response_export_values: ['default'],
      depends_on: [`azapi_resource_action.${budget.syncTriggers!.friendlyUniqueId}`],
    });
    expect(key.response_export_values).toBeUndefined();
  });

  test('the emails action group emails every address; the alerts notify it', () => {
    expect(budget.emailActionGroup).toBeDefined();
    const group = all(json, 'azurerm_monitor_action_group').find((g) => g.name === 'ag-test-budget')!;
    expect(group.email_receiver.map((r: Json) => r.email_address)).toEqual(['ops@example.com', 'finance@example.com']);
  });

  test('the anomaly alert emails the design, and a warning says it watches the whole subscription', () => {
    const anomaly = only(json, 'azurerm_cost_anomaly_alert');
    expect(anomaly.email_addresses).toEqual(['ops@example.com', 'finance@example.com']);
    expect(anomaly.subscription_id).toBeUndefined();
    expect(warnings(budget)).toEqual([expect.stringMatching(/^\[ai-stack:azure-cost-anomaly-subscription\] .*subscription scope only/)]);
  });

  test("the scaler role holds exactly the adapter's scale set and autoscale actions, assigned on this stack's scale sets and autoscale setting only", () => {
    const roles = all(json, 'azurerm_role_definition');
    const scaler = roles.find((r) => r.permissions[0].actions.includes('Microsoft.Compute/virtualMachineScaleSets/write'))!;
    expect(scaler.permissions).toEqual([{ actions: [...SCALER_ACTIONS] }]);
    expect(SCALER_ACTIONS).toEqual(['Microsoft.Compute/virtualMachineScaleSets/read', 'Microsoft.Compute/virtualMachineScaleSets/write', 'Microsoft.Insights/autoscalesettings/read', 'Microsoft.Insights/autoscalesettings/write']);
    const scalerId = ref(budget.scalerRole!, 'role_definition_resource_id');
    expect(mine.filter((r) => r.role_definition_id === scalerId).map((r) => r.scope).sort()).toEqual([ref(endpoint.reservedScaleSet), ref(endpoint.spotScaleSet), ref(endpoint.autoscaleSetting!)].sort());
  });

  test('the reader role is read-only; the ledger table, not its account, is the only store the function writes', () => {
    const reader = all(json, 'azurerm_role_definition').find((r) => r.name.startsWith('ai-stack budget stop reader'))!;
    expect(reader.permissions).toEqual([{ actions: [...READER_ACTIONS] }]);
    for (const action of READER_ACTIONS) expect(action).toMatch(/\/read$/);
    const byRole = mine.filter((r) => r.role_definition_name).map((r) => [r.role_definition_name, r.scope]);
    expect(byRole.sort()).toEqual(
      [
        ['Storage Table Data Contributor', ref(router.ledgerTable)],
        ['Storage Blob Data Owner', ref(budget.storageAccount!)],
        ['Monitoring Metrics Publisher', ref(budget.appInsights!)],
      ].sort(),
    );
    // No assignment on the resource group or the router's storage account.
    expect(mine.map((r) => r.scope)).not.toContain(ref(resourceGroup));
    expect(mine.map((r) => r.scope)).not.toContain(ref(router.storageAccount));
  });

  test("the function app joins the router's subnet and gets the fleets, tenants, limit, hard stop and the router's table store", () => {
    expect(app.virtual_network_subnet_id).toBe(ref(router.network!.routerSubnet!));
    expect(app.app_settings).toMatchObject({
      AI_STACK_BUDGET_TENANTS: '["team-a","team-b"]',
      AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '5000',
      AI_STACK_BUDGET_HARD_STOP_PERCENT: '95',
      AI_STACK_ROUTER_STORE: 'azure-tables',
      AI_STACK_TABLES_ENDPOINT: `https://${router.names.storageAccount}.table.core.windows.net`,
      AI_STACK_LEDGER_TABLE: 'aistackledger',
      AI_STACK_RATE_TABLE: 'aistackrate',
      AZURE_CLIENT_ID: ref(budget.identity as unknown as TerraformResource, 'client_id'),
    });
    expect(JSON.parse(app.app_settings.AI_STACK_BUDGET_FLEETS)).toEqual([
      { cloud: 'azure', id: ref(endpoint.reservedScaleSet) },
      { cloud: 'azure', id: ref(endpoint.spotScaleSet), autoscaler: ref(endpoint.autoscaleSetting!) },
    ]);
    expect(app.identity).toEqual({ type: 'UserAssigned', identity_ids: [ref(budget.identity as unknown as TerraformResource)] });
  });

  test('each tenant alerts at 80% and 100% on the router\'s request log', () => {
    const alerts = all(json, 'azurerm_monitor_scheduled_query_rules_alert_v2').filter((a) => /-tenant-/.test(a.name));
    const seen = alerts.map((a) => [a.scopes, a.criteria[0].query, a.criteria[0].operator, a.criteria[0].threshold, a.action.action_groups]);
    const expected = ['team-a', 'team-b'].flatMap((t) => [80, 100].map((p) => [[ref(router.appInsights)], tenantBudgetQuery(t), 'GreaterThanOrEqual', p, [ref(budget.emailActionGroup)]]));
    expect(seen).toEqual(expect.arrayContaining(expected));
    expect(seen).toHaveLength(4);
    expect(tenantBudgetQuery('team-a')).toMatch(/\| where tenant == 'team-a' and isnotnull\(budgetUsedPercent\)\n\| summarize budgetUsedPercent = max\(budgetUsedPercent\)$/);
  });

  test("the stop function's stop and resume notices are emailed: an alert on any notice line in its Application Insights", () => {
    const notice = all(json, 'azurerm_monitor_scheduled_query_rules_alert_v2').find((a) => /-stop-notice$/.test(a.name));
    expect(notice).toMatchObject({ scopes: [ref(budget.appInsights!)], window_duration: 'PT5M', action: { action_groups: [ref(budget.emailActionGroup)] } });
    expect(notice!.criteria[0]).toMatchObject({ query: NOTICE_QUERY, metric_measure_column: 'notices', operator: 'GreaterThan', threshold: 0 });
  });

  test("the stack alerts at the design's actual thresholds on the watch lines in the function's Application Insights", () => {
    const alerts = all(json, 'azurerm_monitor_scheduled_query_rules_alert_v2').filter((a) => /-budget-/.test(a.name));
    expect(alerts.map((a) => a.criteria[0].threshold).sort((x: number, y: number) => x - y)).toEqual([50, 80]);
    for (const a of alerts) {
      expect(a.scopes).toEqual([ref(budget.appInsights!)]);
      expect(a.criteria[0].query).toBe(WATCH_QUERY);
      expect(a.evaluation_frequency).toBe('PT5M');
    }
    expect(WATCH_QUERY).toContain('| where message has \'"budgetWatch":true\'');
  });

  test('the triggers are registered after each package: the HTTP function and the 5-minute timer come from the package', () => {
    const sync = resourcesOf(json, 'azapi_resource_action')[budget.syncTriggers!.friendlyUniqueId] as Json;
    expect(sync).toMatchObject({ action: 'syncfunctiontriggers', resource_id: ref(budget.functionApp!), lifecycle: { replace_triggered_by: [`\${azurerm_storage_blob.${budget.packageBlob!.friendlyUniqueId}}`] } });
  });
});

describe('without a router', () => {
  const { budget, json } = build({ hardStop: { atPercent: 100 } });

  test('the consumption budget, the emails action group and the anomaly alert only', () => {
    expect(Object.keys(json.resource ?? {}).sort()).toEqual(['azurerm_consumption_budget_resource_group', 'azurerm_cost_anomaly_alert', 'azurerm_monitor_action_group', 'azurerm_resource_group']);
    // The hard stop's notification emails; with no stop function it calls nothing.
    expect(only(json, 'azurerm_consumption_budget_resource_group').notification.find((n: Json) => n.threshold === 100 && n.threshold_type === 'Actual').contact_groups).toBeUndefined();
  });

  test('a warning says there is no stop flag, no watch and no tenant alerts', () => {
    expect(warnings(budget)).toEqual(expect.arrayContaining([expect.stringMatching(/^\[ai-stack:budget-no-router\] .*The hard stop at 100% is not built.*no stop flag/)]));
  });
});

describe('with a router and no hard stop', () => {
  const { budget, json } = build({ router: ROUTER, anomalyDetection: false });

  test('the function only watches: no stop action group, no key, no scale set roles, no fleets', () => {
    expect(budget.stopActionGroup).toBeUndefined();
    expect(Object.values(resourcesOf(json, 'azapi_resource_action')).map((a) => (a as Json).action)).toEqual(['syncfunctiontriggers']);
    expect(resourcesOf(json, 'azurerm_role_definition')).toEqual({});
    const app = only(json, 'azurerm_function_app_flex_consumption');
    expect(app.app_settings.AI_STACK_BUDGET_FLEETS).toBe('[]');
    expect(app.app_settings.AI_STACK_BUDGET_HARD_STOP_PERCENT).toBeUndefined();
    expect(app.virtual_network_subnet_id).toBe(ROUTER.subnetId);
  });

  test('without anomaly detection there is no anomaly alert and no warning about it', () => {
    expect(resourcesOf(json, 'azurerm_cost_anomaly_alert')).toEqual({});
    expect(warnings(budget)).toEqual([]);
  });
});

describe('scale sets brought by the caller', () => {
  test('each gets the scaler role; a given autoscale setting too', () => {
    const vmss = `${SUB}/providers/Microsoft.Compute/virtualMachineScaleSets/gpu`;
    const autoscale = `${SUB}/providers/Microsoft.Insights/autoscalesettings/gpu`;
    const { json } = build({ router: ROUTER, hardStop: { atPercent: 100 }, fleets: [{ scaleSet: vmss, autoscaleSetting: autoscale }] });
    expect(JSON.parse(only(json, 'azurerm_function_app_flex_consumption').app_settings.AI_STACK_BUDGET_FLEETS)).toEqual([{ cloud: 'azure', id: vmss, autoscaler: autoscale }]);
    const scoped = all(json, 'azurerm_role_assignment').filter((r) => r.role_definition_id && !/Subscription/.test(r.scope)).map((r) => r.scope);
    expect(scoped.sort()).toEqual([autoscale, vmss].sort());
  });
});

describe('validation', () => {
  test.each<[string, Partial<BudgetProps>, string]>([
    [
      'six notifications',
      { thresholds: [{ percent: 10 }, { percent: 20 }, { percent: 30 }, { percent: 40 }, { percent: 50 }], hardStop: { atPercent: 90 } },
      "props.thresholds: make 6 notifications with the hard stop's (90 percent actual), but an Azure consumption budget has at most 5; drop 1, or put an actual threshold at the hard stop's percent (it is then the same notification)",
    ],
    ['a resource group name for its id', { resourceGroupId: 'rg-demo' }, "props.resourceGroupId: must be a resource group id, '/subscriptions/<id>/resourceGroups/<name>': the budget is set on it (got 'rg-demo')"],
    ['no cost tags', { tags: {} }, "props.tags: must hold the stack's cost tags (azure.AiStack.costTags): the budget counts only costs that carry them"],
    ['a scale set name for its id', { fleets: [{ scaleSet: 'gpu' }] }, "props.fleets[0].scaleSet: must be a scale set resource id, '/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>' (got 'gpu')"],
    ['a duplicate address', { notifyEmails: ['a@x.io', 'a@x.io'] }, "props.notifyEmails[1]: duplicate address 'a@x.io' (also props.notifyEmails[0])"],
  ])('%s', (_what, props, problem) => {
    expect(problemsOf(props)).toEqual([problem]);
  });

  test('an unknown prop is refused with the one it meant', () => {
    expect(problemsOf({ resourceGroupNam: 'rg' } as never)).toEqual([expect.stringMatching(/^props\.resourceGroupNam: unknown key \(did you mean 'resourceGroupName'\?\)/)]);
  });
});

describe('docs/azure/budget.md', () => {
  test('the example synthesizes, with every reference resolved', () => {
    const doc = readFileSync(join(__dirname, '../../docs/azure/budget.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    expect(source).toContain('app.synth();');
    // The shipped packages may not be built in a checkout: the example runs against the stand-ins.
    const patched = source
      .replace('new App()', 'new App({ outdir: OUTDIR })')
      .replace('app.synth();', 'exports.app = app;')
      .replace("new Budget(this, 'Budget', {", "new Budget(this, 'Budget', { packagePath: PACKAGE_PATH,")
      .replace("new ModelRouter(this, 'Router', {", "new ModelRouter(this, 'Router', { packagePath: ROUTER_PACKAGE_PATH,");
    const code = transformSync(patched, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code;
    const modules: Record<string, unknown> = { 'ai-stack-constructs/azure': require('../../lib/azure') };
    const exported: { app?: App } = {};
    new Function('require', 'exports', 'OUTDIR', 'PACKAGE_PATH', 'ROUTER_PACKAGE_PATH', code)((m: string) => modules[m] ?? require(m), exported, mkdtempSync(join(tmpdir(), 'ai-stack-budget-docs-')), PACKAGE, ROUTER_PACKAGE);
    const stack = exported.app!.node.children.find((c): c is TerraformStack => c instanceof TerraformStack)!;
    const json = synthJson(stack);
    expect(unresolvedReferences(json)).toEqual([]);
    expect(only(json, 'azurerm_consumption_budget_resource_group').filter.tag.map((t: Json) => t.name)).toEqual(['team', 'cost-center', 'environment', 'application']);
    expect(all(json, 'azurerm_function_app_flex_consumption').map((a) => a.name).sort()).toEqual(['func-assistant-budget', 'func-assistant-router']);
  });
});

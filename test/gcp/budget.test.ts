import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TerraformResource, TerraformStack } from 'cdktf';
import { Accelerator, type RouterDesign } from '../../lib/design';
import { applyCostLabels } from '../../lib/gcp/cost-tags';
import { Budget, budgetRouterOf, OPERATION_PERMISSIONS, SCALER_PERMISSIONS, type BudgetProps } from '../../lib/gcp/budget';
import { GpuEndpoint } from '../../lib/gcp/gpu-endpoint';
import { ModelRouter } from '../../lib/gcp/model-router';
import { designErrorOf } from '../support/design-error';
import { gcpTestStack, resourcesOf, synthJson, unresolvedReferences, warningsOf, type TerraformJson } from './helpers';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
/** Bundle stand-ins: the constructs hash and upload the files, they never run them. */
const BUNDLE = path.join(tmp('ai-stack-budget-'), 'index.js');
fs.writeFileSync(BUNDLE, '// budget stop bundle stand-in\n');
const ROUTER_BUNDLE = path.join(tmp('ai-stack-router-'), 'index.js');
fs.writeFileSync(ROUTER_BUNDLE, '// router bundle stand-in\n');

const LABELS = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' };
const ACCOUNT = '012345-6789AB-CDEF01';
const ROUTER_DB = 'projects/test-project/databases/test-router';
const BUDGET_METRIC = 'logging.googleapis.com/user/test-router-budget-used';

/** The smallest valid props: a budget on the design's account, one address. */
function base(overrides: Partial<BudgetProps> = {}): BudgetProps {
  return { monthlyLimitUsd: 1000, notifyEmails: ['ops@example.com'], billingAccountId: ACCOUNT, region: 'us-central1', project: 'test-project', labels: LABELS, ...overrides };
}

const ROUTER = { firestoreDatabase: ROUTER_DB, tenants: ['team-a', 'team-b'], budgetMetricType: BUDGET_METRIC };

function build(props: BudgetProps, setup?: (stack: TerraformStack) => void): { budget: Budget; json: TerraformJson } {
  const { stack } = gcpTestStack();
  setup?.(stack);
  const budget = new Budget(stack, 'Budget', { bundlePath: BUNDLE, ...props });
  return { budget, json: synthJson(stack) };
}

const ref = (r: TerraformResource, attribute = 'id') => `\${${r.terraformResourceType}.${r.friendlyUniqueId}.${attribute}}`;
const only = (json: TerraformJson, type: string): Record<string, any> => {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
};
const envOf = (service: Record<string, any>): Record<string, string> => Object.fromEntries(service.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
const problemsOf = (props: Partial<BudgetProps>) => {
  const { stack } = gcpTestStack();
  return designErrorOf(() => new Budget(stack, 'Budget', { bundlePath: BUNDLE, ...base(), ...props } as BudgetProps)).problems.map((p) => `${p.path}: ${p.message}`);
};

describe('with the router and a GPU endpoint, and a hard stop', () => {
  const { stack } = gcpTestStack();
  const router: RouterDesign = {
    models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }],
    routes: [{ name: 'chat', targets: [{ model: 'flash' }] }],
    tenants: [
      { id: 'team-a', monthlyBudgetUsd: 50 },
      { id: 'team-b', monthlyBudgetUsd: 20 },
    ],
  };
  const modelRouter = new ModelRouter(stack, 'Router', { ...router, region: 'us-central1', project: 'test-project', bundlePath: ROUTER_BUNDLE });
  const endpoint = new GpuEndpoint(stack, 'Llm', {
    name: 'llm',
    region: 'us-central1',
    project: 'test-project',
    zones: ['us-central1-a', 'us-central1-b'],
    accelerator: Accelerator.NVIDIA_L4,
    server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
    capacity: { min: 2, max: 6 },
    purchase: { onDemandBase: 1, spotPercentAboveBase: 50 },
  });
  const budget = new Budget(stack, 'Budget', { ...base({ notifyEmails: ['ops@example.com', 'finance@example.com'] }), hardStop: { atPercent: 90 }, router: budgetRouterOf(modelRouter), endpoints: [endpoint], bundlePath: BUNDLE });
  const json = synthJson(stack);
  const billing = only(json, 'google_billing_budget');
  const service = Object.values(resourcesOf(json, 'google_cloud_run_v2_service')).find((s) => s.name === 'test-budget-stop')!;
  const stopMember = ref(budget.stopServiceAccount!, 'member');

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test("the billing budget: the design's account, the limit in USD, this project and the single application label", () => {
    expect(billing.billing_account).toBe(ACCOUNT);
    expect(billing.amount).toEqual({ specified_amount: { currency_code: 'USD', units: '1000', nanos: 0 } });
    const project = Object.values(resourcesOf({ resource: json.data } as TerraformJson, 'google_project'));
    expect(project).toEqual([{ project_id: 'test-project' }]);
    expect(billing.budget_filter).toEqual({
      calendar_period: 'MONTH',
      credit_types_treatment: 'INCLUDE_ALL_CREDITS',
      labels: { application: 'demo' },
      projects: [`projects/\${data.google_project.${Object.keys(json.data!.google_project)[0]}.number}`],
    });
  });

  test("every design threshold as a fraction with its spend basis, and the hard stop's level", () => {
    expect(billing.threshold_rules).toEqual([
      { threshold_percent: 0.5, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 0.8, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 1, spend_basis: 'FORECASTED_SPEND' },
      { threshold_percent: 1, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 0.9, spend_basis: 'CURRENT_SPEND' },
    ]);
  });

  test('every update goes to the topic, and the threshold emails to one email channel per address', () => {
    expect(billing.all_updates_rule).toEqual({ monitoring_notification_channels: budget.emailChannels.map((c) => ref(c)), pubsub_topic: ref(budget.topic!), schema_version: '1.0' });
    const channels = Object.values(resourcesOf(json, 'google_monitoring_notification_channel'));
    expect(channels.map((c) => [c.type, c.labels])).toEqual([
      ['email', { email_address: 'ops@example.com' }],
      ['email', { email_address: 'finance@example.com' }],
    ]);
  });

  test("the topic's push subscription calls the stop function with the push account's OIDC token, and never expires", () => {
    const sub = only(json, 'google_pubsub_subscription');
    expect(sub.topic).toBe(ref(budget.topic!));
    expect(sub.push_config).toEqual({ push_endpoint: ref(budget.stopFunction!, 'uri'), oidc_token: { service_account_email: ref(budget.pushServiceAccount!, 'email'), audience: ref(budget.stopFunction!, 'uri') } });
    expect(sub.expiration_policy).toEqual({ ttl: '' });
    expect(sub.ack_deadline_seconds).toBe(600);
  });

  test('Cloud Scheduler posts {"action":"watch"} every 5 minutes with its own account\'s OIDC token', () => {
    const job = only(json, 'google_cloud_scheduler_job');
    expect(job.schedule).toBe('*/5 * * * *');
    expect(job.time_zone).toBe('Etc/UTC');
    expect(JSON.parse(Buffer.from(job.http_target.body, 'base64').toString('utf8'))).toEqual({ action: 'watch' });
    expect(job.http_target).toMatchObject({ uri: ref(budget.stopFunction!, 'uri'), http_method: 'POST', oidc_token: { service_account_email: ref(budget.schedulerServiceAccount!, 'email'), audience: ref(budget.stopFunction!, 'uri') } });
  });

  test('only the push and scheduler accounts may invoke the stop function', () => {
    expect(service.invoker_iam_disabled).toBe(false);
    const invokers = Object.values(resourcesOf(json, 'google_cloud_run_v2_service_iam_member')).filter((m) => m.name === ref(budget.stopFunction!, 'name'));
    expect(invokers.map((m) => [m.role, m.member]).sort()).toEqual(
      [
        ['roles/run.invoker', ref(budget.pushServiceAccount!, 'member')],
        ['roles/run.invoker', ref(budget.schedulerServiceAccount!, 'member')],
      ].sort(),
    );
    expect(JSON.stringify(json)).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test("the stop function's account: the router's database only, and resize and autoscaler rights on the stack's groups only", () => {
    const bindings = Object.values(resourcesOf(json, 'google_project_iam_member')).filter((m) => m.member === stopMember);
    const byRole = Object.fromEntries(bindings.map((b) => [b.role, b.condition?.expression ?? null]));
    const groups = endpoint.groups.flatMap((g) => [ref(g.group), ref(g.autoscaler)]);
    expect(byRole).toEqual({
      'roles/datastore.user': `resource.name == "${ref(modelRouter.database)}"`,
      [ref(budget.scalerRole!)]: groups.map((g) => `resource.name == "${g}"`).join(' || '),
      [ref(budget.operationsRole!)]: null,
    });
    const roles = Object.values(resourcesOf(json, 'google_project_iam_custom_role'));
    expect(roles.map((r) => r.permissions).sort()).toEqual([[...OPERATION_PERMISSIONS], [...SCALER_PERMISSIONS]].sort());
    expect(SCALER_PERMISSIONS).toEqual(['compute.autoscalers.get', 'compute.autoscalers.update', 'compute.instanceGroupManagers.get', 'compute.instanceGroupManagers.update']);
    // Nothing else: no other IAM binding names the stop function's account.
    const elsewhere = Object.entries(json.resource ?? {})
      .filter(([type]) => /_iam_(member|binding|policy)$/.test(type) && type !== 'google_project_iam_member')
      .flatMap(([, byName]) => Object.values(byName as Record<string, Record<string, any>>))
      .filter((m) => m.member === stopMember);
    expect(elsewhere.map((m) => m.role)).toEqual(['roles/storage.objectViewer']);
  });

  test('the function gets the fleets, tenants, limit, hard stop and the router\'s Firestore store', () => {
    const env = envOf(service);
    expect(JSON.parse(env.AI_STACK_BUDGET_FLEETS)).toEqual(endpoint.groups.map((g) => ({ cloud: 'gcp', id: ref(g.group), autoscaler: ref(g.autoscaler) })));
    expect(env).toMatchObject({
      AI_STACK_BUDGET_TENANTS: '["team-a","team-b"]',
      AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '1000',
      AI_STACK_BUDGET_HARD_STOP_PERCENT: '90',
      AI_STACK_ROUTER_STORE: 'firestore',
      AI_STACK_FIRESTORE_DATABASE: ref(modelRouter.database),
      AI_STACK_LEDGER_COLLECTION: 'ai-stack-ledger',
    });
    expect(service.template.service_account).toBe(ref(budget.stopServiceAccount!, 'email'));
  });

  test('each tenant alerts at 80% and 100% of its budget on the router\'s budget metric', () => {
    const alerts = Object.values(resourcesOf(json, 'google_monitoring_alert_policy')).filter((a) => / tenant /.test(a.display_name));
    const seen = alerts.map((a) => {
      const c = a.conditions[0].condition_threshold;
      return [c.filter, c.comparison, c.threshold_value, a.notification_channels];
    });
    const metric = `logging.googleapis.com/user/${ref(modelRouter.logMetrics.budget, 'name')}`;
    const channels = budget.emailChannels.map((c) => ref(c));
    const expected = ['team-a', 'team-b'].flatMap((t) => [80, 100].map((p) => [`metric.type = "${metric}" AND resource.type = "cloud_run_revision" AND metric.labels.tenant = "${t}"`, 'COMPARISON_GE', p, channels]));
    expect(seen).toEqual(expect.arrayContaining(expected));
    expect(seen).toHaveLength(4);
  });

  test("the stack alerts at the design's actual thresholds on the watch line's metric", () => {
    const metric = Object.values(resourcesOf(json, 'google_logging_metric')).find((m) => m.name === 'test-budget-watch')!;
    expect(metric.filter).toBe('resource.type = "cloud_run_revision" AND resource.labels.service_name = "test-budget-stop" AND log_id("run.googleapis.com/stdout") AND jsonPayload.budgetWatch = true');
    expect(metric.value_extractor).toBe('EXTRACT(jsonPayload.budgetUsedPercent)');
    expect(metric.bucket_options.explicit_buckets.bounds).toEqual(expect.arrayContaining([50, 80, 90, 100]));
    const stack = Object.values(resourcesOf(json, 'google_monitoring_alert_policy')).filter((a) => /charged by the routers/.test(a.display_name));
    expect(stack.map((a) => a.conditions[0].condition_threshold.threshold_value).sort((x: number, y: number) => x - y)).toEqual([50, 80, 100]);
    for (const a of stack) expect(a.conditions[0].condition_threshold.filter).toBe(`metric.type = "logging.googleapis.com/user/${ref(budget.watchMetric!, 'name')}" AND resource.type = "cloud_run_revision"`);
  });

  test("the stop function's stop and resume notices are emailed: a log-match alert on its notice lines", () => {
    const notice = Object.values(resourcesOf(json, 'google_monitoring_alert_policy')).find((a) => /stop function acted/.test(a.display_name))!;
    expect(notice.conditions[0].condition_matched_log.filter).toBe('resource.type = "cloud_run_revision" AND resource.labels.service_name = "test-budget-stop" AND log_id("run.googleapis.com/stdout") AND jsonPayload.budgetNotice:*');
    expect(notice.alert_strategy.notification_rate_limit.period).toBe('300s');
    expect(notice.notification_channels).toEqual(budget.emailChannels.map((c) => ref(c, 'id')));
    expect(ref(budget.stopNoticeAlert!, 'id')).toContain('StopNoticeAlert');
  });

  test('the anomaly detection warning says the forecast threshold covers it', () => {
    expect(warningsOf(budget)).toEqual([expect.stringMatching(/^\[ai-stack:gcp-budget-anomaly-forecast\] Google Cloud has no cost anomaly detection/)]);
  });
});

describe('threshold rules', () => {
  const rules = (props: Partial<BudgetProps>) => only(build(base(props)).json, 'google_billing_budget').threshold_rules;

  test('percents become fractions without float noise, forecasts FORECASTED_SPEND', () => {
    expect(rules({ thresholds: [{ percent: 33.3 }, { percent: 120, type: 'forecast' }], anomalyDetection: false })).toEqual([
      { threshold_percent: 0.333, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 1.2, spend_basis: 'FORECASTED_SPEND' },
    ]);
  });

  test('anomaly detection without a forecast threshold adds the 100% forecast rule, and says so', () => {
    const { budget, json } = build(base({ thresholds: [{ percent: 75 }] }));
    expect(only(json, 'google_billing_budget').threshold_rules).toEqual([
      { threshold_percent: 0.75, spend_basis: 'CURRENT_SPEND' },
      { threshold_percent: 1, spend_basis: 'FORECASTED_SPEND' },
    ]);
    expect(warningsOf(budget)).toEqual(expect.arrayContaining([expect.stringMatching(/anomalyDetection is rendered as a forecast threshold at 100%/)]));
  });

  test('without anomaly detection, no forecast rule is added', () => {
    expect(rules({ thresholds: [{ percent: 75 }], anomalyDetection: false })).toEqual([{ threshold_percent: 0.75, spend_basis: 'CURRENT_SPEND' }]);
  });

  test("a hard stop at an actual threshold's level adds no second rule", () => {
    expect(rules({ thresholds: [{ percent: 80 }], anomalyDetection: false, hardStop: { atPercent: 80 }, router: ROUTER })).toEqual([{ threshold_percent: 0.8, spend_basis: 'CURRENT_SPEND' }]);
  });

  test('a limit with cents keeps them as nanos', () => {
    expect(only(build(base({ monthlyLimitUsd: 1234.56 })).json, 'google_billing_budget').amount.specified_amount).toEqual({ currency_code: 'USD', units: '1234', nanos: 560000000 });
  });
});

describe('the filter', () => {
  test('costLabel picks another of the stack labels; scopeToProject false drops the project', () => {
    const { json } = build(base({ costLabel: 'team', scopeToProject: false }));
    expect(only(json, 'google_billing_budget').budget_filter).toEqual({ calendar_period: 'MONTH', credit_types_treatment: 'INCLUDE_ALL_CREDITS', labels: { team: 'ml-platform' } });
    expect(json.data?.google_project).toBeUndefined();
  });
});

describe('without a router', () => {
  const { budget, json } = build(base({ hardStop: { atPercent: 100 } }));

  test('only the billing budget and its email channels: no topic, no function, no scheduler, no grants', () => {
    expect(Object.keys(json.resource ?? {}).sort()).toEqual(['google_billing_budget', 'google_monitoring_notification_channel']);
    expect(only(json, 'google_billing_budget').all_updates_rule).toEqual({ monitoring_notification_channels: [ref(budget.emailChannels[0])] });
  });

  test('a warning says there is no stop flag, no watch and no tenant alerts, and that the hard stop is not built', () => {
    expect(warningsOf(budget)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\[ai-stack:budget-no-router\] .*The hard stop at 100% is not built.*no stop flag, no watch of the router-charged spend and no tenant alerts/)]),
    );
  });
});

describe('with a router and no hard stop', () => {
  const { budget, json } = build(base({ router: ROUTER }));

  test('the function only watches: no topic, no push subscription, no compute roles, no hard-stop variable, no fleets', () => {
    expect(resourcesOf(json, 'google_pubsub_topic')).toEqual({});
    expect(resourcesOf(json, 'google_pubsub_subscription')).toEqual({});
    expect(resourcesOf(json, 'google_project_iam_custom_role')).toEqual({});
    const env = envOf(only(json, 'google_cloud_run_v2_service'));
    expect(env.AI_STACK_BUDGET_HARD_STOP_PERCENT).toBeUndefined();
    expect(env.AI_STACK_BUDGET_FLEETS).toBe('[]');
    expect(only(json, 'google_cloud_scheduler_job').schedule).toBe('*/5 * * * *');
    expect(budget.tenantAlerts['team-b'][100]).toBeDefined();
  });
});

describe('groups brought by the caller', () => {
  test('self links are trimmed to the resource names IAM conditions and the function use', () => {
    const { json } = build(
      base({
        router: ROUTER,
        hardStop: { atPercent: 95 },
        fleets: [{ group: 'https://www.googleapis.com/compute/v1/projects/p1/zones/us-central1-a/instanceGroupManagers/mig-a', autoscaler: 'projects/p1/zones/us-central1-a/autoscalers/as-a' }, { group: 'projects/p1/regions/us-central1/instanceGroupManagers/mig-b' }],
      }),
    );
    expect(JSON.parse(envOf(only(json, 'google_cloud_run_v2_service')).AI_STACK_BUDGET_FLEETS)).toEqual([
      { cloud: 'gcp', id: 'projects/p1/zones/us-central1-a/instanceGroupManagers/mig-a', autoscaler: 'projects/p1/zones/us-central1-a/autoscalers/as-a' },
      { cloud: 'gcp', id: 'projects/p1/regions/us-central1/instanceGroupManagers/mig-b' },
    ]);
    const scaler = Object.values(resourcesOf(json, 'google_project_iam_member')).find((m) => m.condition?.title === 'stack GPU groups only')!;
    expect(scaler.condition.expression).toBe(
      'resource.name == "projects/p1/zones/us-central1-a/instanceGroupManagers/mig-a" || resource.name == "projects/p1/zones/us-central1-a/autoscalers/as-a" || resource.name == "projects/p1/regions/us-central1/instanceGroupManagers/mig-b"',
    );
  });

  test('operatorMembers may invoke the function too', () => {
    const { json } = build(base({ router: ROUTER, operatorMembers: ['group:oncall@example.com'] }));
    expect(Object.values(resourcesOf(json, 'google_cloud_run_v2_service_iam_member')).map((m) => m.member)).toContain('group:oncall@example.com');
  });
});

describe('in a stack with cost labels', () => {
  test("email channels carry the cost labels as user_labels, and their labels stay the channel's settings", () => {
    const { json } = build(base(), (stack) => applyCostLabels(stack, { team: 'ml-platform', costCenter: 'cc-1', environment: 'test', application: 'demo' }));
    const channel = only(json, 'google_monitoring_notification_channel');
    expect(channel.labels).toEqual({ email_address: 'ops@example.com' });
    expect(channel.user_labels).toEqual(LABELS);
  });
});

describe('validation', () => {
  test.each<[string, Partial<BudgetProps>, string]>([
    ['no billing account', { billingAccountId: undefined }, "props.billingAccountId: is required on Google Cloud: a billing budget is set on a Cloud Billing account, not on a project. Set it to the account id 'gcloud billing accounts list' shows (XXXXXX-XXXXXX-XXXXXX)"],
    ['a malformed billing account', { billingAccountId: '0123456789AB' }, "props.billingAccountId: must be a Cloud Billing account id, XXXXXX-XXXXXX-XXXXXX with uppercase hexadecimal digits as 'gcloud billing accounts list' shows it (got '0123456789AB')"],
    ['six addresses', { notifyEmails: ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io', 'e@x.io', 'f@x.io'] }, 'props.notifyEmails: lists 6 addresses, but a Google Cloud budget notifies at most 5 monitoring channels (one email channel per address); keep 5, or list a group address that forwards to the rest'],
    ['a cost label the stack lacks', { costLabel: 'owner' }, "props.costLabel: must be one of the stack's cost labels ('team', 'cost-center', 'environment', 'application'): the budget filters by its value (got 'owner')"],
    ['a group that is not one', { fleets: [{ group: 'mig-a' }] }, "props.fleets[0].group: must be a managed instance group, 'projects/<p>/regions/<r>/instanceGroupManagers/<name>' (or zones/<z>) or its self link (got 'mig-a')"],
    ['a threshold of 0', { thresholds: [{ percent: 0 }] }, 'props.thresholds[0].percent: must be between 1 and 1000 percent (got 0)'],
    ['a duplicate address', { notifyEmails: ['a@x.io', 'a@x.io'] }, "props.notifyEmails[1]: duplicate address 'a@x.io' (also props.notifyEmails[0])"],
    ['an operator that is not an IAM member', { operatorMembers: ['oncall@example.com'] }, "props.operatorMembers[0]: must be an IAM member such as 'user:oncall@example.com' or 'group:ops@example.com' (got 'oncall@example.com')"],
  ])('%s', (_what, props, problem) => {
    expect(problemsOf(props)).toEqual([problem]);
  });

  test('an unknown prop is refused with the one it meant', () => {
    expect(problemsOf({ notifyEmail: ['a@x.io'] } as never)).toEqual([expect.stringMatching(/^props\.notifyEmail: unknown key.*did you mean 'notifyEmails'/)]);
  });

  test("a prefix Cloud Storage refuses in the function's bucket name", () => {
    expect(problemsOf({ router: ROUTER, namePrefix: 'google-ai' })).toEqual([expect.stringMatching(/^props\.namePrefix: must not begin with 'goog' or contain 'google'/)]);
  });
});

describe('docs/gcp/budget.md', () => {
  test('the example synthesizes, with every reference resolved', () => {
    const markdown = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'gcp', 'budget.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    expect(source).toContain("new Budget(this, 'Budget', {");
    // The shipped bundles may not be built in a checkout: the example runs against the stand-ins.
    const patched = source
      .replace("new Budget(this, 'Budget', {", "new Budget(this, 'Budget', { bundlePath: BUNDLE_PATH,")
      .replace("new ModelRouter(this, 'Router', {", "new ModelRouter(this, 'Router', { bundlePath: ROUTER_BUNDLE_PATH,");
    const { code } = require('@swc/core').transformSync(patched, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdktf = require('cdktf');
    const apps: InstanceType<typeof cdktf.App>[] = [];
    const outdir = tmp('gcp-budget-doc-');
    class DocApp extends cdktf.App {
      constructor() {
        super({ outdir, stackTraces: false });
        apps.push(this);
      }
      synth(): void {} // the test synthesizes below
    }
    const modules: Record<string, unknown> = { cdktf: { ...cdktf, App: DocApp }, 'ai-stack-constructs': require('../../lib/design'), 'ai-stack-constructs/gcp': require('../../lib/gcp') };
    new Function('require', 'exports', 'module', 'BUNDLE_PATH', 'ROUTER_BUNDLE_PATH', code)((id: string) => modules[id] ?? require(id), {}, { exports: {} }, BUNDLE, ROUTER_BUNDLE);
    const stack = apps[0].node.children.find((c: unknown) => c instanceof cdktf.TerraformStack);
    const json = synthJson(stack);
    expect(unresolvedReferences(json)).toEqual([]);
    expect(only(json, 'google_billing_budget').budget_filter.labels).toEqual({ application: 'assistant' });
    expect(JSON.parse(envOf(Object.values(resourcesOf(json, 'google_cloud_run_v2_service')).find((s) => s.name === 'assistant-budget-stop')!).AI_STACK_BUDGET_FLEETS)).toHaveLength(2);
  });
});

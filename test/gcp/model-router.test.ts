import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { validateDesign, type RouterDesign } from '../../lib/design';
import { AiStack } from '../../lib/gcp/ai-stack';
import { cloudRunCpu, cloudRunScaling, EndpointApiKey, ModelRouter, type ModelRouterProps } from '../../lib/gcp/model-router';
import { defaultRouterImage } from '../../lib/gcp/model-router/plan';
import { promQlMetricName } from '../../lib/gcp/model-router/monitoring';
import { smallDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { gcpTestStack, onlyResource, resourcesOf, synthJson, unresolvedReferences, warningsOf, type TerraformJson } from './helpers';

const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;

/** The design fixture on GCP, with an L4 fleet (the fixture's A100 x8 is costly to read in tests). */
function design(change: (d: any) => void = () => undefined): any {
  const d = smallDesign();
  d.endpoints[0].accelerator = 'nvidia-l4';
  d.endpoints[0].acceleratorsPerReplica = 1;
  // The router alone: the budget (a stop function on Cloud Run of its own) is test/gcp/budget.test.ts's.
  delete d.budget;
  change(d);
  return d;
}

function stackOf(d: any): { stack: AiStack; json: TerraformJson } {
  const stack = new AiStack(Testing.app(), d.name, { design: d });
  return { stack, json: JSON.parse(Testing.synth(stack)) as TerraformJson };
}

/** A router of Vertex AI targets only, standing alone. */
function vertexRouter(overrides: Partial<ModelRouterProps> = {}): ModelRouterProps {
  const router: RouterDesign = {
    models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }],
    routes: [{ name: 'chat', targets: [{ model: 'flash' }] }],
    tenants: [{ id: 'team-a', monthlyBudgetUsd: 50 }],
  };
  return { ...router, region: 'us-central1', ...overrides };
}

function standalone(props: ModelRouterProps): { router: ModelRouter; json: TerraformJson } {
  const { stack } = gcpTestStack();
  const router = new ModelRouter(stack, 'Router', props);
  return { router, json: synthJson(stack) };
}

const service = (json: TerraformJson) => onlyResource(json, 'google_cloud_run_v2_service').config;
const container = (json: TerraformJson) => service(json).template.containers[0];
const envOf = (json: TerraformJson): Record<string, string> => Object.fromEntries(container(json).env.map((e: { name: string; value: string }) => [e.name, e.value]));
const addressOf = (json: TerraformJson, type: string, match: (c: Record<string, any>) => boolean): string => {
  const hit = Object.entries(resourcesOf(json, type)).filter(([, c]) => match(c));
  if (hit.length !== 1) throw new Error(`expected one ${type}, found ${hit.length}`);
  return `${type}.${hit[0][0]}`;
};

/** Every IAM grant in the configuration: (type, config) of each *_iam_member / _binding / _policy. */
function iamGrants(json: TerraformJson): { type: string; config: Record<string, any> }[] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => /_iam_(member|binding|policy)$/.test(type))
    .flatMap(([type, byName]) => Object.values(byName).map((config) => ({ type, config: config as Record<string, any> })));
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('ModelRouter in gcp.AiStack', () => {
  const { stack, json } = stackOf(design());
  const env = envOf(json);
  const net = addressOf(json, 'google_compute_network', () => true);
  const subnet = addressOf(json, 'google_compute_subnetwork', () => true);
  const routerSa = ref(addressOf(json, 'google_service_account', (c) => c.account_id === 'demo-ai-router'), 'member');

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test("Direct VPC egress into the endpoints' network and subnetwork, private ranges only, to the endpoint's internal load balancer", () => {
    expect(service(json).template.vpc_access).toEqual({ egress: 'PRIVATE_RANGES_ONLY', network_interfaces: [{ network: ref(net, 'id'), subnetwork: ref(subnet, 'id') }] });
    // The URL the router calls is the endpoint's internal forwarding rule address, in that same subnetwork.
    const address = addressOf(json, 'google_compute_address', () => true);
    expect(env.AI_STACK_ENDPOINT_URL_LLM).toBe(`http://${ref(address, 'address')}:8000`);
    expect(onlyResource(json, 'google_compute_address').config.subnetwork).toBe(ref(subnet, 'self_link'));
    // The endpoint admits its subnetwork's range: the router's instances take their addresses from it.
    const clients = Object.values(resourcesOf(json, 'google_compute_firewall')).find((f) => f.name === 'demo-ai-llm-allow-clients')!;
    expect(clients.source_ranges).toEqual([onlyResource(json, 'google_compute_subnetwork').config.ip_cidr_range]);
  });

  test('public ingress with the invoker IAM check off (tenants authenticate by key), and no allUsers binding', () => {
    expect(service(json)).toMatchObject({ ingress: 'INGRESS_TRAFFIC_ALL', invoker_iam_disabled: true });
    expect(JSON.stringify(json)).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('the service account has exactly its roles: logs, metrics, Vertex AI, and the one Firestore database', () => {
    const project = iamGrants(json).filter((g) => g.type === 'google_project_iam_member' && g.config.member === routerSa);
    expect(project.map((g) => g.config.role).sort()).toEqual(['roles/aiplatform.user', 'roles/datastore.user', 'roles/logging.logWriter', 'roles/monitoring.metricWriter']);
    const database = addressOf(json, 'google_firestore_database', () => true);
    const datastore = project.find((g) => g.config.role === 'roles/datastore.user')!.config;
    expect(datastore.condition.expression).toBe(`resource.name == "${ref(database, 'id')}"`);
    for (const g of project.filter((x) => x.config.role !== 'roles/datastore.user')) expect(g.config.condition).toBeUndefined();
    // Everything else it holds is on one resource: each secret it reads and the bundle bucket.
    const others = iamGrants(json).filter((g) => g.type !== 'google_project_iam_member' && g.config.member === routerSa);
    expect(others.map((g) => `${g.type} ${g.config.role}`).sort()).toEqual([
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      'google_storage_bucket_iam_member roles/storage.objectViewer',
    ]);
    expect(others.find((g) => g.type === 'google_storage_bucket_iam_member')!.config.bucket).toBe(ref(addressOf(json, 'google_storage_bucket', () => true), 'name'));
    expect(JSON.stringify(iamGrants(json))).not.toMatch(/roles\/(owner|editor|viewer)"/);
    expect(service(json).template.service_account).toBe(ref(addressOf(json, 'google_service_account', (c) => c.account_id === 'demo-ai-router'), 'email'));
  });

  test('read access to each secret it uses, on that secret only', () => {
    const accessors = iamGrants(json).filter((g) => g.config.member === routerSa && g.config.role === 'roles/secretmanager.secretAccessor');
    const keyHashes = addressOf(json, 'google_secret_manager_secret', (c) => c.secret_id === 'demo-ai-router-key-hashes');
    const endpointKey = addressOf(json, 'google_secret_manager_secret_version', (c) => typeof c.secret_data === 'string' && c.secret_data.includes('random_password'));
    expect(accessors.map((g) => g.config.secret_id).sort()).toEqual([ref(keyHashes, 'id'), ref(endpointKey, 'secret')].sort());
    expect(iamGrants(json).filter((g) => g.type !== 'google_secret_manager_secret_iam_member' && g.config.role === 'roles/secretmanager.secretAccessor')).toEqual([]);
  });

  test('no secret value in the environment or the config: only secret references, read at run time', () => {
    const keyHashesVersion = addressOf(json, 'google_secret_manager_secret_version', (c) => c.secret_data === '{}');
    const endpointKeyVersion = addressOf(json, 'google_secret_manager_secret_version', (c) => c.secret_data !== '{}');
    expect(env.AI_STACK_KEY_HASHES).toBe(`gcp-sm:${ref(keyHashesVersion, 'secret')}/versions/latest`);
    expect(env.AI_STACK_ENDPOINT_KEY_LLM).toBe(`gcp-sm:${ref(endpointKeyVersion, 'secret')}/versions/latest`);
    for (const [name, value] of Object.entries(env)) {
      expect(`${name}=${value}`).not.toMatch(/random_password|secret_data|\.result\}/);
      if (/KEY/.test(name)) expect(`${name}=${value}`).toMatch(/=gcp-sm:\$\{[^}]+\}\/versions\/latest$/);
    }
    const config = Object.values(resourcesOf(json, 'google_storage_bucket_object')).find((o) => o.content !== undefined)!;
    expect(config.content).not.toMatch(/\$\{|keySha256":\["/);
    expect(JSON.parse(config.content).tenants).toEqual([expect.objectContaining({ id: 'team-a', keySha256: [] })]);
  });

  test('the GPU endpoint requires the key from the secret the router reads (VLLM_API_KEY)', () => {
    const version = addressOf(json, 'google_secret_manager_secret_version', (c) => c.secret_data !== '{}');
    expect(resourcesOf(json, 'google_secret_manager_secret_version')[version.split('.')[1]].secret_data).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const endpointSa = ref(addressOf(json, 'google_service_account', (c) => c.account_id === 'demo-ai-llm-gpu'), 'member');
    const endpointGrant = iamGrants(json).find((g) => g.config.member === endpointSa && g.type === 'google_secret_manager_secret_iam_member')!;
    expect(endpointGrant.config.secret_id).toBe(ref(version, 'secret'));
    for (const t of Object.values(resourcesOf(json, 'google_compute_instance_template'))) {
      expect(t.metadata['startup-script']).toContain(`read_secret 'VLLM_API_KEY' '${ref(version, 'secret')}/versions/latest'`);
    }
    expect(stack.router!.endpointKeys.llm).toBeInstanceOf(EndpointApiKey);
  });

  test('Firestore: its own Native-mode database, point-in-time recovery and delete protection on', () => {
    const db = onlyResource(json, 'google_firestore_database').config;
    expect(db).toMatchObject({
      name: 'demo-ai-router',
      type: 'FIRESTORE_NATIVE',
      location_id: 'us-central1',
      point_in_time_recovery_enablement: 'POINT_IN_TIME_RECOVERY_ENABLED',
      delete_protection_state: 'DELETE_PROTECTION_ENABLED',
      deletion_policy: 'DELETE',
    });
    expect(db.name).not.toBe('(default)');
    const address = addressOf(json, 'google_firestore_database', () => true);
    expect(env).toMatchObject({
      AI_STACK_ROUTER_STORE: 'firestore',
      AI_STACK_FIRESTORE_DATABASE: ref(address, 'id'),
      AI_STACK_LEDGER_COLLECTION: 'ai-stack-ledger',
      AI_STACK_RATE_COLLECTION: 'ai-stack-rate',
      AI_STACK_GCP_PROJECT: '${var.gcp_project}',
    });
    // The maps that grow with requests in flight are not indexed.
    expect(Object.values(resourcesOf(json, 'google_firestore_field')).map((f) => `${f.collection}.${f.field} ${JSON.stringify(f.index_config)}`).sort()).toEqual([
      'ai-stack-ledger.expired {}',
      'ai-stack-ledger.open {}',
      'ai-stack-rate.slots {}',
    ]);
  });

  test('the tenant key hashes secret starts as {} and Terraform never replaces an operator\'s versions', () => {
    const version = Object.values(resourcesOf(json, 'google_secret_manager_secret_version')).find((v) => v.secret_data === '{}')!;
    expect(version.lifecycle).toEqual({ ignore_changes: ['secret_data'] });
    for (const s of Object.values(resourcesOf(json, 'google_secret_manager_secret'))) expect(s.replication).toEqual({ user_managed: { replicas: [{ location: 'us-central1' }] } });
    expect((json.output as any)['router-key-hashes-secret'].value).toBe(ref(addressOf(json, 'google_secret_manager_secret', (c) => c.secret_id === 'demo-ai-router-key-hashes'), 'id'));
    expect((json.output as any)['router-url'].value).toBe(ref(addressOf(json, 'google_cloud_run_v2_service', () => true), 'uri'));
  });

  test('code without a build: the bundle in a private, versioned bucket, mounted read-only, run by node on the Node.js 22 runtime image', () => {
    const bucket = onlyResource(json, 'google_storage_bucket').config;
    expect(bucket).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced', versioning: { enabled: true }, location: 'us-central1', name: 'demo-ai-router-${var.gcp_project}' });
    const bundle = Object.values(resourcesOf(json, 'google_storage_bucket_object')).find((o) => o.source !== undefined)!;
    expect(bundle.name).toBe(`demo-ai-router-${stack.router!.bundleSha256}.js`);
    expect(bundle.source).toMatch(new RegExp(`^assets/[\\w-]+/${stack.router!.bundleSha256}/index\\.js$`));
    const c = container(json);
    expect(c.command).toEqual(['node']);
    expect(c.args).toEqual([`/router/${bundle.name}`]);
    expect(env.AI_STACK_ROUTER_CONFIG).toMatch(/^\/router\/demo-ai-config-[0-9a-f]{64}\.json$/);
    expect(c.volume_mounts).toEqual([{ name: 'router', mount_path: '/router' }]);
    expect(service(json).template.volumes).toEqual([{ name: 'router', gcs: { bucket: ref(addressOf(json, 'google_storage_bucket', () => true), 'name'), read_only: true } }]);
    expect(service(json).template.execution_environment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(c.image).toBe('us-central1-docker.pkg.dev/serverless-runtimes/google-22/runtimes/nodejs22');
    expect(c.startup_probe.http_get).toEqual({ path: '/healthz', port: 8080 });
    expect(c.liveness_probe.http_get).toEqual({ path: '/healthz', port: 8080 });
    // The revision waits for its code, config and grants.
    expect(service(json).depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_storage_bucket_object\./), expect.stringMatching(/^google_storage_bucket_iam_member\./), expect.stringMatching(/^google_project_iam_member\.router_DatastoreUser/)]));
  });

  test('a dashboard and two alert policies with the design\'s default thresholds', () => {
    expect(Object.keys(resourcesOf(json, 'google_monitoring_dashboard'))).toHaveLength(1);
    const alerts = Object.values(resourcesOf(json, 'google_monitoring_alert_policy'));
    expect(alerts).toHaveLength(2);
    const thresholds = alerts.map((a) => [a.conditions[0].condition_threshold.threshold_value, a.conditions[0].condition_threshold.duration]).sort();
    expect(thresholds).toEqual([
      [0.05, '300s'],
      [2000, '300s'],
    ]);
  });

  test('only the router builds its warnings: the Bedrock and Azure OpenAI targets run elsewhere', () => {
    expect(warningsOf(stack.router!).join('\n')).toMatch(/\[ai-stack:router-targets-elsewhere\] .*'haiku', 'mini'/);
    expect(warningsOf(stack.router!).join('\n')).not.toMatch(/router-no-routes/);
  });

  test('log retention: the service\'s logs go to a bucket of their own, kept logRetentionDays, and out of _Default', () => {
    const { json: j } = stackOf(design((d) => (d.router.deployment = { logRetentionDays: 400 })));
    const bucket = onlyResource(j, 'google_logging_project_bucket_config').config;
    expect(bucket).toMatchObject({ bucket_id: 'demo-ai-router-logs', retention_days: 400, location: 'us-central1' });
    const sink = onlyResource(j, 'google_logging_project_sink').config;
    expect(sink.destination).toBe(`logging.googleapis.com/${ref(addressOf(j, 'google_logging_project_bucket_config', () => true), 'id')}`);
    expect(onlyResource(j, 'google_logging_project_exclusion').config.filter).toBe(sink.filter);
    expect(sink.filter).toContain('resource.labels.service_name = "demo-ai-router"');
    expect(sink.filter).not.toMatch(/cloudaudit/);
  });
});

describe('sizing from the design', () => {
  test('timeout, per-instance concurrency, max instances, vCPUs and memory follow router.deployment', () => {
    const { json } = stackOf(design((d) => (d.router.deployment = { timeoutSeconds: 120, maxConcurrentRequests: 1000, memoryMiB: 6144 })));
    const t = service(json).template;
    expect(t.timeout).toBe('120s');
    expect(t.max_instance_request_concurrency).toBe(77);
    expect(t.scaling).toEqual({ min_instance_count: 0, max_instance_count: 13 });
    expect(t.containers[0].resources.limits).toEqual({ cpu: '2', memory: '6144Mi' });
    expect(envOf(json).AI_STACK_MAX_REQUEST_MS).toBe('120000');
  });

  test('defaults: 300 s, 100 requests over 2 instances of 50, 1 vCPU and 2048 MiB', () => {
    const { json } = standalone(vertexRouter());
    const t = service(json).template;
    expect([t.timeout, t.max_instance_request_concurrency, t.scaling.max_instance_count, t.containers[0].resources.limits]).toEqual(['300s', 50, 2, { cpu: '1', memory: '2048Mi' }]);
  });

  test.each([
    [100, 80, 2, 50],
    [80, 80, 1, 80],
    [81, 80, 2, 41],
    [10, 80, 1, 10],
    [1000, 80, 13, 77],
    [10000, 1000, 10, 1000],
    [100, 10, 10, 10],
  ])('cloudRunScaling(%i, %i): %i instances of %i', (max, limit, instances, perInstance) => {
    const s = cloudRunScaling(max, limit);
    expect(s).toEqual({ maxInstances: instances, requestsPerInstance: perInstance });
    expect(s.maxInstances * s.requestsPerInstance).toBeGreaterThanOrEqual(max);
    expect(s.maxInstances * s.requestsPerInstance - max).toBeLessThan(s.maxInstances);
    expect(s.requestsPerInstance).toBeLessThanOrEqual(limit);
  });

  test.each([
    [512, 1],
    [4096, 1],
    [4097, 2],
    [8192, 2],
    [8193, 4],
    [10240, 4],
  ])('cloudRunCpu(%i MiB) = %i vCPU', (mib, cpu) => {
    expect(cloudRunCpu(mib)).toBe(cpu);
  });

  test('maxRequestsPerInstance and minInstances', () => {
    const { json } = standalone(vertexRouter({ maxRequestsPerInstance: 10, minInstances: 1 }));
    expect(service(json).template.max_instance_request_concurrency).toBe(10);
    expect(service(json).template.scaling).toEqual({ min_instance_count: 1, max_instance_count: 10 });
  });

  test('alerts take the design\'s thresholds and the notification channels', () => {
    const channels = ['projects/p-1/notificationChannels/123'];
    const { json } = standalone(vertexRouter({ alarms: { errorRatePercent: 2.5, p99LatencyMs: 1500, evaluationMinutes: 10 }, notificationChannels: channels }));
    const alerts = Object.values(resourcesOf(json, 'google_monitoring_alert_policy'));
    const errors = alerts.find((a) => a.conditions[0].condition_threshold.denominator_filter !== undefined)!;
    const latency = alerts.find((a) => a !== errors)!;
    expect(errors.conditions[0].condition_threshold).toMatchObject({
      threshold_value: 0.025,
      duration: '600s',
      comparison: 'COMPARISON_GT',
      filter: expect.stringMatching(/run\.googleapis\.com\/request_count.*service_name = "test-router".*response_code_class = "5xx"/),
      denominator_filter: 'metric.type = "run.googleapis.com/request_count" AND resource.type = "cloud_run_revision" AND resource.labels.service_name = "test-router"',
    });
    expect(latency.conditions[0].condition_threshold).toMatchObject({
      threshold_value: 1500,
      duration: '600s',
      filter: expect.stringContaining('run.googleapis.com/request_latencies'),
      aggregations: [{ alignment_period: '60s', per_series_aligner: 'ALIGN_DELTA', cross_series_reducer: 'REDUCE_PERCENTILE_99' }],
    });
    for (const a of alerts) expect(a.notification_channels).toEqual(channels);
  });
});

const byNameOf = (metrics: any[], n: string) => metrics.find((m) => m.name === n);

describe('observability', () => {
  const { json } = stackOf(design());
  const dashboard = JSON.parse(onlyResource(json, 'google_monitoring_dashboard').config.dashboard_json);
  const widgets = dashboard.mosaicLayout.tiles.map((t: any) => t.widget);
  const queries = JSON.stringify(widgets);

  test('log-based metrics from the request log: requests by outcome, cost per tenant, overhead, retries and fallbacks', () => {
    const metrics = Object.values(resourcesOf(json, 'google_logging_metric'));
    expect(metrics.map((m) => m.name).sort()).toEqual(['demo-ai-router-budget-used', 'demo-ai-router-cost', 'demo-ai-router-fallbacks', 'demo-ai-router-guard', 'demo-ai-router-overhead', 'demo-ai-router-requests', 'demo-ai-router-retries']);
    expect(byNameOf(metrics, 'demo-ai-router-guard')).toMatchObject({
      filter: expect.stringMatching(/ AND jsonPayload\.guard:\*$/),
      label_extractors: { tenant: 'EXTRACT(jsonPayload.tenant)', action: 'EXTRACT(jsonPayload.guard.action)', failed_open: 'EXTRACT(jsonPayload.guard.failedOpen)' },
    });
    for (const m of metrics) expect(m.filter).toMatch(/^resource\.type = "cloud_run_revision" AND resource\.labels\.service_name = "demo-ai-router" AND log_id\("run\.googleapis\.com\/stdout"\) AND jsonPayload\.requestId:\* AND jsonPayload\.outcome:\*/);
    const byName = (n: string) => metrics.find((m) => m.name === n)!;
    expect(byName('demo-ai-router-cost')).toMatchObject({ value_extractor: 'EXTRACT(jsonPayload.costUsd)', label_extractors: { tenant: 'EXTRACT(jsonPayload.tenant)' }, metric_descriptor: { value_type: 'DISTRIBUTION' } });
    expect(byName('demo-ai-router-overhead').value_extractor).toBe('EXTRACT(jsonPayload.overheadMs)');
    expect(byName('demo-ai-router-requests').label_extractors.outcome).toBe('EXTRACT(jsonPayload.outcome)');
    expect(byName('demo-ai-router-fallbacks').filter).toMatch(/ AND jsonPayload\.fallbacks > 0$/);
    expect(byName('demo-ai-router-retries').filter).toMatch(/ AND jsonPayload\.retries > 0$/);
    expect(byName('demo-ai-router-budget-used')).toMatchObject({
      filter: expect.stringMatching(/ AND jsonPayload\.budgetUsedPercent >= 0$/),
      value_extractor: 'EXTRACT(jsonPayload.budgetUsedPercent)',
      label_extractors: { tenant: 'EXTRACT(jsonPayload.tenant)' },
      metric_descriptor: { value_type: 'DISTRIBUTION', unit: '%' },
    });
  });

  test('the dashboard: Cloud Run traffic and latency, cost per tenant, errors, fallbacks, overhead, instances, GPU utilization', () => {
    expect(dashboard.displayName).toBe('demo-ai model router');
    expect(widgets.map((w: any) => w.title)).toHaveLength(10);
    expect(queries).toContain('logging.googleapis.com/user/demo-ai-router-guard');
    expect(queries).toContain('run.googleapis.com/request_count');
    expect(queries).toContain('run.googleapis.com/request_latencies');
    expect(queries).toContain(`sum by (tenant) (increase(${promQlMetricName('logging.googleapis.com/user/demo-ai-router-cost')}_sum`);
    expect(promQlMetricName('logging.googleapis.com/user/demo-ai-router-cost')).toBe('logging_googleapis_com:user_demo_ai_router_cost');
    expect(queries).toContain('logging.googleapis.com/user/demo-ai-router-requests\\" AND metric.labels.outcome != \\"ok\\"');
    expect(queries).toContain('logging.googleapis.com/user/demo-ai-router-fallbacks');
    expect(queries).toContain('logging.googleapis.com/user/demo-ai-router-retries');
    const budget = widgets.find((w: any) => w.title.startsWith('Budget used by tenant'));
    expect(budget.xyChart.dataSets[0].timeSeriesQuery.timeSeriesFilter).toEqual({
      filter: 'metric.type = "logging.googleapis.com/user/demo-ai-router-budget-used"',
      aggregation: { alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_PERCENTILE_99', crossSeriesReducer: 'REDUCE_MAX', groupByFields: ['metric.label.tenant'] },
    });
    expect(queries).toContain('logging.googleapis.com/user/demo-ai-router-overhead');
    expect(queries).toContain('agent.googleapis.com/gpu/utilization\\" AND resource.type = \\"gce_instance\\" AND metadata.user_labels.\\"ai-stack-endpoint\\" = \\"llm\\"');
  });
});

describe('the bundle', () => {
  function withBundle(bytes: string, outdir?: string): { json: TerraformJson; router: ModelRouter } {
    const dir = tmp('router-bundle-');
    const file = path.join(dir, 'index.js');
    fs.writeFileSync(file, bytes);
    const app = outdir ? new App({ outdir }) : Testing.app();
    const stack = new TerraformStack(app, 'test');
    new GoogleProvider(stack, 'google', { project: 'test-project', region: 'us-central1' });
    const router = new ModelRouter(stack, 'Router', vertexRouter({ bundlePath: file }));
    return { json: JSON.parse(Testing.synth(stack)) as TerraformJson, router };
  }
  const bundleObject = (json: TerraformJson) => Object.values(resourcesOf(json, 'google_storage_bucket_object')).find((o) => o.source !== undefined)!;

  test("the object's name, and so the service, change when the bundle's bytes change, and only then", () => {
    const a = withBundle('console.log("a")');
    const again = withBundle('console.log("a")');
    const b = withBundle('console.log("b")');
    expect(bundleObject(a.json).name).toBe(bundleObject(again.json).name);
    expect(bundleObject(a.json).name).not.toBe(bundleObject(b.json).name);
    expect(bundleObject(a.json).name).toMatch(/^test-router-[0-9a-f]{64}\.js$/);
    expect(container(a.json).args).not.toEqual(container(b.json).args);
    expect(container(b.json).args).toEqual([`/router/${bundleObject(b.json).name}`]);
  });

  test('the config object is named by its content: a config change rolls a revision too', () => {
    const a = standalone(vertexRouter());
    const b = standalone(vertexRouter({ tenants: [{ id: 'team-a', monthlyBudgetUsd: 60 }] }));
    expect(envOf(a.json).AI_STACK_ROUTER_CONFIG).not.toBe(envOf(b.json).AI_STACK_ROUTER_CONFIG);
    expect(JSON.parse(Object.values(resourcesOf(b.json, 'google_storage_bucket_object')).find((o) => o.content)!.content).tenants[0].monthlyBudgetUsd).toBe(60);
  });

  test('deterministic: two synths in different directories write the same configuration', () => {
    const out = (dir: string) => {
      const app = new App({ outdir: dir });
      const stack = new AiStack(app, 'demo-ai', { design: design() });
      app.synth();
      return { stack, text: fs.readFileSync(path.join(dir, 'stacks', 'demo-ai', 'cdk.tf.json'), 'utf8') };
    };
    const first = out(tmp('gcp-router-a-'));
    const second = out(tmp('gcp-router-b-'));
    expect(second.text).toBe(first.text);
    expect(first.text).not.toContain(os.tmpdir());
    expect(first.text).not.toContain(path.resolve(__dirname, '..', '..'));
    expect(first.text).toContain(`demo-ai-router-${first.stack.router!.bundleSha256}.js`);
  });
});

describe('ModelRouter standing alone', () => {
  test('in a plain TerraformStack: Vertex AI only, no VPC access, the provider\'s project', () => {
    const { router, json } = standalone(vertexRouter());
    expect(unresolvedReferences(json)).toEqual([]);
    expect(service(json).template.vpc_access).toBeUndefined();
    expect(service(json).name).toBe('test-router');
    expect(envOf(json).AI_STACK_GCP_PROJECT).toMatch(/^\$\{data\.google_client_config\.[\w-]+\.project\}$/);
    expect(router.endpointKeys).toEqual({});
    expect(Object.keys(resourcesOf(json, 'google_secret_manager_secret'))).toHaveLength(1);
  });

  test('without a Vertex AI target the service account gets no Vertex AI role', () => {
    const { json } = standalone({
      region: 'us-central1',
      network: { network: 'projects/p-1/global/networks/n', subnetwork: 'projects/p-1/regions/us-central1/subnetworks/s' },
      models: [{ id: 'own', provider: 'endpoint', model: 'llm' }],
      routes: [{ name: 'chat', targets: [{ model: 'own' }] }],
      endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'meta-llama/Llama-3.1-8B-Instruct' } },
    });
    const roles = Object.values(resourcesOf(json, 'google_project_iam_member')).map((m) => m.role).sort();
    expect(roles).toEqual(['roles/datastore.user', 'roles/logging.logWriter', 'roles/monitoring.metricWriter']);
    expect(service(json).template.vpc_access.network_interfaces).toEqual([{ network: 'projects/p-1/global/networks/n', subnetwork: 'projects/p-1/regions/us-central1/subnetworks/s' }]);
  });

  test('bring your own service account: used by the service, given no project role, still given its secrets, database and bucket', () => {
    const email = 'router@p-1.iam.gserviceaccount.com';
    const { json } = standalone(vertexRouter({ serviceAccountEmail: email }));
    expect(resourcesOf(json, 'google_service_account')).toEqual({});
    expect(service(json).template.service_account).toBe(email);
    const grants = iamGrants(json);
    expect(grants.every((g) => g.config.member === `serviceAccount:${email}`)).toBe(true);
    expect(grants.map((g) => `${g.type} ${g.config.role}`).sort()).toEqual([
      'google_project_iam_member roles/datastore.user',
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      'google_storage_bucket_iam_member roles/storage.objectViewer',
    ]);
  });

  test('a shared EndpointApiKey: the endpoint and the router name one secret; the router creates none', () => {
    const { stack } = gcpTestStack();
    const key = new EndpointApiKey(stack, 'LlmKey', { endpointName: 'llm', region: 'us-central1' });
    const router = new ModelRouter(stack, 'Router', {
      region: 'us-central1',
      network: { network: 'n', subnetwork: 's' },
      models: [{ id: 'own', provider: 'endpoint', model: 'llm' }],
      routes: [{ name: 'chat', targets: [{ model: 'own' }] }],
      endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'm', apiKeySecret: key.secretId } },
    });
    const json = synthJson(stack);
    expect(router.endpointKeys).toEqual({});
    expect(Object.keys(resourcesOf(json, 'google_secret_manager_secret'))).toHaveLength(2);
    const version = `google_secret_manager_secret_version.${Object.entries(resourcesOf(json, 'google_secret_manager_secret_version')).find(([, v]) => v.secret_data !== '{}')![0]}`;
    expect(envOf(json).AI_STACK_ENDPOINT_KEY_LLM).toBe(`gcp-sm:${ref(version, 'secret')}/versions/latest`);
    expect(Object.values(resourcesOf(json, 'google_secret_manager_secret_iam_member')).map((g) => g.secret_id)).toContain(ref(version, 'secret'));
  });

  test('an existing key secret by name: read in the router\'s project', () => {
    const { json } = standalone({
      region: 'us-central1',
      project: 'p-123456',
      network: { network: 'n', subnetwork: 's' },
      models: [{ id: 'own', provider: 'endpoint', model: 'llm' }],
      routes: [{ name: 'chat', targets: [{ model: 'own' }] }],
      endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'm', apiKeySecret: 'llm-key' } },
    });
    expect(envOf(json).AI_STACK_ENDPOINT_KEY_LLM).toBe('gcp-sm:projects/p-123456/secrets/llm-key/versions/latest');
  });

  test('an image of your own', () => {
    const { json } = standalone(vertexRouter({ image: 'europe-docker.pkg.dev/p/r/node@sha256:' + 'a'.repeat(64) }));
    expect(container(json).image).toBe('europe-docker.pkg.dev/p/r/node@sha256:' + 'a'.repeat(64));
    expect(defaultRouterImage('europe-west4')).toBe('europe-west4-docker.pkg.dev/serverless-runtimes/google-22/runtimes/nodejs22');
  });

  test('a router that serves no route on Google Cloud warns router-no-routes', () => {
    const { stack } = gcpTestStack();
    const router = new ModelRouter(stack, 'Router', {
      region: 'us-central1',
      models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
      routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
    });
    const warnings = warningsOf(router).join('\n');
    expect(warnings).toMatch(/\[ai-stack:router-no-routes\]/);
    expect(warnings).toMatch(/\[ai-stack:router-targets-elsewhere\] .*'haiku'.*the routes 'chat' are not served here/);
  });
});

describe('props refused, each with its path', () => {
  const endpointRouter = (overrides: Partial<ModelRouterProps> = {}): ModelRouterProps => ({
    region: 'us-central1',
    network: { network: 'n', subnetwork: 's' },
    models: [{ id: 'own', provider: 'endpoint', model: 'llm' }],
    routes: [{ name: 'chat', targets: [{ model: 'own' }] }],
    endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'm' } },
    ...overrides,
  });

  test.each<[string, Partial<ModelRouterProps>, string, string]>([
    ['a misspelled prop', { imgae: 'x' } as any, 'props.imgae', "did you mean 'image'"],
    ['a region that is not one', { region: 'us_central' }, 'props.region', "must be a Google Cloud region such as 'us-central1'"],
    ['GPU endpoints without a network', { network: undefined }, 'props.network', 'is required when the router calls GPU endpoints'],
    ['a self link for the network', { network: { network: 'https://www.googleapis.com/compute/v1/projects/p/global/networks/n', subnetwork: 's' } }, 'props.network.network', 'not a self link'],
    ['an endpoint target without its endpoint', { endpoints: {} }, 'props.models[0].model', "names no GPU endpoint (got 'llm')"],
    ['an endpoint no target calls', { endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'm' }, other: { url: 'http://10.0.0.6:8000', model: 'm' } } }, 'props.endpoints.other', 'no router target calls this endpoint'],
    ['an endpoint URL that is not one', { endpoints: { llm: { url: '10.0.0.5:8000', model: 'm' } } }, 'props.endpoints.llm.url', "must be the endpoint's http(s) URL"],
    ['a key secret with a version', { endpoints: { llm: { url: 'http://10.0.0.5:8000', model: 'm', apiKeySecret: 'projects/p/secrets/k/versions/2' } } }, 'props.endpoints.llm.apiKeySecret', "without a version (the router reads 'latest')"],
    ['too many requests per instance', { maxRequestsPerInstance: 1001 }, 'props.maxRequestsPerInstance', "from 1 to 1000, Cloud Run's limit"],
    ['more warm instances than the cap allows', { minInstances: 3 }, 'props.minInstances', 'must be at most the 2 instances'],
    ['a notification channel that is not one', { notificationChannels: ['ops@example.com'] }, 'props.notificationChannels[0]', "'projects/<project>/notificationChannels/<id>'"],
    ['a bundle that is not there', { bundlePath: '/nonexistent/index.js' }, 'props.bundlePath', 'must be the router bundle file'],
    ['a neutral rule (deadline over the timeout)', { deployment: { timeoutSeconds: 10 } }, 'props.routes[0].deadlineMs', 'must be at most router.deployment.timeoutSeconds'],
    ['a Vertex AI target in an AWS region', { models: [{ id: 'own', provider: 'endpoint', model: 'llm' }, { id: 'f', provider: 'vertex', model: 'gemini-2-5-flash', region: 'us-east-1' }] }, 'props.models[1].region', "must be a Google Cloud region for a Vertex AI target"],
    ['a prefix Cloud Storage refuses in a bucket name', { namePrefix: 'googly' }, 'props.namePrefix', "must not begin with 'goog'"],
    ['a service account that is not an email', { serviceAccountEmail: 'router' }, 'props.serviceAccountEmail', 'must be a service account email'],
  ])('%s', (_, overrides, problemPath, message) => {
    const error = designErrorOf(() => standalone(endpointRouter(overrides)));
    const problem = error.problems.find((p) => p.path === problemPath);
    expect({ path: problem?.path, message: problem?.message }).toEqual({ path: problemPath, message: expect.stringContaining(message) });
    expect(error.message).toContain('the props of test/Router');
  });

  test('tokens where the router is sized at synth', () => {
    const { stack } = gcpTestStack();
    const token = new (require('cdktf').TerraformVariable)(stack, 'n', { type: 'number' }).numberValue;
    const error = designErrorOf(() => new ModelRouter(stack, 'Router', vertexRouter({ deployment: { maxConcurrentRequests: token } })));
    expect(error.problems.map((p) => p.path)).toEqual(['props.deployment.maxConcurrentRequests']);
    expect(error.problems[0].message).toMatch(/must be a literal, not an unresolved token/);
  });
});

describe('ai-stack check sees the GCP router rules', () => {
  test('a Vertex AI target in a region Vertex does not have is a design problem on GCP only', () => {
    const d = design((x) => (x.router.models[1].region = 'us-east-1'));
    const error = designErrorOf(() => validateDesign(d, { clouds: ['gcp'] }));
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^router\.models\[1\]\.region: must be a Google Cloud region for a Vertex AI target/)]);
    expect(() => validateDesign(d, { clouds: ['aws'] })).not.toThrow();
    expect(() => validateDesign(design((x) => (x.router.models[1].region = 'global')), { clouds: ['gcp'] })).not.toThrow();
  });

  test("a design name that would put 'google' in the router's bucket name", () => {
    const error = designErrorOf(() => validateDesign(design((x) => (x.name = 'my-g00gle-ai')), { clouds: ['gcp'] }));
    expect(error.problems.map((p) => p.path)).toEqual(['name']);
    expect(() => validateDesign(design((x) => { x.name = 'my-g00gle-ai'; delete x.router; }), { clouds: ['gcp'] })).not.toThrow();
  });

  test('AiStack refuses the same design before building anything', () => {
    expect(() => stackOf(design((x) => (x.router.models[1].region = 'eu-west-1')))).toThrow(/router\.models\[1\]\.region: must be a Google Cloud region/);
  });
});

describe('docs/gcp/model-router.md', () => {
  test('the example synthesizes: endpoint and router share one key, every reference resolves', () => {
    const markdown = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'gcp', 'model-router.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    const { code } = require('@swc/core').transformSync(source, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdktf = require('cdktf');
    const apps: InstanceType<typeof cdktf.App>[] = [];
    const outdir = tmp('gcp-router-doc-');
    class DocApp extends cdktf.App {
      constructor() {
        super({ outdir, stackTraces: false });
        apps.push(this);
      }
      synth(): void {} // the test synthesizes below
    }
    const modules: Record<string, unknown> = { cdktf: { ...cdktf, App: DocApp }, 'ai-stack-constructs': require('../../lib/design'), 'ai-stack-constructs/gcp': require('../../lib/gcp') };
    new Function('require', 'exports', 'module', code)((id: string) => modules[id] ?? require(id), {}, { exports: {} });
    expect(apps).toHaveLength(1);
    const stack = apps[0].node.children.find((c: unknown) => c instanceof cdktf.TerraformStack);
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
    expect(unresolvedReferences(json)).toEqual([]);
    const env = envOf(json);
    expect(env.AI_STACK_ENDPOINT_URL_LLM).toMatch(/^http:\/\/\$\{google_compute_address\.[\w-]+\.address\}:8000$/);
    const keyVersion = Object.entries(resourcesOf(json, 'google_secret_manager_secret_version')).find(([, v]) => v.secret_data !== '{}')![0];
    expect(env.AI_STACK_ENDPOINT_KEY_LLM).toBe(`gcp-sm:\${google_secret_manager_secret_version.${keyVersion}.secret}/versions/latest`);
    for (const t of Object.values(resourcesOf(json, 'google_compute_instance_template'))) expect(t.metadata['startup-script']).toContain("read_secret 'VLLM_API_KEY'");
    expect(Object.keys(resourcesOf(json, 'google_compute_network'))).toHaveLength(1);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing, type TerraformResource, type TerraformStack } from 'cdktf';
import { collectProblems, type AiStackDesign } from '../../lib/design';
import { applyCostLabels } from '../../lib/gcp/cost-tags';
import { AiStack } from '../../lib/gcp/ai-stack';
import { chunkTextObject, EMBEDDER_PERMISSIONS, INDEX_WRITER_PERMISSIONS, JOB_RUNNER_ROLE, VectorStore, type VectorStoreProps } from '../../lib/gcp/vector-store';
import { INGEST_ENV } from '../../lib/ingest/deploy-env';
import { designErrorOf } from '../support/design-error';
import { bareDesign, oneEndpointDesign } from '../fixtures/designs';
import { gcpTestStack, resourcesOf, synthJson, unresolvedReferences, warningsOf, type TerraformJson } from './helpers';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
/** Bundle stand-in: the construct hashes and uploads the file, it never runs it. */
const BUNDLE_DIR = tmp('ai-stack-ingest-');
const BUNDLE = path.join(BUNDLE_DIR, 'index.js');
fs.writeFileSync(BUNDLE, '// ingestion bundle stand-in\n');

// AiStack finds the shipped bundle through ingestBundleDir('gcp'): here, the stand-in above (the real
// one is built by `npm run build:router`).
jest.mock('../../lib/common/router-bundle', () => {
  const actual = jest.requireActual('../../lib/common/router-bundle');
  return { ...actual, ingestBundleDir: (cloud: string) => (cloud === 'gcp' ? BUNDLE_DIR : actual.ingestBundleDir(cloud)) };
});

const APP_SA = 'rag-app@test-project.iam.gserviceaccount.com';

function build(overrides: Partial<VectorStoreProps> = {}, setup?: (vs: VectorStore, stack: TerraformStack) => void): { vs: VectorStore; json: TerraformJson; stack: TerraformStack } {
  const { stack } = gcpTestStack();
  const vs = new VectorStore(stack, 'Docs', { name: 'support-docs', region: 'us-central1', project: 'test-project', bundlePath: BUNDLE, ...overrides });
  setup?.(vs, stack);
  return { vs, json: synthJson(stack), stack };
}

const ref = (r: TerraformResource, attribute = 'id') => `\${${r.terraformResourceType}.${r.friendlyUniqueId}.${attribute}}`;
const only = (json: TerraformJson, type: string): Record<string, any> => {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
};
const byName = (json: TerraformJson, type: string, name: string): Record<string, any> => {
  const hit = Object.values(resourcesOf(json, type)).find((c) => c.name === name);
  if (!hit) throw new Error(`no ${type} named ${name}`);
  return hit;
};
const envOf = (job: Record<string, any>): Record<string, string> => Object.fromEntries(job.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
const decode = (body: string) => JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
const hours = (t: string) => {
  const m = /^(\d+)h$/.exec(t);
  if (!m) throw new Error(`not hours: ${t}`);
  return Number(m[1]);
};
const problemsOf = (overrides: Partial<VectorStoreProps>) => {
  const { stack } = gcpTestStack();
  return designErrorOf(() => new VectorStore(stack, 'Docs', { name: 'support-docs', region: 'us-central1', project: 'test-project', bundlePath: BUNDLE, ...overrides } as VectorStoreProps)).problems;
};

describe('VectorStore (GCP) with its defaults', () => {
  const { vs, json } = build({}, (v) => v.grantQuery(APP_SA));

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('the source bucket: uniform access, public access prevention enforced, versioned, kept while it holds documents', () => {
    const source = byName(json, 'google_storage_bucket', 'test-support-docs-docs-test-project');
    expect(source).toMatchObject({ location: 'us-central1', uniform_bucket_level_access: true, public_access_prevention: 'enforced', versioning: { enabled: true }, force_destroy: false });
    // Google-managed encryption by default: no key named.
    expect(source.encryption).toBeUndefined();
  });

  test('the state bucket: private, not versioned, destroyed with the stack; the bundle bucket private too', () => {
    const state = byName(json, 'google_storage_bucket', 'test-support-docs-state-test-project');
    expect(state).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced', force_destroy: true });
    expect(state.versioning).toBeUndefined();
    const code = byName(json, 'google_storage_bucket', 'test-support-docs-code-test-project');
    expect(code).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced' });
    for (const bucket of Object.values(resourcesOf(json, 'google_storage_bucket'))) expect(bucket.public_access_prevention).toBe('enforced');
  });

  test('the index: stream updates, the embedding model\'s 768 dimensions, cosine as dot product of unit vectors, tree-AH, long timeouts', () => {
    const index = only(json, 'google_vertex_ai_index');
    expect(index.index_update_method).toBe('STREAM_UPDATE');
    expect(index.metadata.config).toEqual({
      dimensions: 768,
      distance_measure_type: 'DOT_PRODUCT_DISTANCE',
      feature_norm_type: 'UNIT_L2_NORM',
      shard_size: 'SHARD_SIZE_SMALL',
      approximate_neighbors_count: 150,
      algorithm_config: { tree_ah_config: { leaf_node_embedding_count: 1000, leaf_nodes_to_search_percent: 10 } },
    });
    // Building the index takes an hour or more: Terraform must wait at least that long.
    expect(hours(index.timeouts.create)).toBeGreaterThanOrEqual(2);
    expect(hours(index.timeouts.update)).toBeGreaterThanOrEqual(2);
    const deployed = only(json, 'google_vertex_ai_index_endpoint_deployed_index');
    expect(hours(deployed.timeouts.create)).toBeGreaterThanOrEqual(2);
  });

  test('the endpoint is private: Private Service Connect from this project, no public endpoint, no peering', () => {
    const endpoint = only(json, 'google_vertex_ai_index_endpoint');
    expect(endpoint.public_endpoint_enabled).toBe(false);
    expect(endpoint.private_service_connect_config).toEqual({ enable_private_service_connect: true, project_allowlist: ['test-project'] });
    expect(endpoint.network).toBeUndefined();
    // The consumer side: an internal address in the construct's own subnetwork, forwarded to the deployed index's service attachment.
    const address = only(json, 'google_compute_address');
    expect(address).toMatchObject({ address_type: 'INTERNAL', subnetwork: ref(vs.subnetwork!), region: 'us-central1' });
    expect(only(json, 'google_compute_forwarding_rule')).toMatchObject({
      ip_address: ref(vs.pscAddress),
      network: ref(vs.network!),
      target: `\${${vs.deployedIndex.terraformResourceType}.${vs.deployedIndex.friendlyUniqueId}.private_endpoints[0].service_attachment}`,
      load_balancing_scheme: '',
    });
    expect(only(json, 'google_compute_subnetwork')).toMatchObject({ ip_cidr_range: '10.100.0.0/28', private_ip_google_access: true });
  });

  test('the deployed index: the index on one e2-standard-2 node', () => {
    const deployed = only(json, 'google_vertex_ai_index_endpoint_deployed_index');
    expect(deployed).toMatchObject({
      index: ref(vs.index),
      index_endpoint: ref(vs.indexEndpoint),
      deployed_index_id: 'test_support_docs',
      dedicated_resources: { machine_spec: { machine_type: 'e2-standard-2' }, min_replica_count: 1, max_replica_count: 1 },
    });
  });

  test('the job runs `node <mount>/<bundle> run` from the read-only bundle bucket, with the ingestion contract in its environment', () => {
    const job = only(json, 'google_cloud_run_v2_job');
    const container = job.template.template.containers[0];
    expect(container.command).toEqual(['node', `/ingest/test-ingest-${vs.bundleSha256}.js`]);
    expect(container.args).toEqual(['run']);
    expect(job.template.template.volumes).toEqual([{ name: 'ingest', gcs: { bucket: ref(vs.bundleBucket, 'name'), read_only: true } }]);
    expect(container.volume_mounts).toEqual([{ name: 'ingest', mount_path: '/ingest' }]);
    expect(only(json, 'google_storage_bucket_object').name).toBe(`test-ingest-${vs.bundleSha256}.js`);
    expect(envOf(job)).toEqual({
      [INGEST_ENV.name]: 'support-docs',
      [INGEST_ENV.chunking]: '{"strategy":"fixed","maxTokens":300,"overlapPercent":20}',
      [INGEST_ENV.embeddingModel]: 'text-embedding-005',
      [INGEST_ENV.embeddingModelId]: 'text-embedding-005',
      [INGEST_ENV.dimensions]: '768',
      [INGEST_ENV.distance]: 'cosine',
      // text-embedding-005 at $0.000025 per 1K input tokens (the model catalog): $0.025 per million.
      [INGEST_ENV.costPerMillionTokensUsd]: '0.025',
      [INGEST_ENV.project]: 'test-project',
      [INGEST_ENV.location]: 'us-central1',
      [INGEST_ENV.sourceBucket]: ref(vs.sourceBucket!, 'name'),
      [INGEST_ENV.stateBucket]: ref(vs.stateBucket, 'name'),
      [INGEST_ENV.vectorIndex]: ref(vs.index),
    });
    expect(job.template.template).toMatchObject({ service_account: ref(vs.serviceAccount!, 'email'), timeout: '10800s', max_retries: 1 });
    expect(job.template).toMatchObject({ task_count: 1, parallelism: 1 });
  });

  test('the refresh: the design\'s cron in UTC, POST jobs:run with an OAuth token of the invoker account', () => {
    const refresh = byName(json, 'google_cloud_scheduler_job', 'test-support-docs-refresh');
    expect(refresh).toMatchObject({ schedule: '0 3 * * *', time_zone: 'Etc/UTC', region: 'us-central1' });
    expect(refresh.http_target).toMatchObject({
      http_method: 'POST',
      uri: `https://run.googleapis.com/v2/projects/test-project/locations/us-central1/jobs/${ref(vs.job, 'name')}:run`,
      oauth_token: { service_account_email: ref(vs.invokerServiceAccount, 'email'), scope: 'https://www.googleapis.com/auth/cloud-platform' },
    });
    expect(decode(refresh.http_target.body)).toEqual({});
  });

  test('the probe: hourly, the same call with the container\'s args overridden to ["probe"]', () => {
    const probe = byName(json, 'google_cloud_scheduler_job', 'test-support-docs-freshness-probe');
    expect(probe).toMatchObject({ schedule: '0 * * * *', time_zone: 'Etc/UTC' });
    expect(probe.http_target.uri).toBe(`https://run.googleapis.com/v2/projects/test-project/locations/us-central1/jobs/${ref(vs.job, 'name')}:run`);
    expect(decode(probe.http_target.body)).toEqual({ overrides: { containerOverrides: [{ args: ['probe'] }] } });
    expect(probe.http_target.oauth_token.service_account_email).toBe(ref(vs.invokerServiceAccount, 'email'));
  });

  test('the invoker account may run this job, with overrides, and nothing else', () => {
    expect(only(json, 'google_cloud_run_v2_job_iam_member')).toEqual({ project: 'test-project', location: 'us-central1', name: ref(vs.job, 'name'), role: JOB_RUNNER_ROLE, member: ref(vs.invokerServiceAccount, 'member') });
    expect(JOB_RUNNER_ROLE).toBe('roles/run.jobsExecutorWithOverrides');
    const invoker = ref(vs.invokerServiceAccount, 'member');
    const elsewhere = [...Object.values(resourcesOf(json, 'google_project_iam_member')), ...Object.values(resourcesOf(json, 'google_storage_bucket_iam_member'))].filter((g) => g.member === invoker);
    expect(elsewhere).toEqual([]);
  });

  test("the job's grants: read the documents, objects of the state bucket, this index's datapoints, embeddings, logs", () => {
    const job = ref(vs.serviceAccount!, 'member');
    const buckets = Object.values(resourcesOf(json, 'google_storage_bucket_iam_member'))
      .filter((g) => g.member === job)
      .map((g) => [g.bucket, g.role, g.member, g.condition]);
    expect(buckets).toEqual(
      expect.arrayContaining([
        [ref(vs.sourceBucket!, 'name'), 'roles/storage.objectViewer', job, undefined],
        [ref(vs.stateBucket, 'name'), 'roles/storage.objectUser', job, undefined],
        [ref(vs.bundleBucket, 'name'), 'roles/storage.objectViewer', job, undefined],
      ]),
    );
    expect(buckets).toHaveLength(3);
    const project = Object.values(resourcesOf(json, 'google_project_iam_member'));
    expect(project.map((g) => g.role).sort()).toEqual([ref(vs.embedderRole!), ref(vs.indexWriterRole), 'roles/logging.logWriter'].sort());
    const writer = project.find((g) => g.role === ref(vs.indexWriterRole))!;
    expect(writer.condition.expression).toBe(`resource.name.endsWith("/locations/us-central1/indexes/${ref(vs.index, 'name')}")`);
    const roles = Object.values(resourcesOf(json, 'google_project_iam_custom_role'));
    expect(roles.map((r) => r.permissions).sort()).toEqual([[...EMBEDDER_PERMISSIONS], [...INDEX_WRITER_PERMISSIONS]].sort());
    expect(INDEX_WRITER_PERMISSIONS).toEqual(['aiplatform.indexes.update']);
    expect(EMBEDDER_PERMISSIONS).toEqual(['aiplatform.endpoints.predict']);
  });

  test('no project-wide storage or Vertex AI admin role, nor a basic role, anywhere', () => {
    const broad = /^roles\/(owner|editor|storage\.(admin|objectAdmin|objectUser|objectViewer)|aiplatform\.(admin|user))$/;
    for (const g of Object.values(resourcesOf(json, 'google_project_iam_member'))) expect(g.role).not.toMatch(broad);
  });

  test('log-based metrics of each run figure, failed runs, the index age and the probes, on this job\'s events', () => {
    const metrics = Object.values(resourcesOf(json, 'google_logging_metric'));
    const jobFilter = 'resource.type = "cloud_run_job" AND resource.labels.job_name = "test-support-docs-ingest" AND log_id("run.googleapis.com/stdout")';
    const extractors = Object.fromEntries(metrics.filter((m) => m.value_extractor).map((m) => [m.name, m.value_extractor]));
    expect(extractors).toEqual({
      'test-support-docs-ingest-documents-seen': 'EXTRACT(jsonPayload.documentsSeen)',
      'test-support-docs-ingest-documents-changed': 'EXTRACT(jsonPayload.documentsChanged)',
      'test-support-docs-ingest-documents-removed': 'EXTRACT(jsonPayload.documentsRemoved)',
      'test-support-docs-ingest-documents-skipped': 'EXTRACT(jsonPayload.documentsSkipped)',
      'test-support-docs-ingest-chunks-embedded': 'EXTRACT(jsonPayload.chunksEmbedded)',
      'test-support-docs-ingest-embedding-tokens': 'EXTRACT(jsonPayload.embeddingTokens)',
      'test-support-docs-ingest-cost': 'EXTRACT(jsonPayload.costUsd)',
      'test-support-docs-ingest-index-age': 'EXTRACT(jsonPayload.ageSeconds)',
    });
    for (const m of metrics) expect(m.filter.startsWith(jobFilter)).toBe(true);
    expect(byName(json, 'google_logging_metric', 'test-support-docs-ingest-documents-seen').filter).toBe(`${jobFilter} AND jsonPayload.event = "ai-stack.ingest.run" AND jsonPayload.outcome = "succeeded"`);
    expect(byName(json, 'google_logging_metric', 'test-support-docs-ingest-failed-runs')).toMatchObject({
      filter: `${jobFilter} AND jsonPayload.event = "ai-stack.ingest.run" AND jsonPayload.outcome = "failed"`,
      metric_descriptor: { metric_kind: 'DELTA', value_type: 'INT64' },
    });
    expect(byName(json, 'google_logging_metric', 'test-support-docs-ingest-index-age').filter).toBe(`${jobFilter} AND jsonPayload.event = "ai-stack.ingest.freshness" AND jsonPayload.ageSeconds:*`);
    expect(byName(json, 'google_logging_metric', 'test-support-docs-ingest-probes').filter).toBe(`${jobFilter} AND jsonPayload.event = "ai-stack.ingest.freshness"`);
  });

  test('alerts: any failed run; the index older than twice a day (172800 s); no probe for three hours', () => {
    const alerts = Object.values(resourcesOf(json, 'google_monitoring_alert_policy'));
    expect(alerts).toHaveLength(3);
    const type = (m: { friendlyUniqueId: string }) => `logging.googleapis.com/user/\${google_logging_metric.${m.friendlyUniqueId}.name}`;
    const failed = alerts.find((a) => a.display_name === 'test: ingestion of support-docs failed')!.conditions[0].condition_threshold;
    expect(failed).toMatchObject({ comparison: 'COMPARISON_GT', threshold_value: 0 });
    expect(failed.filter).toBe(`metric.type = "${type(vs.failedRunsMetric)}" AND resource.type = "cloud_run_job"`);
    const stale = alerts.find((a) => a.display_name === 'test: index support-docs is stale')!.conditions[0].condition_threshold;
    expect(stale).toMatchObject({ comparison: 'COMPARISON_GE', threshold_value: 172800 });
    expect(stale.filter).toBe(`metric.type = "${type(vs.indexAgeMetric)}" AND resource.type = "cloud_run_job"`);
    // The threshold is a bucket bound of the age metric, so a percentile cannot round an age at it below it.
    expect(byName(json, 'google_logging_metric', 'test-support-docs-ingest-index-age').bucket_options.explicit_buckets.bounds).toContain(172800);
    const absent = alerts.find((a) => a.display_name === 'test: no freshness probe of support-docs')!.conditions[0].condition_absent;
    expect(absent).toMatchObject({ duration: '10800s' });
    expect(absent.filter).toBe(`metric.type = "${type(vs.probesMetric)}" AND resource.type = "cloud_run_job"`);
    // No channels given: the alerts open incidents only.
    for (const a of alerts) expect(a.notification_channels).toEqual([]);
  });

  test('grantQuery: the deployed index accepts JWTs the account signs for its audience, and the account may sign them', () => {
    expect(only(json, 'google_vertex_ai_index_endpoint_deployed_index').deployed_index_auth_config).toEqual({ auth_provider: { audiences: ['ai-stack/test/support-docs'], allowed_issuers: [APP_SA] } });
    expect(vs.queryAudience).toBe('ai-stack/test/support-docs');
    expect(only(json, 'google_service_account_iam_member')).toEqual({
      service_account_id: `projects/test-project/serviceAccounts/${APP_SA}`,
      role: 'roles/iam.serviceAccountTokenCreator',
      member: `serviceAccount:${APP_SA}`,
    });
    expect(warningsOf(vs)).toEqual([]);
  });

  test('grantQuery: the account may read the chunk texts (objects under chunks/ of the state bucket) and nothing else of any bucket', () => {
    const app = Object.values(resourcesOf(json, 'google_storage_bucket_iam_member')).filter((g) => g.member === `serviceAccount:${APP_SA}`);
    const state = ref(vs.stateBucket, 'name');
    expect(app).toEqual([
      {
        bucket: state,
        role: 'roles/storage.objectViewer',
        member: `serviceAccount:${APP_SA}`,
        condition: { title: 'chunk texts only', description: expect.any(String), expression: `resource.name.startsWith("projects/_/buckets/${state}/objects/chunks/")` },
      },
    ]);
    // The prefix the condition names is where the runtime writes (the package's own mapping), slash included.
    expect(chunkTextObject(`${'a'.repeat(24)}-${'b'.repeat(16)}-3`).object).toBe(`chunks/${'a'.repeat(24)}-${'b'.repeat(16)}.json`);
    // Conditions on a bucket binding need uniform bucket-level access.
    expect(byName(json, 'google_storage_bucket', vs.names.stateBucket).uniform_bucket_level_access).toBe(true);
    expect(vs.grants).toEqual(expect.arrayContaining([expect.objectContaining({ friendlyUniqueId: expect.stringContaining('QueryChunkReader0') })]));
  });
});

describe('VectorStore (GCP): the design and the props', () => {
  test('the distance of each design value (cosine above): euclidean and dot product', () => {
    expect(only(build({ distance: 'euclidean' }).json, 'google_vertex_ai_index').metadata.config).toMatchObject({ distance_measure_type: 'SQUARED_L2_DISTANCE', feature_norm_type: 'NONE' });
    expect(only(build({ distance: 'dot-product' }).json, 'google_vertex_ai_index').metadata.config).toMatchObject({ distance_measure_type: 'DOT_PRODUCT_DISTANCE', feature_norm_type: 'NONE' });
  });

  test("a weekly refresh: the stale threshold is twice a week, the job env carries the design's chunking", () => {
    const { vs, json } = build({ refreshSchedule: '30 4 * * 1', chunking: { strategy: 'none' } });
    expect(byName(json, 'google_cloud_scheduler_job', 'test-support-docs-refresh').schedule).toBe('30 4 * * 1');
    expect(vs.staleAfterSeconds).toBe(2 * 7 * 86400);
    const stale = Object.values(resourcesOf(json, 'google_monitoring_alert_policy')).find((a) => a.display_name.endsWith('is stale'))!;
    expect(stale.conditions[0].condition_threshold.threshold_value).toBe(1209600);
    expect(JSON.parse(envOf(only(json, 'google_cloud_run_v2_job'))[INGEST_ENV.chunking])).toEqual({ strategy: 'none', maxTokens: 300, overlapPercent: 20 });
  });

  test('sizes, timeouts, retries, channels and prices from the props', () => {
    const channel = 'projects/test-project/notificationChannels/123';
    const { json } = build({
      machineType: 'e2-standard-16',
      shardSize: 'SHARD_SIZE_MEDIUM',
      minReplicas: 2,
      maxReplicas: 4,
      taskTimeoutSeconds: 7200,
      maxRetries: 3,
      notificationChannels: [channel],
      modelPrices: { 'text-embedding-005': { inputPer1kUsd: 0.0001 } },
    });
    expect(only(json, 'google_vertex_ai_index_endpoint_deployed_index').dedicated_resources).toEqual({ machine_spec: { machine_type: 'e2-standard-16' }, min_replica_count: 2, max_replica_count: 4 });
    expect(only(json, 'google_vertex_ai_index').metadata.config.shard_size).toBe('SHARD_SIZE_MEDIUM');
    const job = only(json, 'google_cloud_run_v2_job');
    expect(job.template.template).toMatchObject({ timeout: '7200s', max_retries: 3 });
    expect(envOf(job)[INGEST_ENV.costPerMillionTokensUsd]).toBe('0.1');
    for (const a of Object.values(resourcesOf(json, 'google_monitoring_alert_policy'))) expect(a.notification_channels).toEqual([channel]);
  });

  test('without a query account the index checks no JWT, and synth warns', () => {
    const { vs, json } = build();
    expect(only(json, 'google_vertex_ai_index_endpoint_deployed_index').deployed_index_auth_config).toBeUndefined();
    expect(warningsOf(vs)).toEqual([expect.stringContaining('[ai-stack:vector-store-no-query-identity] no service account may query')]);
  });

  test('grantQuery refuses what is not a service account', () => {
    const { stack } = gcpTestStack();
    const vs = new VectorStore(stack, 'Docs', { name: 'support-docs', region: 'us-central1', project: 'test-project', bundlePath: BUNDLE });
    expect(designErrorOf(() => vs.grantQuery('alice@example.com')).problems).toEqual([{ path: 'serviceAccountEmail', message: expect.stringContaining("must be a service account's email") }]);
  });

  test('queryServiceAccounts is grantQuery for each account', () => {
    const other = 'rag-worker@test-project.iam.gserviceaccount.com';
    const { json } = build({ queryServiceAccounts: [APP_SA] }, (v) => v.grantQuery(other));
    expect(only(json, 'google_vertex_ai_index_endpoint_deployed_index').deployed_index_auth_config.auth_provider.allowed_issuers).toEqual([APP_SA, other]);
    expect(Object.values(resourcesOf(json, 'google_service_account_iam_member')).map((g) => g.member)).toEqual([`serviceAccount:${APP_SA}`, `serviceAccount:${other}`]);
    const readers = Object.values(resourcesOf(json, 'google_storage_bucket_iam_member')).filter((g) => g.condition?.title === 'chunk texts only');
    expect(readers.map((g) => g.member)).toEqual([`serviceAccount:${APP_SA}`, `serviceAccount:${other}`]);
  });

  test('a customer-managed key: both created buckets use it, and the Cloud Storage agent may use it', () => {
    const key = 'projects/test-project/locations/us-central1/keyRings/rag/cryptoKeys/docs';
    const { json } = build({ encryptionKey: key });
    for (const name of ['test-support-docs-docs-test-project', 'test-support-docs-state-test-project']) expect(byName(json, 'google_storage_bucket', name).encryption).toEqual({ default_kms_key_name: key });
    const grant = only(json, 'google_kms_crypto_key_iam_member');
    expect(grant).toMatchObject({ crypto_key_id: key, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter' });
    expect(grant.member).toMatch(/^\$\{data\.google_storage_project_service_account\.\w+\.member\}$/);
    expect(resourcesOf(json, 'google_kms_crypto_key')).toEqual({});
  });

  test('createEncryptionKey: a key ring and a rotated key of its own', () => {
    const { vs, json } = build({ createEncryptionKey: true });
    expect(only(json, 'google_kms_crypto_key')).toMatchObject({ key_ring: ref(vs.keyRing!), purpose: 'ENCRYPT_DECRYPT', rotation_period: '7776000s' });
    expect(byName(json, 'google_storage_bucket', 'test-support-docs-docs-test-project').encryption).toEqual({ default_kms_key_name: ref(vs.cryptoKey!) });
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('bring your own source bucket, job service account and network', () => {
    const sa = 'ingest@test-project.iam.gserviceaccount.com';
    const network = { network: 'projects/test-project/global/networks/apps', subnetwork: 'projects/test-project/regions/us-central1/subnetworks/apps' };
    const { vs, json } = build({ sourceBucket: 'my-docs', serviceAccountEmail: sa, network });
    expect(Object.values(resourcesOf(json, 'google_storage_bucket')).map((b) => b.name).sort()).toEqual(['test-support-docs-code-test-project', 'test-support-docs-state-test-project']);
    expect(vs.sourceBucketName).toBe('my-docs');
    const job = only(json, 'google_cloud_run_v2_job');
    expect(envOf(job)[INGEST_ENV.sourceBucket]).toBe('my-docs');
    expect(job.template.template.service_account).toBe(sa);
    expect(resourcesOf(json, 'google_service_account')).toEqual({ [vs.invokerServiceAccount.friendlyUniqueId]: expect.anything() });
    const member = `serviceAccount:${sa}`;
    expect(Object.values(resourcesOf(json, 'google_storage_bucket_iam_member')).find((g) => g.bucket === 'my-docs')).toMatchObject({ role: 'roles/storage.objectViewer', member });
    // No project-wide role for the caller's account: only the index writer, conditioned on this index.
    expect(Object.values(resourcesOf(json, 'google_project_iam_member')).map((g) => [g.role, g.member])).toEqual([[ref(vs.indexWriterRole), member]]);
    expect(resourcesOf(json, 'google_compute_network')).toEqual({});
    expect(resourcesOf(json, 'google_compute_subnetwork')).toEqual({});
    expect(only(json, 'google_compute_address').subnetwork).toBe(network.subnetwork);
    expect(only(json, 'google_compute_forwarding_rule').network).toBe(network.network);
  });

  test('every resource that takes labels carries the cost labels', () => {
    const labels = applyCostLabelsFor();
    const { json } = build({}, (_v, stack) => applyCostLabels(stack, labels));
    let labelled = 0;
    for (const type of ['google_storage_bucket', 'google_vertex_ai_index', 'google_vertex_ai_index_endpoint', 'google_cloud_run_v2_job', 'google_compute_address', 'google_compute_forwarding_rule']) {
      for (const r of Object.values(resourcesOf(json, type))) {
        expect(r.labels).toMatchObject({ team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' });
        labelled++;
      }
    }
    expect(labelled).toBe(8);
  });
});

function applyCostLabelsFor() {
  return { team: 'ml-platform', costCenter: 'cc-1', environment: 'test', application: 'demo' };
}

describe('VectorStore (GCP): what it refuses, in synth and in `ai-stack check`', () => {
  test("hierarchical and semantic chunking are Bedrock's: refused on GCP with the field's path", () => {
    for (const strategy of ['hierarchical', 'semantic'] as const) {
      expect(problemsOf({ chunking: { strategy } })).toEqual([{ path: 'props.chunking.strategy', message: expect.stringContaining(`'${strategy}' chunking is Amazon Bedrock's and is not offered on Google Cloud`) }]);
      const design: AiStackDesign = { ...bareDesign(), vectorStore: { name: 'docs', chunking: { strategy } } };
      expect(collectProblems(design, { clouds: ['gcp'] }).all).toContainEqual({ path: 'vectorStore.chunking.strategy', message: expect.stringContaining("use 'fixed'") });
      expect(collectProblems(design, { clouds: ['aws'] }).count).toBe(0);
    }
  });

  test("chunks longer than the embedding model's input are refused on GCP", () => {
    expect(problemsOf({ chunking: { maxTokens: 4000 } })).toEqual([{ path: 'props.chunking.maxTokens', message: expect.stringContaining("must be at most 2048 on Google Cloud: 'text-embedding-005' embeds at most 2048 input tokens") }]);
    const design: AiStackDesign = { ...bareDesign(), vectorStore: { name: 'docs', chunking: { maxTokens: 4000 } } };
    expect(collectProblems(design, { clouds: ['gcp'] }).all.map((p) => p.path)).toEqual(['vectorStore.chunking.maxTokens']);
  });

  test("names Cloud Storage refuses in a bucket name", () => {
    expect(problemsOf({ name: 'google-docs' })).toEqual([{ path: 'props.name', message: expect.stringContaining("must not begin with 'goog' or contain 'google'") }]);
    const design: AiStackDesign = { ...bareDesign(), name: 'googly', vectorStore: { name: 'docs' } };
    expect(collectProblems(design, { clouds: ['gcp'] }).all.map((p) => p.path)).toEqual(['name']);
  });

  test.each([
    ['both keys', { encryptionKey: 'projects/p/locations/us/keyRings/r/cryptoKeys/k', createEncryptionKey: true }, 'props.createEncryptionKey', 'cannot be true together with encryptionKey'],
    ['a malformed key', { encryptionKey: 'my-key' }, 'props.encryptionKey', 'must be a Cloud KMS key id'],
    ['a gs:// source', { sourceBucket: 'gs://docs' }, 'props.sourceBucket', 'must be a Cloud Storage bucket name'],
    ['a subnet range with a network', { network: { network: 'n', subnetwork: 's' }, subnetCidr: '10.0.0.0/28' }, 'props.subnetCidr', 'applies only to the network the construct creates'],
    ['fewer nodes at most than at least', { minReplicas: 3, maxReplicas: 2 }, 'props.maxReplicas', 'must be at least minReplicas (2 < 3)'],
    ['e2-standard-2 on a medium shard', { shardSize: 'SHARD_SIZE_MEDIUM' }, 'props.machineType', "'e2-standard-2' serves only SHARD_SIZE_SMALL indexes"],
    ['a task timeout over Cloud Run\'s limit', { taskTimeoutSeconds: 200 * 3600 }, 'props.taskTimeoutSeconds', "168-hour limit"],
    ['a query account that is no service account', { queryServiceAccounts: ['alice@example.com'] }, 'props.queryServiceAccounts[0]', "must be a service account's email"],
    ['a misspelled prop', { sourceBuckt: 'x' }, 'props.sourceBuckt', 'sourceBucket'],
  ] as [string, Record<string, unknown>, string, string][])('%s', (_what, overrides, at, message) => {
    expect(problemsOf(overrides as Partial<VectorStoreProps>)).toContainEqual({ path: at, message: expect.stringContaining(message) });
  });
});

describe('gcp.AiStack with a vector store', () => {
  test("builds it with the stack's name and region, the budget's email channels, and outputs", () => {
    const design: AiStackDesign = {
      ...bareDesign(),
      accounts: { gcp: 'my-project-1' },
      vectorStore: { name: 'support-docs' },
      budget: { monthlyLimitUsd: 1000, notifyEmails: ['ops@example.com'], billingAccountId: '01D4EE-079462-DFD6EC' },
    };
    const stack = new AiStack(Testing.app(), 'rag', { design });
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson & { output: Record<string, { value: string }> };
    expect(unresolvedReferences(json)).toEqual([]);
    const vs = stack.vectorStore!;
    expect(vs.namePrefix).toBe('bare-ai');
    expect(only(json, 'google_cloud_run_v2_job').location).toBe('us-central1');
    const channels = stack.budget!.emailChannels.map((c) => ref(c));
    expect(channels).toHaveLength(1);
    for (const a of Object.values(resourcesOf(json, 'google_monitoring_alert_policy')).filter((p) => p.display_name.includes('support-docs'))) expect(a.notification_channels).toEqual(channels);
    expect(json.output['vector-store-source-bucket'].value).toBe(ref(vs.sourceBucket!, 'name'));
    expect(json.output['vector-store-index-endpoint'].value).toBe(ref(vs.indexEndpoint));
    expect(json.output['vector-store-deployed-index-id'].value).toBe(ref(vs.deployedIndex, 'deployed_index_id'));
    expect(json.output['vector-store-query-address'].value).toBe(ref(vs.pscAddress, 'address'));
    // The stack's cost labels reach the vector store's resources.
    expect(only(json, 'google_vertex_ai_index').labels).toMatchObject({ application: 'demo', team: 'ml-platform' });
  });
});

describe('gcp.AiStack with GPU endpoints and a vector store', () => {
  test("the Private Service Connect endpoint goes into the stack's network, where the GPU endpoints are", () => {
    const design: AiStackDesign = { ...oneEndpointDesign(), accounts: { gcp: 'my-project-1' }, vectorStore: { name: 'support-docs' } };
    const stack = new AiStack(Testing.app(), 'rag', { design });
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
    expect(unresolvedReferences(json)).toEqual([]);
    const vs = stack.vectorStore!;
    expect(vs.network).toBeUndefined();
    expect(byName(json, 'google_compute_address', vs.names.pscEndpoint).subnetwork).toBe(ref(stack.network!.subnetwork));
    expect(byName(json, 'google_compute_forwarding_rule', vs.names.pscEndpoint).network).toBe(ref(stack.network!.network));
    expect(Object.keys(resourcesOf(json, 'google_compute_network'))).toHaveLength(1);
  });
});

describe('docs/gcp/vector-store.md', () => {
  test('the example synthesizes, with every reference resolved', () => {
    const markdown = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'gcp', 'vector-store.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    expect(source).toContain("new VectorStore(this, 'Docs', {");
    // The shipped bundle may not be built in a checkout: the example runs against the stand-in.
    const patched = source.replace("new VectorStore(this, 'Docs', {", "new VectorStore(this, 'Docs', { bundlePath: BUNDLE_PATH,");
    const { code } = require('@swc/core').transformSync(patched, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdktf = require('cdktf');
    const apps: InstanceType<typeof cdktf.App>[] = [];
    const outdir = tmp('gcp-vector-store-doc-');
    class DocApp extends cdktf.App {
      constructor() {
        super({ outdir, stackTraces: false });
        apps.push(this);
      }
      synth(): void {} // the test synthesizes below
    }
    const modules: Record<string, unknown> = { cdktf: { ...cdktf, App: DocApp }, 'ai-stack-constructs/gcp': require('../../lib/gcp') };
    new Function('require', 'exports', 'module', 'BUNDLE_PATH', code)((id: string) => modules[id] ?? require(id), {}, { exports: {} }, BUNDLE);
    const stack = apps[0].node.children.find((c: unknown) => c instanceof cdktf.TerraformStack);
    const json = synthJson(stack);
    expect(unresolvedReferences(json)).toEqual([]);
    // The names and the audience the page's query shows.
    expect(only(json, 'google_vertex_ai_index_endpoint_deployed_index')).toMatchObject({
      deployed_index_id: 'rag_support_docs',
      deployed_index_auth_config: { auth_provider: { audiences: ['ai-stack/rag/support-docs'], allowed_issuers: ['support-api@my-project.iam.gserviceaccount.com'] } },
    });
    expect(only(json, 'google_compute_subnetwork').ip_cidr_range).toBe('10.100.0.0/28');
    expect(JSON.parse(envOf(only(json, 'google_cloud_run_v2_job'))[INGEST_ENV.chunking])).toEqual({ strategy: 'fixed', maxTokens: 400, overlapPercent: 15 });
  });
});

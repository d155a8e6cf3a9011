// The freshness probe against a local Bedrock Agent API (bedrock-agent-fake.ts), through the real SDK
// client pointed at it: what it publishes, which window it counts, how far it pages, and how it fails.
import { FRESHNESS_EVENT, INGEST_ENV, PROBE_INTERVAL_SECONDS, RUN_EVENT } from '../../../lib/ingest/deploy-env';
import { AWS_PROBE_ENV } from '../../../lib/ingest/aws/deploy-env';
import { handler, probeFromEnv, sdkLister, windowEndOf } from '../../../lib/ingest/aws/entry';
import { probeFreshness } from '../../../lib/ingest/aws/probe';
import { FakeBedrockAgent, type FakeJob } from './bedrock-agent-fake';

const KB = 'KB12345678';
const DS = 'DS12345678';
const NAMESPACE = 'AiStack/VectorStore/support-ai';
const HOUR = PROBE_INTERVAL_SECONDS * 1000;
const T = Date.parse('2026-12-01T10:00:00.000Z'); // the schedule's time of the probe under test

let fake: FakeBedrockAgent;
let env: Record<string, string>;

beforeEach(async () => {
  fake = new FakeBedrockAgent(KB, DS);
  const base = await fake.start();
  env = {
    [INGEST_ENV.name]: 'support-docs',
    [AWS_PROBE_ENV.knowledgeBaseId]: KB,
    [AWS_PROBE_ENV.dataSourceId]: DS,
    [AWS_PROBE_ENV.metricsNamespace]: NAMESPACE,
    [AWS_PROBE_ENV.dataSourceCreatedAt]: '2026-11-30T08:00:00.123456Z',
    [INGEST_ENV.apiBases]: JSON.stringify({ bedrockAgent: base }),
  };
});
afterEach(() => fake.stop());

const at = (offsetSeconds: number) => new Date(T + offsetSeconds * 1000);
let ids = 0;
function job(status: FakeJob['status'], startedSeconds: number, updatedSeconds: number, statistics?: Record<string, number>): FakeJob {
  return { ingestionJobId: `JOB${String(++ids).padStart(7, '0')}`, status, startedAt: at(startedSeconds), updatedAt: at(updatedSeconds), statistics };
}

/** One probe run through the real SDK client, as the schedule invokes it at `scheduled`, `late` seconds after. */
async function probe(scheduled = T, late = 20, options: { pageSize?: number } = {}) {
  const lines: Record<string, any>[] = [];
  const list = sdkLister(env, { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const paged = options.pageSize ? ((page: Parameters<typeof list>[0]) => list({ ...page, maxResults: options.pageSize! })) : list;
  const result = await probeFromEnv({ scheduledTime: new Date(scheduled).toISOString() }, env, paged, new Date(scheduled + late * 1000), (l) => lines.push(JSON.parse(l)));
  const freshness = lines.filter((l) => l.event === FRESHNESS_EVENT);
  expect(freshness).toHaveLength(1);
  return { result, lines, freshness: freshness[0], runs: lines.filter((l) => l.event === RUN_EVENT) };
}

/** The metrics an EMF line declares, each with the value of its member. */
function emfMetrics(line: Record<string, any>): Record<string, number> {
  const [directive] = line._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe(NAMESPACE);
  expect(directive.Dimensions).toEqual([['VectorStore']]);
  expect(line.VectorStore).toBe('support-docs');
  return Object.fromEntries(directive.Metrics.map((m: { Name: string }) => [m.Name, line[m.Name]]));
}

describe('the freshness probe', () => {
  test('IndexAgeSeconds: now minus the last completed job\'s end, not a newer failed or running job\'s', async () => {
    fake.jobs = [job('COMPLETE', -30 * 3600, -29 * 3600), job('COMPLETE', -6 * 3600, -5 * 3600), job('FAILED', -4 * 3600, -3.5 * 3600), job('IN_PROGRESS', -600, -60)];
    const { freshness, result } = await probe();
    // Probed 20 s after the schedule's time: 5 h + 20 s since the newest COMPLETE job ended.
    expect(emfMetrics(freshness)).toEqual({ IndexAgeSeconds: 5 * 3600 + 20, FailedIngestionJobs: 0, CompletedIngestionJobs: 0 });
    expect(freshness).toMatchObject({ severity: 'INFO', name: 'support-docs', lastSuccessAt: at(-5 * 3600).toISOString(), ageSeconds: 5 * 3600 + 20 });
    expect(freshness._aws.Timestamp).toBe(T + 20_000);
    expect(result.indexAgeSeconds).toBe(5 * 3600 + 20);
    // Newest first, as the stop-early rule relies on.
    expect(fake.requests[0].body.sortBy).toEqual({ attribute: 'STARTED_AT', order: 'DESCENDING' });
    expect(fake.requests[0].path).toBe(`/knowledgebases/${KB}/datasources/${DS}/ingestionjobs/`);
  });

  test('before any job completed: the age runs from the data source\'s creation; without that time it is left out', async () => {
    fake.jobs = [job('FAILED', -7200, -7000)];
    const created = Date.parse('2026-11-30T08:00:00.123Z');
    const { freshness } = await probe();
    expect(freshness.IndexAgeSeconds).toBe(Math.round((T + 20_000 - created) / 1000));
    expect(freshness.lastSuccessAt).toBeUndefined();

    delete env[AWS_PROBE_ENV.dataSourceCreatedAt];
    const without = await probe();
    expect(emfMetrics(without.freshness)).toEqual({ FailedIngestionJobs: 0, CompletedIngestionJobs: 0 });
    expect('IndexAgeSeconds' in without.freshness || 'ageSeconds' in without.freshness).toBe(false);
  });

  test('FailedIngestionJobs: jobs that ended FAILED in the hour up to the schedule\'s time, so consecutive probes count each failure once', async () => {
    const completed = job('COMPLETE', -50 * 3600, -49 * 3600);
    const onBoundary = job('FAILED', -3 * 3600, -3600); // ended exactly at the previous probe's time: its failure
    const justAfter = job('FAILED', -3599, -3599 + 1);
    const atTime = job('FAILED', -1800, 0);
    const afterTime = job('FAILED', 5, 10); // ended after this probe's schedule time, before it ran: the next probe's
    fake.jobs = [completed, onBoundary, justAfter, atTime, afterTime];
    const { freshness, runs } = await probe(T, 20);
    expect(emfMetrics(freshness).FailedIngestionJobs).toBe(2);
    expect(runs.map((r) => r.ingestionJobId)).toEqual([justAfter.ingestionJobId, atTime.ingestionJobId]);
    expect(runs[0]).toMatchObject({ severity: 'ERROR', outcome: 'failed', name: 'support-docs', startedAt: justAfter.startedAt.toISOString(), finishedAt: justAfter.updatedAt.toISOString() });
    expect(runs[0].error).toContain(`get-ingestion-job --knowledge-base-id ${KB} --data-source-id ${DS} --ingestion-job-id ${justAfter.ingestionJobId}`);

    // Over three consecutive probes every failure is counted exactly once.
    const counts = [];
    for (const scheduled of [T - HOUR, T, T + HOUR]) counts.push((await probe(scheduled, 20)).freshness.FailedIngestionJobs);
    expect(counts).toEqual([1, 2, 1]);
  });

  test('each job completed in the window: a run event with Bedrock\'s statistics, and those as metrics at the job\'s end', async () => {
    const done = job('COMPLETE', -1200, -300, {
      numberOfDocumentsScanned: 100,
      numberOfNewDocumentsIndexed: 3,
      numberOfModifiedDocumentsIndexed: 2,
      numberOfDocumentsDeleted: 4,
      numberOfDocumentsFailed: 1,
      numberOfMetadataDocumentsScanned: 0,
    });
    fake.jobs = [job('COMPLETE', -30 * 3600, -29 * 3600, { numberOfDocumentsScanned: 99 }), done];
    const { runs, freshness } = await probe();
    expect(runs).toHaveLength(1);
    expect(emfMetrics(runs[0])).toEqual({ DocumentsScanned: 100, DocumentsChanged: 5, DocumentsRemoved: 4, DocumentsFailed: 1 });
    expect(runs[0]._aws.Timestamp).toBe(done.updatedAt.getTime());
    expect(runs[0]).toMatchObject({
      severity: 'INFO',
      outcome: 'succeeded',
      ingestionJobId: done.ingestionJobId,
      startedAt: done.startedAt.toISOString(),
      finishedAt: done.updatedAt.toISOString(),
      lastSuccessAt: done.updatedAt.toISOString(),
      documentsSeen: 100,
      documentsChanged: 5,
      documentsRemoved: 4,
    });
    // Bedrock reports neither: left out rather than made up.
    expect(runs[0]).not.toHaveProperty('chunksEmbedded');
    expect(runs[0]).not.toHaveProperty('embeddingTokens');
    expect(emfMetrics(freshness)).toMatchObject({ CompletedIngestionJobs: 1, IndexAgeSeconds: 320 });
  });

  test('pages only as far as needed: stops once it has the last completed job and a job started before the window', async () => {
    // Newest first: three failures in the window, one before it, the last completed job, then 30 older ones.
    fake.jobs = [
      ...Array.from({ length: 30 }, (_, i) => job('COMPLETE', -(100 + i) * 3600, -(100 + i) * 3600 + 600)),
      job('COMPLETE', -2 * 3600, -2 * 3600 + 900),
      job('FAILED', -5400, -5000),
      job('FAILED', -3000, -2900),
      job('FAILED', -2000, -1900),
      job('FAILED', -1000, -900),
    ];
    const { freshness } = await probe(T, 20, { pageSize: 2 });
    // Page 1: two failures in the window; page 2: one more, and one started before the window; page 3:
    // the last completed job. Nothing older is read.
    expect(fake.requests).toHaveLength(3);
    expect(freshness.IndexAgeSeconds).toBe(2 * 3600 - 900 + 20);
    expect(freshness.FailedIngestionJobs).toBe(3);
    expect(fake.requests[1].body.nextToken).toBeDefined();
    expect(fake.requests.map((r) => r.body.maxResults)).toEqual([2, 2, 2]);
  });

  test('a completed job on the first page is not enough: it reads on while jobs still started inside the window', async () => {
    fake.jobs = [
      job('FAILED', -8000, -7000),
      job('FAILED', -5000, -4000),
      job('FAILED', -2500, -2000), // page 2: still in the window
      job('COMPLETE', -1500, -1000), // page 1: the last completed job
      job('FAILED', -200, -100), // page 1
    ];
    const { freshness } = await probe(T, 20, { pageSize: 2 });
    expect(freshness.FailedIngestionJobs).toBe(2);
    expect(freshness.IndexAgeSeconds).toBe(1020);
    // Page 2 holds the first job started before the window (at -5000 s); page 3 is never asked for.
    expect(fake.requests).toHaveLength(2);
  });

  test('stops after the first page when it already holds a completed job started before the window', async () => {
    fake.jobs = Array.from({ length: 40 }, (_, i) => job('COMPLETE', -(i + 2) * 3600, -(i + 2) * 3600 + 600));
    await probe(T, 20, { pageSize: 5 });
    expect(fake.requests).toHaveLength(1);
  });

  test('with no completed job at all it reads every page, then ages the index from the data source\'s creation', async () => {
    fake.jobs = Array.from({ length: 7 }, (_, i) => job('FAILED', -(i + 2) * 3600, -(i + 2) * 3600 + 60));
    const { freshness } = await probe(T, 20, { pageSize: 3 });
    expect(fake.requests).toHaveLength(3);
    expect(freshness.IndexAgeSeconds).toBe(Math.round((T + 20_000 - Date.parse('2026-11-30T08:00:00.123Z')) / 1000));
  });

  test('past maxPages without a completed job, the oldest job read bounds the age from below', async () => {
    fake.jobs = Array.from({ length: 9 }, (_, i) => job('FAILED', -(i + 2) * 86400, -(i + 2) * 86400 + 60));
    const lines: string[] = [];
    const list = sdkLister(env, { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
    const result = await probeFreshness({
      name: 'support-docs',
      knowledgeBaseId: KB,
      dataSourceId: DS,
      namespace: NAMESPACE,
      dataSourceCreatedAt: '2020-01-01T00:00:00Z',
      list,
      now: new Date(T),
      pageSize: 2,
      maxPages: 2,
      sink: (l) => lines.push(l),
    });
    expect(fake.requests).toHaveLength(2);
    // The 4th newest job started 5 days ago; the data source's creation is not the age, since older pages went unread.
    expect(result.indexAgeSeconds).toBe(5 * 86400);
  });

  test('a throttled call is retried by the SDK and the probe completes', async () => {
    fake.jobs = [job('COMPLETE', -7200, -7000)];
    fake.failNext.push({ status: 429, type: 'ThrottlingException', message: 'Rate exceeded' });
    const { freshness } = await probe();
    expect(fake.requests).toHaveLength(2);
    expect(freshness.IndexAgeSeconds).toBe(7020);
  });

  test('access denied fails the invocation (the SDK\'s AccessDeniedException) and publishes nothing', async () => {
    fake.jobs = [job('COMPLETE', -7200, -7000)];
    fake.failNext.push({ status: 403, type: 'AccessDeniedException', message: `User: arn:aws:sts::123456789012:assumed-role/probe is not authorized to perform: bedrock:ListIngestionJobs on resource: arn:aws:bedrock:us-east-1:123456789012:knowledge-base/${KB}` });
    const lines: string[] = [];
    const list = sdkLister(env, { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
    const error = await probeFromEnv({}, env, list, new Date(T), (l) => lines.push(l)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toContain('bedrock:ListIngestionJobs');
    // Not retried: access denied is not transient.
    expect(fake.requests).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  test('a deployment missing a variable names it', async () => {
    delete env[AWS_PROBE_ENV.knowledgeBaseId];
    await expect(probeFromEnv({}, env, async () => ({}))).rejects.toThrow(`the freshness probe needs ${AWS_PROBE_ENV.knowledgeBaseId}`);
  });
});

describe('the Lambda handler', () => {
  test('reads the deployment\'s environment (credentials from the runtime\'s variables) and writes each line raw to stdout', async () => {
    // The handler reads the real clock.
    fake.jobs = [{ ingestionJobId: 'JOB9999999', status: 'COMPLETE', startedAt: new Date(Date.now() - 7_200_000), updatedAt: new Date(Date.now() - 7_000_000) }];
    const saved = { ...process.env };
    Object.assign(process.env, env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const scheduled = new Date(Date.now() - 60_000);
      const result = await handler({ scheduledTime: scheduled.toISOString() });
      expect(result.windowEnd).toBe(scheduled.toISOString());
      expect(result.indexAgeSeconds).toBeGreaterThanOrEqual(7000);
      expect(result.indexAgeSeconds).toBeLessThan(7100);
    } finally {
      write.mockRestore();
      process.env = saved;
    }
    // One JSON object per write, nothing before it: what Embedded Metric Format extraction reads.
    const lines = written.filter((w) => w.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('}\n')).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({ event: FRESHNESS_EVENT, _aws: { CloudWatchMetrics: [{ Namespace: NAMESPACE }] } });
    expect(fake.requests[0].authorization).toContain('Credential=AKIDTEST/');
  });
});

describe('windowEndOf', () => {
  const now = new Date(T);
  test('the schedule\'s time, or now for an invocation without one (or with a time ahead of now)', () => {
    expect(windowEndOf({ scheduledTime: '2026-12-01T09:59:00Z' }, now)).toEqual(new Date('2026-12-01T09:59:00Z'));
    expect(windowEndOf({}, now)).toBe(now);
    expect(windowEndOf({ scheduledTime: 'soon' }, now)).toBe(now);
    expect(windowEndOf({ scheduledTime: '2026-12-01T11:00:00Z' }, now)).toBe(now);
    expect(windowEndOf(null, now)).toBe(now);
  });
});

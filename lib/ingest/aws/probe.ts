// The AWS vector store's freshness probe. Bedrock knowledge-base ingestion jobs publish no CloudWatch
// metric or event of their own, so every PROBE_INTERVAL_SECONDS this probe lists the data source's
// ingestion jobs (newest first) and writes, as Embedded Metric Format lines that CloudWatch Logs turns
// into metrics: the index's age, the jobs that failed since the previous probe, and the statistics of
// each job that completed since then. It keeps no state: "since the previous probe" is the window of
// one probe interval ending at the schedule's time, which the next probe's window starts from.
import { FRESHNESS_EVENT, PROBE_INTERVAL_SECONDS, RUN_EVENT } from '../deploy-env';
import { clip } from '../../router/engine/quote';
import { FRESHNESS_DIMENSION, FRESHNESS_METRICS } from './deploy-env';

export { FRESHNESS_DIMENSION, FRESHNESS_METRICS } from './deploy-env';

/** An ingestion job as ListIngestionJobs summarizes it (the SDK's `IngestionJobSummary`, the fields read). */
export interface IngestionJobSummary {
  readonly ingestionJobId?: string;
  /** STARTING | IN_PROGRESS | COMPLETE | FAILED | STOPPING | STOPPED */
  readonly status?: string;
  readonly startedAt?: Date;
  /** When the job last changed: for a finished job, when it finished. */
  readonly updatedAt?: Date;
  readonly statistics?: {
    readonly numberOfDocumentsScanned?: number;
    readonly numberOfNewDocumentsIndexed?: number;
    readonly numberOfModifiedDocumentsIndexed?: number;
    readonly numberOfDocumentsDeleted?: number;
    readonly numberOfDocumentsFailed?: number;
  };
}

/** One ListIngestionJobs page request, as the probe asks for it. */
export interface ListIngestionJobsPage {
  readonly knowledgeBaseId: string;
  readonly dataSourceId: string;
  readonly sortBy: { readonly attribute: 'STARTED_AT'; readonly order: 'DESCENDING' };
  readonly maxResults: number;
  readonly nextToken?: string;
}

/** Sends one ListIngestionJobs request (the SDK client's `send` in the Lambda; throws what the SDK throws). */
export type ListIngestionJobs = (page: ListIngestionJobsPage) => Promise<{ ingestionJobSummaries?: readonly IngestionJobSummary[]; nextToken?: string }>;

/** Jobs asked for per page: the newest page almost always holds the last completed job and the window. */
export const PROBE_PAGE_SIZE = 25;
/**
 * Pages read at most when no completed job turns up: past that many failed or stopped jobs in a row,
 * the oldest one read bounds the age from below, which is already far over any threshold.
 */
export const PROBE_MAX_PAGES = 8;

export interface ProbeOptions {
  readonly name: string;
  readonly knowledgeBaseId: string;
  readonly dataSourceId: string;
  /** CloudWatch namespace of the metrics. */
  readonly namespace: string;
  readonly list: ListIngestionJobs;
  /**
   * When the data source was created (CloudFormation's `CreatedAt`): until a job completes, the index
   * has been empty since then, and that is its age. Unset or unparseable: no age until a job completes.
   */
  readonly dataSourceCreatedAt?: string;
  /** The end of this probe's window: the schedule's time for this run (default `now`). */
  readonly windowEnd?: Date;
  readonly now?: Date;
  readonly intervalSeconds?: number;
  readonly pageSize?: number;
  readonly maxPages?: number;
  /** Where each line goes (stdout in the Lambda). */
  readonly sink: (line: string) => void;
}

export interface ProbeResult {
  /** Seconds since the index last changed by a completed job (or since the data source was created); absent when unknown. */
  readonly indexAgeSeconds?: number;
  /** ISO time the last completed job finished. */
  readonly lastSuccessAt?: string;
  readonly failedJobs: number;
  readonly completedJobs: number;
  /** ListIngestionJobs requests made. */
  readonly pages: number;
  readonly windowStart: string;
  readonly windowEnd: string;
}

const FINISHED = new Set(['COMPLETE', 'FAILED']);

/** Lists as few pages as the answer needs, writes the lines, and returns what it published. */
export async function probeFreshness(o: ProbeOptions): Promise<ProbeResult> {
  const now = o.now ?? new Date();
  const windowEnd = (o.windowEnd ?? now).getTime();
  const windowStart = windowEnd - (o.intervalSeconds ?? PROBE_INTERVAL_SECONDS) * 1000;
  const maxPages = o.maxPages ?? PROBE_MAX_PAGES;
  const inWindow = (t: number) => t > windowStart && t <= windowEnd;

  let lastComplete: IngestionJobSummary | undefined;
  let oldestStart: number | undefined;
  const finished: IngestionJobSummary[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await o.list({
      knowledgeBaseId: o.knowledgeBaseId,
      dataSourceId: o.dataSourceId,
      sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' },
      maxResults: o.pageSize ?? PROBE_PAGE_SIZE,
      ...(nextToken ? { nextToken } : {}),
    });
    pages++;
    let reachedWindowStart = false;
    for (const job of page.ingestionJobSummaries ?? []) {
      const started = time(job.startedAt);
      const updated = time(job.updatedAt);
      if (started !== undefined) {
        oldestStart = Math.min(oldestStart ?? started, started);
        if (started <= windowStart) reachedWindowStart = true;
      }
      if (job.status === 'COMPLETE' && updated !== undefined && updated <= now.getTime() && (lastComplete === undefined || updated > time(lastComplete.updatedAt)!)) lastComplete = job;
      if (job.status && FINISHED.has(job.status) && updated !== undefined && inWindow(updated)) finished.push(job);
    }
    nextToken = page.nextToken;
    // One job runs at a time per data source, so every job older than one that started before the
    // window also finished before it: nothing further down can be in the window. Only the age may
    // still need an older page, when no job on these completed.
    if (!nextToken) break;
    if (reachedWindowStart && lastComplete) break;
    if (pages >= maxPages) break;
  }

  // Oldest first, as they happened.
  finished.sort((a, b) => time(a.updatedAt)! - time(b.updatedAt)!);
  const lastSuccessAt = lastComplete ? new Date(time(lastComplete.updatedAt)!).toISOString() : undefined;
  let since = lastComplete ? time(lastComplete.updatedAt) : undefined;
  if (since === undefined && nextToken && oldestStart !== undefined) since = oldestStart; // stopped at maxPages: a lower bound
  if (since === undefined && !nextToken) {
    const created = o.dataSourceCreatedAt ? Date.parse(o.dataSourceCreatedAt) : NaN;
    if (Number.isFinite(created)) since = created;
  }
  const indexAgeSeconds = since === undefined ? undefined : Math.max(0, Math.round((now.getTime() - since) / 1000));

  for (const job of finished) o.sink(JSON.stringify(job.status === 'COMPLETE' ? completedLine(o, job, lastSuccessAt!) : failedLine(o, job)));
  const failedJobs = finished.filter((j) => j.status === 'FAILED').length;
  const completedJobs = finished.length - failedJobs;
  o.sink(JSON.stringify(freshnessLine(o, now, { indexAgeSeconds, lastSuccessAt, failedJobs, completedJobs })));
  return {
    ...(indexAgeSeconds !== undefined ? { indexAgeSeconds } : {}),
    ...(lastSuccessAt ? { lastSuccessAt } : {}),
    failedJobs,
    completedJobs,
    pages,
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowEnd).toISOString(),
  };
}

function time(d: Date | undefined): number | undefined {
  if (!(d instanceof Date)) return undefined;
  const t = d.getTime();
  return Number.isFinite(t) ? t : undefined;
}

type Unit = 'Seconds' | 'Count';

/** The `_aws` member of an EMF line: `metrics` are top-level members of the same line. */
function emf(o: ProbeOptions, timestamp: number, metrics: readonly (readonly [string, Unit])[]) {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: o.namespace, Dimensions: [[FRESHNESS_DIMENSION]], Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) }] },
    [FRESHNESS_DIMENSION]: o.name,
  };
}

/**
 * The freshness event (lib/ingest/events.ts) and its metrics. FailedIngestionJobs and
 * CompletedIngestionJobs are published at every probe, zero included, so their alarms have data;
 * IndexAgeSeconds whenever the age is known.
 */
function freshnessLine(o: ProbeOptions, now: Date, r: { indexAgeSeconds?: number; lastSuccessAt?: string; failedJobs: number; completedJobs: number }) {
  const metrics: [string, Unit][] = [
    [FRESHNESS_METRICS.failedJobs, 'Count'],
    [FRESHNESS_METRICS.completedJobs, 'Count'],
  ];
  if (r.indexAgeSeconds !== undefined) metrics.unshift([FRESHNESS_METRICS.indexAge, 'Seconds']);
  return {
    ...emf(o, now.getTime(), metrics),
    event: FRESHNESS_EVENT,
    severity: 'INFO',
    name: o.name,
    ...(r.lastSuccessAt ? { lastSuccessAt: r.lastSuccessAt } : {}),
    ...(r.indexAgeSeconds !== undefined ? { ageSeconds: r.indexAgeSeconds, [FRESHNESS_METRICS.indexAge]: r.indexAgeSeconds } : {}),
    [FRESHNESS_METRICS.failedJobs]: r.failedJobs,
    [FRESHNESS_METRICS.completedJobs]: r.completedJobs,
  };
}

/**
 * A completed job as the run event, with the fields Bedrock reports (chunks embedded and embedding
 * tokens it does not: the embedding model's `InputTokenCount` in AWS/Bedrock has the tokens), and its
 * statistics as metrics, timestamped when the job finished.
 */
function completedLine(o: ProbeOptions, job: IngestionJobSummary, lastSuccessAt: string) {
  const s = job.statistics ?? {};
  const seen = s.numberOfDocumentsScanned ?? 0;
  const changed = (s.numberOfNewDocumentsIndexed ?? 0) + (s.numberOfModifiedDocumentsIndexed ?? 0);
  const removed = s.numberOfDocumentsDeleted ?? 0;
  const failed = s.numberOfDocumentsFailed ?? 0;
  return {
    ...emf(o, time(job.updatedAt)!, [
      [FRESHNESS_METRICS.documentsScanned, 'Count'],
      [FRESHNESS_METRICS.documentsChanged, 'Count'],
      [FRESHNESS_METRICS.documentsRemoved, 'Count'],
      [FRESHNESS_METRICS.documentsFailed, 'Count'],
    ]),
    event: RUN_EVENT,
    severity: 'INFO',
    outcome: 'succeeded',
    name: o.name,
    ingestionJobId: job.ingestionJobId,
    startedAt: isoOf(job.startedAt),
    finishedAt: isoOf(job.updatedAt),
    documentsSeen: seen,
    documentsChanged: changed,
    documentsRemoved: removed,
    documentsFailed: failed,
    lastSuccessAt,
    [FRESHNESS_METRICS.documentsScanned]: seen,
    [FRESHNESS_METRICS.documentsChanged]: changed,
    [FRESHNESS_METRICS.documentsRemoved]: removed,
    [FRESHNESS_METRICS.documentsFailed]: failed,
  };
}

/** A failed job as the failed-run event: the summary carries no reasons, so the error says where to read them. */
function failedLine(o: ProbeOptions, job: IngestionJobSummary) {
  const id = job.ingestionJobId ?? '(no id)';
  return {
    event: RUN_EVENT,
    severity: 'ERROR',
    outcome: 'failed',
    name: o.name,
    ingestionJobId: job.ingestionJobId,
    startedAt: isoOf(job.startedAt),
    finishedAt: isoOf(job.updatedAt),
    error: clip(
      `ingestion job ${id} ended FAILED; its failureReasons: aws bedrock-agent get-ingestion-job --knowledge-base-id ${o.knowledgeBaseId} --data-source-id ${o.dataSourceId} --ingestion-job-id ${id}`,
      400,
    ),
  };
}

function isoOf(d: Date | undefined): string | undefined {
  const t = time(d);
  return t === undefined ? undefined : new Date(t).toISOString();
}

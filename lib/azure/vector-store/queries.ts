// Log queries (KQL) over the ingestion function's Application Insights: the alerts and the dashboard
// read the same rows. Pure strings.
//
// The ingestion writes one JSON line per event to stdout (lib/ingest/events.ts, `IngestEvent`); the
// Functions host sends the worker's output to Application Insights as `traces`. The row is found by
// its fields, whatever the host puts before the JSON, and by the vector store's name.
import { FRESHNESS_EVENT, RUN_EVENT } from '../../ingest/deploy-env';

/** A string in a KQL literal (names are `[a-z0-9-]`, validated; quotes escaped regardless). */
const kqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The events named `event` of the vector store `name`, parsed into `e`. */
function events(event: string, name: string): string[] {
  return [
    'traces',
    `| where message has ${kqlString(event)}`,
    "| extend e = parse_json(substring(message, indexof(message, '{')))",
    `| where tostring(e.event) == ${kqlString(event)} and tostring(e.name) == ${kqlString(name)}`,
  ];
}

/** One row per finished or failed run, with the run record's figures typed. */
export function runsQuery(name: string): string {
  return [
    ...events(RUN_EVENT, name),
    '| project timestamp, outcome = tostring(e.outcome), documentsSeen = toint(e.documentsSeen), documentsChanged = toint(e.documentsChanged),',
    '  documentsRemoved = toint(e.documentsRemoved), documentsSkipped = toint(e.documentsSkipped), chunksEmbedded = toint(e.chunksEmbedded), embeddingTokens = tolong(e.embeddingTokens),',
    '  costUsd = todouble(e.costUsd), error = tostring(e.error)',
  ].join('\n');
}

/** The failed-run alert's measure: runs that failed in the window (a `failed` run event each). */
export function failedRunsQuery(name: string): string {
  return [runsQuery(name), "| where outcome == 'failed'", '| summarize failedRuns = count()'].join('\n');
}

/**
 * The stale-index alert's measure: the index's age as the latest freshness probe of the window saw it
 * (seconds since the last successful run). Probes before the first success carry no age and are left out.
 */
export function indexAgeQuery(name: string): string {
  return [...events(FRESHNESS_EVENT, name), '| extend ageSeconds = todouble(e.ageSeconds)', '| where isnotnull(ageSeconds)', '| summarize arg_max(timestamp, ageSeconds)', '| project ageSeconds'].join('\n');
}

/** The no-probe alert's measure: freshness probes in the window (0 when the app does not run them). */
export function probesQuery(name: string): string {
  return [...events(FRESHNESS_EVENT, name), '| summarize probes = count()'].join('\n');
}

/** Documents seen, changed and removed per successful run. */
export function documentsChartQuery(name: string): string {
  return [runsQuery(name), "| where outcome == 'succeeded'", '| project timestamp, documentsSeen, documentsChanged, documentsRemoved, documentsSkipped', '| render timechart'].join('\n');
}

/** Chunks embedded and embedding tokens per successful run. */
export function embeddingChartQuery(name: string): string {
  return [runsQuery(name), "| where outcome == 'succeeded'", '| project timestamp, chunksEmbedded, embeddingTokens', '| render timechart'].join('\n');
}

/** Embedding cost per day, USD (the run records' `costUsd`, at the deployment's price per token). */
export function costChartQuery(name: string): string {
  return [runsQuery(name), "| where outcome == 'succeeded'", '| summarize costUsd = sum(costUsd) by bin(timestamp, 1d)', '| render columnchart'].join('\n');
}

/** The index's age at each probe, hours. */
export function ageChartQuery(name: string): string {
  return [...events(FRESHNESS_EVENT, name), '| where isnotnull(e.ageSeconds)', '| project timestamp, ageHours = todouble(e.ageSeconds) / 3600', '| render timechart'].join('\n');
}

/** The failed runs with their error message (the message only: never a document's text). */
export function failuresTableQuery(name: string): string {
  return [runsQuery(name), "| where outcome == 'failed'", '| project timestamp, error', '| order by timestamp desc'].join('\n');
}

import { clip } from '../router/engine/quote';
import { FRESHNESS_EVENT, RUN_EVENT } from './deploy-env';
import type { RunRecord } from './manifest';

/**
 * The one-line JSON events an ingestion deployment writes to stdout. Cloud Logging (GCP) and
 * Application Insights (Azure) keep them; each cloud's `VectorStore` builds its log metrics and alerts
 * on these exact field names, so they are part of the contract (see deploy-env.ts).
 * `severity` is Cloud Logging's field; Azure reads `outcome`.
 */
export type IngestEvent =
  | ({ readonly event: typeof RUN_EVENT; readonly severity: 'INFO'; readonly outcome: 'succeeded'; readonly name: string } & RunRecord)
  | { readonly event: typeof RUN_EVENT; readonly severity: 'ERROR'; readonly outcome: 'failed'; readonly name: string; readonly startedAt: string; readonly error: string }
  | {
      readonly event: typeof FRESHNESS_EVENT;
      readonly severity: 'INFO';
      readonly name: string;
      /** ISO time of the last successful run; absent until one succeeded. */
      readonly lastSuccessAt?: string;
      /** Seconds since `lastSuccessAt`; absent until a run succeeded. */
      readonly ageSeconds?: number;
    };

export function runSucceeded(name: string, record: RunRecord): IngestEvent {
  return { event: RUN_EVENT, severity: 'INFO', outcome: 'succeeded', name, ...record };
}

/** The error's message only (clipped and escaped): never a document's text. */
export function runFailed(name: string, startedAt: string, error: unknown): IngestEvent {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { event: RUN_EVENT, severity: 'ERROR', outcome: 'failed', name, startedAt, error: clip(message) };
}

export function freshness(name: string, lastSuccessAt: string | undefined, now: Date): IngestEvent {
  if (!lastSuccessAt) return { event: FRESHNESS_EVENT, severity: 'INFO', name };
  const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(lastSuccessAt)) / 1000));
  return { event: FRESHNESS_EVENT, severity: 'INFO', name, lastSuccessAt, ageSeconds };
}

/** One line, as the log agents of both clouds parse it. */
export function formatEvent(event: IngestEvent): string {
  return JSON.stringify(event);
}

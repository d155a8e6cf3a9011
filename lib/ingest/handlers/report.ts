import { formatEvent, freshness, runFailed, runSucceeded } from '../events';
import type { ManifestStore, RunRecord } from '../manifest';
import { runIngestion, type IngestSeams } from '../run';

/** Where events go: one line each (stdout in a deployment, a list in tests). */
export type EventSink = (line: string) => void;

const stdout: EventSink = (line) => process.stdout.write(`${line}\n`);

/**
 * One run, reported: the run event on success; on failure the failed-run event, then the error is
 * thrown again so the platform records the execution as failed too.
 */
export async function runAndReport(name: string, seams: IngestSeams, sink: EventSink = stdout): Promise<RunRecord> {
  const startedAt = (seams.now ? seams.now() : new Date()).toISOString();
  try {
    const record = await runIngestion(seams);
    sink(formatEvent(runSucceeded(name, record)));
    return record;
  } catch (error) {
    sink(formatEvent(runFailed(name, startedAt, error)));
    throw error;
  }
}

/** The freshness probe: the index's age from the manifest's last successful run. */
export async function probeAndReport(name: string, manifest: ManifestStore, now: Date = new Date(), sink: EventSink = stdout): Promise<void> {
  const stored = await manifest.read();
  sink(formatEvent(freshness(name, stored?.manifest.lastRun?.lastSuccessAt, now)));
}

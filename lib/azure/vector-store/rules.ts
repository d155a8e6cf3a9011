// What `ai-stack check` must know of a vector store on Azure, and the timer schedule the construct
// builds from. Pure: no cdktf or provider, so the design's validation runs it without loading them;
// the construct runs the same functions on its props.
import { VECTOR_STORE_PRICES } from '../../design/catalog/fixed-costs';
import { isCron } from '../../design/gpu-endpoint';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { VECTOR_STORE_DEFAULTS, type VectorStoreDesign } from '../../design/vector-store';
import { indexSizing } from '../../design/vector-store-cost';
import { cronList } from '../../design/cron-list';

/** The strategies the shipped ingestion runtime chunks with (lib/ingest/chunk.ts). */
export const AZURE_CHUNKING_STRATEGIES: readonly string[] = ['fixed', 'none'];

/**
 * The design's five-field UTC cron as the six-field NCRONTAB of an Azure Functions timer trigger
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), run at second 0. The timer's time zone is
 * UTC unless WEBSITE_TIME_ZONE says otherwise, which the construct never sets, so the hours carry over.
 *
 * Two differences from cron are converted or refused (NCrontab's CrontabSchedule.TryGetNextOccurrence
 * and CrontabFieldImpl, github.com/atifaziz/NCrontab):
 * - NCrontab numbers weekdays 0-6 and refuses 7, and its `n/step` counts up to 6 where cron counts up
 *   to 7 (cron's `1/2` holds Sunday as 7, NCrontab's does not): the day-of-week field is written as the
 *   days it means, 0-6, in ranges.
 * - With both day-of-month and day-of-week restricted, cron runs on a day matching either; NCrontab
 *   only on a day matching both. Such a cron has no NCRONTAB form, and a reason is returned instead.
 * Minutes, hours, days and months mean the same in both (`*`, `n`, `n-m`, `/step`, lists; `n/step`
 * counts from n to the field's end).
 */
export function ncrontab(expr: string): { expression: string } | { problem: string } {
  const [minute, hour, dom, month, dow] = expr.trim().split(/\s+/);
  if (dom !== '*' && dow !== '*') {
    return {
      problem: `restricts both day-of-month and day-of-week (got ${quote(expr)}): cron runs on a day matching either, an Azure Functions timer (NCRONTAB) only on a day matching both; keep one of them '*'`,
    };
  }
  return { expression: `0 ${minute} ${hour} ${dom} ${month} ${dow === '*' ? '*' : weekdays(dow)}` };
}

/** A cron day-of-week field (0-7, 0 and 7 Sunday) as NCrontab's 0-6, consecutive days as ranges. */
function weekdays(field: string): string {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = 0;
    let to = 7;
    if (range !== '*') {
      const [a, b] = range.split('-').map(Number);
      from = a;
      // cron's `n/step` runs from n to the field's end.
      to = b ?? (stepText === undefined ? a : 7);
    }
    for (let d = from; d <= to; d += step) days.add(d % 7);
  }
  return cronList(days);
}

/** Rules Azure adds to the neutral vector-store rules, with `path` its path (`vectorStore`, or `props`). */
export function validateVectorStoreOnAzure(v: VectorStoreDesign, path: string, problems: Problems): void {
  // An unknown strategy is the shape check's to report; these two are valid designs Azure cannot build.
  const strategy = (v.chunking as Record<string, unknown> | undefined)?.strategy;
  if (strategy === 'hierarchical' || strategy === 'semantic') {
    problems.add(
      join(join(path, 'chunking'), 'strategy'),
      `'${strategy}' chunking is Bedrock's (AWS only): on Azure the shipped ingestion runtime chunks the documents itself, in 'fixed' windows of maxTokens with overlapPercent overlap, or one chunk per document ('none')`,
    );
  }
  const schedule = v.refreshSchedule ?? VECTOR_STORE_DEFAULTS.refreshSchedule;
  if (typeof schedule === 'string' && !isToken(schedule) && isCron(schedule)) {
    const converted = ncrontab(schedule);
    if ('problem' in converted) problems.add(join(path, 'refreshSchedule'), converted.problem);
  }
}

/**
 * Partitions of a `basic` search service for the design: the units the estimate prices for its index
 * (`indexSizing`, a unit per 5 GB), at most the tier's 3. `needed` above `partitions` means the corpus
 * outgrows the tier.
 */
export function basicSearchPartitions(v: VectorStoreDesign): { readonly partitions: number; readonly needed: number; readonly indexGiB: number } {
  const index = VECTOR_STORE_PRICES.azure.index;
  if (index.kind !== 'per-unit') throw new Error('internal error: AI Search is priced per unit');
  const { indexGiB } = indexSizing(v, 'azure');
  const needed = Math.max(1, Math.ceil(indexGiB / index.unitGiB));
  return { needed, partitions: Math.min(needed, index.maxUnits ?? needed), indexGiB };
}

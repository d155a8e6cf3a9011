// What `ai-stack check` must know of a vector store on AWS. Pure: no aws-cdk-lib.
import { isCron } from '../../design/gpu-endpoint';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { VECTOR_STORE_DEFAULTS, type VectorStoreDesign } from '../../design/vector-store';
import { cronList } from '../../design/cron-list';

/**
 * The design's five-field UTC cron as an EventBridge Scheduler expression, `cron(min hour dom month dow
 * year)`: EventBridge numbers weekdays 1-7 from Sunday (cron 0-7 from Sunday), and one of day-of-month
 * and day-of-week must be `?`. Returns a reason instead when the cron has no EventBridge form.
 */
export function eventBridgeCron(expr: string): { expression: string } | { problem: string } {
  const [minute, hour, dom, month, dow] = expr.trim().split(/\s+/);
  if (dom !== '*' && dow !== '*') {
    return { problem: `restricts both day-of-month and day-of-week, which EventBridge Scheduler cannot combine (got ${quote(expr)}); keep one of them '*'` };
  }
  let weekdays = '?';
  if (dow !== '*') {
    const converted = convertWeekdays(dow);
    if (converted === undefined) return { problem: `day-of-week must be numbers 0-7, ranges or lists for EventBridge Scheduler, without steps (got ${quote(expr)})` };
    weekdays = converted;
  }
  // EventBridge writes increments from a start value (`0/15`), not from `*`.
  const from = (field: string, first: number) => field.replace(/^\*\//, `${first}/`);
  return { expression: `cron(${from(minute, 0)} ${from(hour, 0)} ${dow === '*' ? from(dom, 1) : '?'} ${from(month, 1)} ${weekdays} *)` };
}

/** Cron weekdays (0 and 7 Sunday) as EventBridge's (1 Sunday .. 7 Saturday), runs written as ranges. */
function convertWeekdays(field: string): string | undefined {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\d)(?:-(\d))?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 7 || to > 7 || to < from) return undefined;
    for (let d = from; d <= to; d++) days.add((d % 7) + 1);
  }
  return cronList(days);
}

/**
 * CloudFormation resources of a vector store: source bucket and its policy, vector bucket, index, the
 * knowledge base and data source, their two roles and policies, the schedule (11); the freshness
 * probe's function, its async-invoke config, role and policy, log group, schedule, the schedule's role
 * and policy, and the two alarms (10). test/aws checks it.
 */
export const VECTOR_STORE_RESOURCES = 21;

/** Rules AWS adds to the neutral vector-store rules. */
export function validateVectorStoreOnAws(v: VectorStoreDesign, path: string, problems: Problems): void {
  if (v.distance === 'dot-product') {
    problems.add(join(path, 'distance'), "'dot-product' is not offered on AWS: S3 Vectors indexes measure 'cosine' or 'euclidean' distance");
  }
  const schedule = v.refreshSchedule ?? VECTOR_STORE_DEFAULTS.refreshSchedule;
  if (typeof schedule === 'string' && !isToken(schedule) && isCron(schedule)) {
    const converted = eventBridgeCron(schedule);
    if ('problem' in converted) problems.add(join(path, 'refreshSchedule'), converted.problem);
  }
}

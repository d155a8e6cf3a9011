// What each cloud's trigger asks the stop function to do. Every trigger that reaches the function is
// one the Budget construct wired to it alone (the hard-stop budget notification, the router-spend
// alarm, the watch schedule, an operator's call), so anything that is not recognisably an "all clear"
// or an operator command is a stop: failing towards stopping is failing towards the budget.
import type { BudgetAction } from './deploy-env';

const OPERATOR_ACTIONS = new Set(['stop', 'resume', 'watch', 'status']);
const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ "action": "resume" }` and the like: a direct invocation, a schedule's input, an operator's POST. */
function operatorAction(event: unknown): BudgetAction | undefined {
  if (!isObject(event) || typeof event.action !== 'string') return undefined;
  const action = event.action;
  if (!OPERATOR_ACTIONS.has(action)) return { kind: 'ignore', why: `unknown action ${JSON.stringify(clip(action, 40))}: use stop, resume, watch or status` };
  if (action === 'stop') return { kind: 'stop', reason: typeof event.reason === 'string' && event.reason.trim() ? clip(event.reason.trim()) : 'stopped by an operator' };
  return { kind: action as 'resume' | 'watch' | 'status' };
}

/**
 * AWS Lambda: an operator's or EventBridge Scheduler's `{ action }`, or SNS records from the
 * hard-stop topic, which carries the AWS Budgets notification (plain text) and the router-spend
 * alarms (CloudWatch's JSON: only a transition to ALARM stops; OK and INSUFFICIENT_DATA do not).
 */
export function awsBudgetAction(event: unknown): BudgetAction {
  const direct = operatorAction(event);
  if (direct) return direct;
  const records = isObject(event) && Array.isArray(event.Records) ? event.Records : undefined;
  if (!records) return { kind: 'ignore', why: 'not an SNS notification or an { action } request' };
  const reasons: string[] = [];
  for (const r of records) {
    const sns = isObject(r) && r.EventSource === 'aws:sns' && isObject(r.Sns) ? r.Sns : undefined;
    if (!sns) continue;
    const text = typeof sns.Message === 'string' ? sns.Message : '';
    let alarm: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      alarm = isObject(parsed) && typeof parsed.AlarmName === 'string' ? parsed : undefined;
    } catch {
      alarm = undefined;
    }
    if (alarm) {
      if (alarm.NewStateValue === 'ALARM') reasons.push(`CloudWatch alarm ${clip(String(alarm.AlarmName), 120)} is in ALARM`);
      continue;
    }
    const subject = typeof sns.Subject === 'string' && sns.Subject.trim() ? sns.Subject.trim() : text.split('\n')[0].trim();
    reasons.push(`AWS Budgets: ${clip(subject || 'budget notification', 160)}`);
  }
  return reasons.length > 0 ? { kind: 'stop', reason: clip(reasons.join('; ')) } : { kind: 'ignore', why: 'no SNS record asks for a stop (an alarm returning to OK)' };
}

/**
 * Google Cloud (Cloud Run, HTTP): an operator's or Cloud Scheduler's `{ action }`, or a Pub/Sub push
 * of the billing budget. The budget publishes its state several times a day whatever the thresholds
 * (`costAmount`, `budgetAmount`, `currencyCode`, `budgetDisplayName`); it is a stop when the cost has
 * reached `hardStopPercent` of the budget amount.
 */
export function gcpBudgetAction(body: unknown, hardStopPercent: number | undefined): BudgetAction {
  const direct = operatorAction(body);
  if (direct) return direct;
  const message = isObject(body) && isObject(body.message) ? body.message : undefined;
  if (!message || typeof message.data !== 'string') return { kind: 'ignore', why: 'not a Pub/Sub push or an { action } request' };
  let n: unknown;
  try {
    n = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
  } catch {
    n = undefined;
  }
  if (!isObject(n) || typeof n.costAmount !== 'number' || typeof n.budgetAmount !== 'number') {
    // Not the budget's JSON: the topic is this stack's alone, so a stranger message is refused, not obeyed.
    return { kind: 'ignore', why: 'the Pub/Sub message is not a billing budget notification (no costAmount and budgetAmount)' };
  }
  if (hardStopPercent === undefined) return { kind: 'ignore', why: 'no hard stop configured' };
  const percent = n.budgetAmount > 0 ? (n.costAmount / n.budgetAmount) * 100 : 0;
  if (percent < hardStopPercent) return { kind: 'ignore', why: `billed spend is ${percent.toFixed(1)}% of the budget, under the hard stop at ${hardStopPercent}%` };
  const currency = typeof n.currencyCode === 'string' ? ` ${n.currencyCode}` : '';
  const name = typeof n.budgetDisplayName === 'string' ? ` (${clip(n.budgetDisplayName, 60)})` : '';
  return { kind: 'stop', reason: `billed spend ${n.costAmount}${currency} is ${percent.toFixed(1)}% of the ${n.budgetAmount}${currency} budget${name}, at or past the hard stop at ${hardStopPercent}%` };
}

/**
 * Azure (Functions, HTTP): an operator's or the timer's `{ action }`, or the hard-stop action group's
 * webhook: a common alert schema payload stops when `monitorCondition` is `Fired` (not `Resolved`);
 * the consumption budget's own notification stops too.
 */
export function azureBudgetAction(body: unknown): BudgetAction {
  const direct = operatorAction(body);
  if (direct) return direct;
  if (!isObject(body)) return { kind: 'ignore', why: 'not a JSON object' };
  const data = isObject(body.data) ? body.data : undefined;
  const essentials = data && isObject(data.essentials) ? data.essentials : undefined;
  if (body.schemaId === 'azureMonitorCommonAlertSchema' && essentials) {
    if (essentials.monitorCondition === 'Resolved') return { kind: 'ignore', why: 'the alert was resolved' };
    const rule = typeof essentials.alertRule === 'string' ? essentials.alertRule : 'an alert';
    return { kind: 'stop', reason: `Azure Monitor: ${clip(rule, 120)} fired` };
  }
  const schema = typeof body.schemaId === 'string' ? body.schemaId : 'budget notification';
  return { kind: 'stop', reason: `Azure action group: ${clip(schema, 120)}` };
}

// The triggers' payloads in the shape each cloud sends them.
import { awsBudgetAction, azureBudgetAction, gcpBudgetAction } from '../../lib/budget/events';

const sns = (Message: string, Subject?: string) => ({ Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: { Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:stop', ...(Subject ? { Subject } : {}), Message } }] });
const alarm = (state: string) =>
  JSON.stringify({ AlarmName: 'support-ai-router-spend-hard-stop', AlarmDescription: 'router spend', AWSAccountId: '123456789012', NewStateValue: state, NewStateReason: 'Threshold Crossed', OldStateValue: 'OK', Trigger: { MetricName: 'StackBudgetUsedPercent' } });

describe('AWS', () => {
  test('an operator or the schedule: { action }', () => {
    expect(awsBudgetAction({ action: 'resume' })).toEqual({ kind: 'resume' });
    expect(awsBudgetAction({ action: 'watch' })).toEqual({ kind: 'watch' });
    expect(awsBudgetAction({ action: 'stop' })).toEqual({ kind: 'stop', reason: 'stopped by an operator' });
    expect(awsBudgetAction({ action: 'stop', reason: 'incident 42' })).toEqual({ kind: 'stop', reason: 'incident 42' });
    expect(awsBudgetAction({ action: 'delete-everything' })).toEqual({ kind: 'ignore', why: 'unknown action "delete-everything": use stop, resume, watch or status' });
  });

  test('the AWS Budgets notification (plain text) stops, named by its subject', () => {
    const text = 'AWS Budget Notification December 01, 2026\nAWS Account 123456789012\n\nDear AWS Customer,\n\nYou requested that we alert you when the ACTUAL Cost associated with your support-ai budget is greater than $500.00 for the current month.';
    expect(awsBudgetAction(sns(text, 'AWS Budgets: support-ai has exceeded your alert threshold'))).toEqual({ kind: 'stop', reason: 'AWS Budgets: AWS Budgets: support-ai has exceeded your alert threshold' });
    expect(awsBudgetAction(sns(text))).toEqual({ kind: 'stop', reason: 'AWS Budgets: AWS Budget Notification December 01, 2026' });
  });

  test('a CloudWatch alarm stops on ALARM only; OK and INSUFFICIENT_DATA are ignored', () => {
    expect(awsBudgetAction(sns(alarm('ALARM')))).toEqual({ kind: 'stop', reason: 'CloudWatch alarm support-ai-router-spend-hard-stop is in ALARM' });
    expect(awsBudgetAction(sns(alarm('OK'))).kind).toBe('ignore');
    expect(awsBudgetAction(sns(alarm('INSUFFICIENT_DATA'))).kind).toBe('ignore');
  });

  test('anything else is ignored', () => {
    expect(awsBudgetAction({ foo: 1 }).kind).toBe('ignore');
    expect(awsBudgetAction(null).kind).toBe('ignore');
  });
});

describe('Google Cloud', () => {
  const push = (n: unknown) => ({ message: { data: Buffer.from(JSON.stringify(n)).toString('base64'), attributes: { billingAccountId: '01D4EE-079462-DFD6EC', budgetId: 'b-1', schemaVersion: '1.0' }, messageId: '1' }, subscription: 'projects/p/subscriptions/s' });
  const state = (costAmount: number) => ({ budgetDisplayName: 'support-ai', alertThresholdExceeded: 0.9, costAmount, costIntervalStart: '2026-12-01T08:00:00Z', budgetAmount: 500, budgetAmountType: 'SPECIFIED_AMOUNT', currencyCode: 'USD' });

  test('the budget state stops once the cost reaches the hard-stop percent of the amount', () => {
    expect(gcpBudgetAction(push(state(499.99)), 100)).toEqual({ kind: 'ignore', why: 'billed spend is 100.0% of the budget, under the hard stop at 100%' });
    expect(gcpBudgetAction(push(state(500)), 100)).toEqual({ kind: 'stop', reason: 'billed spend 500 USD is 100.0% of the 500 USD budget (support-ai), at or past the hard stop at 100%' });
    expect(gcpBudgetAction(push(state(450)), 90).kind).toBe('stop');
  });

  test('without a hard stop, or with a message that is not the budget\'s, nothing stops', () => {
    expect(gcpBudgetAction(push(state(900)), undefined)).toEqual({ kind: 'ignore', why: 'no hard stop configured' });
    expect(gcpBudgetAction(push({ hello: 'world' }), 100).kind).toBe('ignore');
    expect(gcpBudgetAction({ message: { data: '%%%not base64 json' } }, 100).kind).toBe('ignore');
  });

  test('Cloud Scheduler and operators: { action }', () => {
    expect(gcpBudgetAction({ action: 'watch' }, 100)).toEqual({ kind: 'watch' });
    expect(gcpBudgetAction({ action: 'resume' }, 100)).toEqual({ kind: 'resume' });
  });
});

describe('Azure', () => {
  const common = (monitorCondition: string) => ({
    schemaId: 'azureMonitorCommonAlertSchema',
    data: { essentials: { alertId: '/subscriptions/0/providers/Microsoft.AlertsManagement/alerts/1', alertRule: 'alert-support-ai-router-spend', severity: 'Sev1', signalType: 'Log', monitorCondition, monitoringService: 'Log Alerts V2' }, alertContext: {} },
  });

  test('a common-schema alert stops when fired, not when resolved', () => {
    expect(azureBudgetAction(common('Fired'))).toEqual({ kind: 'stop', reason: 'Azure Monitor: alert-support-ai-router-spend fired' });
    expect(azureBudgetAction(common('Resolved'))).toEqual({ kind: 'ignore', why: 'the alert was resolved' });
  });

  test("the budget's own action-group notification stops", () => {
    expect(azureBudgetAction({ schemaId: 'AIP Budget Notification', data: { BudgetName: 'support-ai', SpendingAmount: '512.3', BudgetThreshold: '500' } })).toEqual({ kind: 'stop', reason: 'Azure action group: AIP Budget Notification' });
  });

  test('the timer and operators: { action }', () => {
    expect(azureBudgetAction({ action: 'watch' })).toEqual({ kind: 'watch' });
    expect(azureBudgetAction({ action: 'status' })).toEqual({ kind: 'status' });
    expect(azureBudgetAction('text').kind).toBe('ignore');
  });
});

import { budgetDepsFromEnv, watchLine } from '../../lib/budget/handlers/from-env';
import type { FleetScaler } from '../../lib/budget/fleets/types';

const scaler: FleetScaler = { capture: async (ref) => ({ ref, min: 0, max: 0, desired: 0 }), scaleToZero: async () => undefined, restore: async () => undefined };
const good = {
  AI_STACK_BUDGET_FLEETS: JSON.stringify([{ cloud: 'aws', id: 'support-ai-llama' }]),
  AI_STACK_BUDGET_TENANTS: JSON.stringify(['team-a']),
  AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '500',
  AI_STACK_BUDGET_HARD_STOP_PERCENT: '100',
  AI_STACK_ROUTER_STORE: 'dynamodb',
  AI_STACK_LEDGER_TABLE: 'ledger',
  AI_STACK_RATE_TABLE: 'rate',
  AWS_REGION: 'us-east-1',
};

test('the stop function reads its fleets, tenants, limit and hard stop, and the router store it shares', () => {
  const d = budgetDepsFromEnv({ env: good, scaler });
  expect(d).toMatchObject({ fleets: [{ cloud: 'aws', id: 'support-ai-llama' }], tenants: ['team-a'], monthlyLimitUsd: 500, hardStopPercent: 100 });
  expect(d.record.constructor.name).toBe('DynamoDbSpendStop');
});

test('every problem is named at once, with the variable and what is allowed', () => {
  const env = { ...good, AI_STACK_BUDGET_FLEETS: '[{"cloud":"oci","id":"x"}]', AI_STACK_BUDGET_TENANTS: 'team-a', AI_STACK_BUDGET_MONTHLY_LIMIT_USD: '-3', AI_STACK_BUDGET_HARD_STOP_PERCENT: '0' };
  expect(() => budgetDepsFromEnv({ env, scaler })).toThrow(
    "the stop function's configuration is refused: AI_STACK_BUDGET_FLEETS[0] must be { \"cloud\": \"aws\" | \"gcp\" | \"azure\", \"id\": \"<group>\" } (got {\"cloud\":\"oci\",\"id\":\"x\"}); AI_STACK_BUDGET_TENANTS must be JSON (got 'team-a'); AI_STACK_BUDGET_MONTHLY_LIMIT_USD must be a number above 0 (got '-3'); AI_STACK_BUDGET_HARD_STOP_PERCENT must be a number >= 1 (got '0')",
  );
});

test('a memory store is refused: no router would ever see the stop', () => {
  const { AI_STACK_ROUTER_STORE: _, ...noStore } = good;
  expect(() => budgetDepsFromEnv({ env: noStore, scaler })).toThrow('AI_STACK_ROUTER_STORE must name the router\'s shared store');
});

test('the watch line carries the figures; on AWS it is Embedded Metric Format in the given namespace', () => {
  const w = { month: '2026-12', spentUsd: 12.5, reservedUsd: 0.1, percent: 2.5 };
  expect(JSON.parse(watchLine(w))).toEqual({ budgetWatch: true, month: '2026-12', spentUsd: 12.5, reservedUsd: 0.1, budgetUsedPercent: 2.5 });
  const emf = JSON.parse(watchLine(w, 'AiStack/Budget/support-ai'));
  expect(emf._aws.CloudWatchMetrics).toEqual([{ Namespace: 'AiStack/Budget/support-ai', Dimensions: [[]], Metrics: [{ Name: 'RouterSpendPercent', Unit: 'Percent' }, { Name: 'RouterSpendUsd', Unit: 'None' }] }]);
  expect(emf).toMatchObject({ RouterSpendPercent: 2.5, RouterSpendUsd: 12.5 });
});

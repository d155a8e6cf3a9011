import { runBudgetAction, type BudgetRunDeps } from '../../lib/budget/run';
import type { FleetCapacity, FleetRef, FleetScaler } from '../../lib/budget/fleets/types';
import type { SpendWatchResult } from '../../lib/budget/watch';
import { MemoryLedger } from '../../lib/router/stores/memory-ledger';
import { MemorySpendStop } from '../../lib/router/stores/spend-stop';

const NOW = Date.parse('2026-12-15T12:00:00Z');
const MONTH = '2026-12';

class ZeroingScaler implements FleetScaler {
  readonly size = new Map<string, number>([['gpu-a', 2]]);
  async capture(ref: FleetRef): Promise<FleetCapacity> {
    const n = this.size.get(ref.id) ?? 0;
    return { ref, min: n, max: n, desired: n };
  }
  async scaleToZero(ref: FleetRef): Promise<void> {
    this.size.set(ref.id, 0);
  }
  async restore(c: FleetCapacity): Promise<void> {
    this.size.set(c.ref.id, c.desired);
  }
}

async function charge(ledger: MemoryLedger, tenant: string, usd: number, month = MONTH) {
  const nano = Math.round(usd * 1e9);
  const r = await ledger.reserve({ tenant, month, amountNanoUsd: nano, limitNanoUsd: 1e15 });
  if (!r.ok) throw new Error('refused');
  await ledger.settle(r.reservation, nano);
}

function setup(hardStopPercent?: number) {
  const ledger = new MemoryLedger();
  const record = new MemorySpendStop();
  const scaler = new ZeroingScaler();
  const published: SpendWatchResult[] = [];
  const deps: BudgetRunDeps = { ledger, record, scaler, fleets: [{ cloud: 'aws', id: 'gpu-a' }], tenants: ['team-a', 'team-b'], monthlyLimitUsd: 100, ...(hardStopPercent !== undefined ? { hardStopPercent } : {}), now: () => NOW, publish: (w) => void published.push(w), notify: async () => undefined };
  return { ledger, record, scaler, published, deps };
}

describe('the watch: the near-real-time clock', () => {
  test("sums this month's router-charged spend over the tenants and publishes it; last month's does not count", async () => {
    const s = setup(100);
    await charge(s.ledger, 'team-a', 30);
    await charge(s.ledger, 'team-b', 12.5);
    await charge(s.ledger, 'team-a', 500, '2026-11');
    const r = await runBudgetAction({ kind: 'watch' }, s.deps);
    expect(r).toEqual({ kind: 'watch', watch: { month: MONTH, spentUsd: 42.5, reservedUsd: 0, percent: 42.5 } });
    expect(s.published).toEqual([{ month: MONTH, spentUsd: 42.5, reservedUsd: 0, percent: 42.5 }]);
    expect(s.scaler.size.get('gpu-a')).toBe(2);
  });

  test('at the hard-stop percent it stops: the flag is set and the fleets scale to zero', async () => {
    const s = setup(90);
    await charge(s.ledger, 'team-a', 90);
    const r = await runBudgetAction({ kind: 'watch' }, s.deps);
    expect(r.kind === 'watch' && r.report?.action).toBe('stop');
    expect((await s.record.read())!.state).toMatchObject({ active: true, reason: 'router-charged spend 90.00 USD is 90% of the 100 USD monthly budget, at or past the hard stop at 90%' });
    expect(s.scaler.size.get('gpu-a')).toBe(0);
  });

  test('once stopped, later watches neither stop again nor notify', async () => {
    const s = setup(50);
    await charge(s.ledger, 'team-a', 60);
    let notices = 0;
    const deps = { ...s.deps, notify: async () => void notices++ };
    await runBudgetAction({ kind: 'watch' }, deps);
    const r = await runBudgetAction({ kind: 'watch' }, deps);
    expect(r.kind === 'watch' && r.report).toBeUndefined();
    expect(notices).toBe(1);
  });

  test('without a hard stop a watch past 100% only publishes', async () => {
    const s = setup();
    await charge(s.ledger, 'team-a', 250);
    await runBudgetAction({ kind: 'watch' }, s.deps);
    expect(await s.record.read()).toBeUndefined();
    expect(s.published[0].percent).toBe(250);
  });
});

test('status reports the stop and the month so far; resume restores', async () => {
  const s = setup(100);
  await runBudgetAction({ kind: 'stop', reason: 'incident' }, s.deps);
  expect(await runBudgetAction({ kind: 'status' }, s.deps)).toMatchObject({ kind: 'status', active: true, reason: 'incident', watch: { percent: 0 } });
  await runBudgetAction({ kind: 'resume' }, s.deps);
  expect(s.scaler.size.get('gpu-a')).toBe(2);
  expect(await runBudgetAction({ kind: 'status' }, s.deps)).toMatchObject({ active: false });
});

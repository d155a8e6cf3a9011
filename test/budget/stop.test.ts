import { resumeSpend, SpendStopIncomplete, stopSpend, type SpendStopDeps, type SpendStopNotice } from '../../lib/budget/stop';
import type { FleetCapacity, FleetRef, FleetScaler } from '../../lib/budget/fleets/types';
import { MemorySpendStop, type SpendStopStore } from '../../lib/router/stores/spend-stop';

interface Group {
  min: number;
  max: number;
  desired: number;
}

/** Groups in memory, each call taking a few ms so concurrent runs interleave. */
class FakeFleets implements FleetScaler {
  readonly groups = new Map<string, Group>();
  readonly captures: string[] = [];
  failScale = new Set<string>();
  failCapture = new Set<string>();
  failRestore = new Set<string>();
  /** What the spend-stop record said when each scale-to-zero began. */
  readonly recordActiveAtScale: boolean[] = [];

  constructor(
    groups: Record<string, Group>,
    private readonly record?: SpendStopStore,
  ) {
    for (const [id, g] of Object.entries(groups)) this.groups.set(id, { ...g });
  }

  private async tick() {
    await new Promise((r) => setTimeout(r, 2));
  }

  private group(id: string): Group {
    const g = this.groups.get(id);
    if (!g) throw new Error(`no group ${id}`);
    return g;
  }

  async capture(ref: FleetRef): Promise<FleetCapacity> {
    await this.tick();
    this.captures.push(ref.id);
    if (this.failCapture.has(ref.id)) throw new Error('DescribeAutoScalingGroups: throttled');
    const g = this.group(ref.id);
    return { ref, min: g.min, max: g.max, desired: g.desired };
  }

  async scaleToZero(ref: FleetRef): Promise<void> {
    if (this.record) this.recordActiveAtScale.push((await this.record.read())?.state.active === true);
    await this.tick();
    if (this.failScale.has(ref.id)) throw new Error('UpdateAutoScalingGroup: AccessDenied');
    Object.assign(this.group(ref.id), { min: 0, max: 0, desired: 0 });
  }

  async restore(c: FleetCapacity): Promise<void> {
    await this.tick();
    if (this.failRestore.has(c.ref.id)) throw new Error('UpdateAutoScalingGroup: throttled');
    Object.assign(this.group(c.ref.id), { min: c.min, max: c.max, desired: c.desired });
  }
}

const refs: FleetRef[] = [
  { cloud: 'aws', id: 'llama-baseline' },
  { cloud: 'aws', id: 'llama-spot' },
];
const initial = { 'llama-baseline': { min: 1, max: 1, desired: 1 }, 'llama-spot': { min: 0, max: 6, desired: 3 } };

function setup(over: Partial<SpendStopDeps> = {}) {
  const record = new MemorySpendStop();
  const fleets = new FakeFleets(initial, record);
  const notices: SpendStopNotice[] = [];
  const deps: SpendStopDeps = { record, fleets: refs, scaler: fleets, notify: async (n) => void notices.push(n), now: () => Date.parse('2026-12-01T10:00:00Z'), ...over };
  return { record, fleets, notices, deps };
}

const snapshot = (f: FakeFleets) => Object.fromEntries([...f.groups].map(([k, v]) => [k, { ...v }]));

describe('stopSpend', () => {
  test('sets the flag before scaling anything, records each capacity, scales every group to zero, notifies', async () => {
    const s = setup();
    const report = await stopSpend(s.deps, 'stack budget at 100% of 500 USD');
    expect(s.fleets.recordActiveAtScale).toEqual([true, true]);
    expect(snapshot(s.fleets)).toEqual({ 'llama-baseline': { min: 0, max: 0, desired: 0 }, 'llama-spot': { min: 0, max: 0, desired: 0 } });
    expect((await s.record.read())!.state).toEqual({
      active: true,
      since: '2026-12-01T10:00:00.000Z',
      reason: 'stack budget at 100% of 500 USD',
      replaced: [
        { ref: refs[0], min: 1, max: 1, desired: 1 },
        { ref: refs[1], min: 0, max: 6, desired: 3 },
      ],
    });
    expect(report).toMatchObject({ action: 'stop', already: false, changed: ['llama-baseline', 'llama-spot'], failures: [] });
    expect(s.notices).toHaveLength(1);
    expect(s.notices[0].message).toContain('Scaled to zero: llama-baseline, llama-spot.');
  });

  test('a second run keeps the capacities the first recorded (never the zeros it left) and the first reason and time', async () => {
    const s = setup();
    await stopSpend(s.deps, 'first');
    const recorded = (await s.record.read())!.state;
    const report = await stopSpend({ ...s.deps, now: () => Date.parse('2026-12-02T00:00:00Z') }, 'second');
    expect(report.already).toBe(true);
    expect(s.fleets.captures).toEqual(['llama-baseline', 'llama-spot']);
    expect((await s.record.read())!.state).toEqual(recorded);
  });

  test('two runs at once record the original capacities', async () => {
    const s = setup();
    await Promise.all([stopSpend(s.deps, 'alarm'), stopSpend(s.deps, 'budget')]);
    expect((await s.record.read())!.state.replaced).toEqual([
      { ref: refs[0], min: 1, max: 1, desired: 1 },
      { ref: refs[1], min: 0, max: 6, desired: 3 },
    ]);
    await resumeSpend(s.deps);
    expect(snapshot(s.fleets)).toEqual(initial);
  });

  test('one group failing does not spare the others; the run reports it, throws for a retry, and the retry finishes', async () => {
    const s = setup();
    s.fleets.failScale.add('llama-baseline');
    const error = await stopSpend(s.deps, 'r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpendStopIncomplete);
    expect((error as SpendStopIncomplete).report.failures).toEqual([{ fleet: 'llama-baseline', message: 'not scaled to zero: UpdateAutoScalingGroup: AccessDenied' }]);
    expect(s.fleets.groups.get('llama-spot')).toEqual({ min: 0, max: 0, desired: 0 });
    expect(s.notices[0].message).toContain('Failed: llama-baseline: not scaled to zero');
    s.fleets.failScale.clear();
    await stopSpend(s.deps, 'retry');
    expect(s.fleets.groups.get('llama-baseline')).toEqual({ min: 0, max: 0, desired: 0 });
    await resumeSpend(s.deps);
    expect(snapshot(s.fleets)).toEqual(initial);
  });

  test('a group whose capacity cannot be read is still scaled to zero and reported', async () => {
    const s = setup();
    s.fleets.failCapture.add('llama-spot');
    const error = (await stopSpend(s.deps, 'r').catch((e: unknown) => e)) as SpendStopIncomplete;
    expect(error.report.failures).toEqual([{ fleet: 'llama-spot', message: 'capacity not recorded (restore it by hand after resume): DescribeAutoScalingGroups: throttled' }]);
    expect(s.fleets.groups.get('llama-spot')).toEqual({ min: 0, max: 0, desired: 0 });
    expect((await s.record.read())!.state.replaced).toEqual([{ ref: refs[0], min: 1, max: 1, desired: 1 }]);
  });

  test('a notification channel that is down does not fail a stop that took effect', async () => {
    const s = setup({
      notify: async () => {
        throw new Error('SNS: throttled');
      },
    });
    await expect(stopSpend(s.deps, 'r')).resolves.toMatchObject({ failures: [] });
    expect((await s.record.read())!.state.active).toBe(true);
  });
});

describe('resumeSpend', () => {
  test('restores exactly the recorded capacities, then clears the flag; a second resume does nothing', async () => {
    const s = setup();
    await stopSpend(s.deps, 'r');
    const report = await resumeSpend(s.deps);
    expect(snapshot(s.fleets)).toEqual(initial);
    expect((await s.record.read())!.state).toEqual({ active: false });
    expect(report).toMatchObject({ action: 'resume', already: false, changed: ['llama-baseline', 'llama-spot'] });
    expect(await resumeSpend(s.deps)).toMatchObject({ already: true, changed: [] });
    expect(s.notices.map((n) => n.subject)).toEqual(['Budget stop: paid calls refused, GPU fleets scaled to zero', 'Budget stop lifted']);
  });

  test('a restore that fails keeps the stop active, so running resume again completes it', async () => {
    const s = setup();
    await stopSpend(s.deps, 'r');
    s.fleets.failRestore.add('llama-spot');
    await expect(resumeSpend(s.deps)).rejects.toBeInstanceOf(SpendStopIncomplete);
    expect((await s.record.read())!.state.active).toBe(true);
    s.fleets.failRestore.clear();
    await resumeSpend(s.deps);
    expect(snapshot(s.fleets)).toEqual(initial);
    expect((await s.record.read())!.state.active).toBe(false);
  });

  test('after a resume, the next stop records the capacities of that time', async () => {
    const s = setup();
    await stopSpend(s.deps, 'r');
    await resumeSpend(s.deps);
    s.fleets.groups.set('llama-spot', { min: 0, max: 6, desired: 5 });
    await stopSpend(s.deps, 'again');
    expect((await s.record.read())!.state.replaced).toContainEqual({ ref: refs[1], min: 0, max: 6, desired: 5 });
  });
});

import { azureFleetScaler, FleetError, type FleetRef } from '../../../lib/budget/fleets';
import { AZURE_TOKEN, FakeArm, THROTTLED, type FakeProfile } from './support/azure-arm';
import { recordingSleep } from './support/local-server';

const RG = 'rg-ai-prod';
const rules = [{ metricTrigger: { metricName: 'Percentage CPU', operator: 'GreaterThan', threshold: 80 }, scaleAction: { direction: 'Increase', type: 'ChangeCount', value: '1', cooldown: 'PT5M' } }];
/** The burst set of an Azure GpuEndpoint with off-peak: default, off-peak and peak profiles. */
const PROFILES: FakeProfile[] = [
  { name: 'default', capacity: { minimum: '1', maximum: '4', default: '1' }, rules },
  { name: 'off-peak', capacity: { minimum: '0', maximum: '4', default: '0' }, rules, recurrence: { frequency: 'Week', schedule: { timeZone: 'W. Europe Standard Time', days: ['Monday'], hours: [20], minutes: [0] } } },
  { name: 'peak', capacity: { minimum: '2', maximum: '4', default: '2' }, rules, recurrence: { frequency: 'Week', schedule: { timeZone: 'W. Europe Standard Time', days: ['Monday'], hours: [8], minutes: [0] } } },
];

describe('azure fleet scaler', () => {
  let fake: FakeArm;
  let scaler: ReturnType<typeof azureFleetScaler>;
  let waits: number[];

  beforeEach(async () => {
    fake = await FakeArm.start();
    const s = recordingSleep();
    waits = s.waits;
    scaler = azureFleetScaler({ baseUrl: fake.server.url, accessToken: async () => AZURE_TOKEN, retry: { attempts: 3, sleep: s.sleep }, pollIntervalMs: 1 });
  });
  afterEach(() => fake.close());

  describe('a burst scale set with an autoscale setting and recurring profiles', () => {
    let ref: FleetRef;
    let settingId: string;
    beforeEach(() => {
      // The ref names no autoscale setting: the adapter finds the one of its resource group targeting it.
      ref = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-spot', 3) };
      settingId = fake.addAutoscale(RG, 'autoscale-llm', ref.id, PROFILES);
      fake.addAutoscale(RG, 'autoscale-other', fake.addScaleSet(RG, 'vmss-other', 1), PROFILES);
    });

    it('captures the count, the bounds of every profile and the enabled flag', async () => {
      await expect(scaler.capture(ref)).resolves.toEqual({
        ref,
        min: 0,
        max: 4,
        desired: 3,
        extra: {
          autoscaleSetting: settingId,
          enabled: true,
          profiles: [
            { name: 'default', minimum: 1, maximum: 4, default: 1 },
            { name: 'off-peak', minimum: 0, maximum: 4, default: 0 },
            { name: 'peak', minimum: 2, maximum: 4, default: 2 },
          ],
        },
      });
    });

    it('scales to zero and no profile (peak included) can raise it', async () => {
      await scaler.scaleToZero(ref);
      expect(fake.capacity(ref.id)).toBe(0);
      expect(fake.setting(settingId).properties.enabled).toBe(false);
      for (const profile of ['default', 'peak']) {
        fake.activeProfile.set(settingId, profile);
        fake.tick();
        expect(fake.capacity(ref.id)).toBe(0);
      }
      // The other scale set's autoscale is not touched.
      expect(fake.setting(`/subscriptions/0000-sub/resourceGroups/${RG}/providers/Microsoft.Insights/autoscalesettings/autoscale-other`).properties.enabled).toBe(true);
    });

    it('disables autoscale before scaling, and waits for the asynchronous operation', async () => {
      fake.pollsPerOperation = 3;
      await scaler.scaleToZero(ref);
      expect(fake.server.writes().map((r) => `${r.method} ${r.url.pathname.split('/').slice(-2).join('/')}`)).toEqual([
        'PUT autoscalesettings/autoscale-llm',
        'PATCH virtualMachineScaleSets/vmss-llm-spot',
      ]);
      expect(fake.capacity(ref.id)).toBe(0);
      const polls = fake.server.requests.filter((r) => r.url.pathname.includes('/operations/'));
      expect(polls).toHaveLength(3);
    });

    it('changes nothing the second time', async () => {
      await scaler.scaleToZero(ref);
      const before = fake.server.writes().length;
      await scaler.scaleToZero(ref);
      expect(fake.server.writes().length).toBe(before);
    });

    it('restores exactly what was captured, profiles untouched', async () => {
      const original = structuredClone(fake.setting(settingId));
      const captured = await scaler.capture(ref);
      await scaler.scaleToZero(ref);
      await scaler.scaleToZero(ref);
      await scaler.restore(captured);
      expect(fake.capacity(ref.id)).toBe(3);
      expect(fake.setting(settingId)).toEqual(original);
      await expect(scaler.capture(ref)).resolves.toEqual(captured);
      const before = fake.server.writes().length;
      await scaler.restore(captured);
      expect(fake.server.writes().length).toBe(before);
    });

    it('keeps a setting that was disabled before the stop disabled', async () => {
      fake.setting(settingId).properties.enabled = false;
      const captured = await scaler.capture(ref);
      await scaler.scaleToZero(ref);
      await scaler.restore(captured);
      expect(fake.setting(settingId).properties.enabled).toBe(false);
      expect(fake.capacity(ref.id)).toBe(3);
    });
  });

  it('scales a reserved scale set without autoscale to zero and back', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2, 'Standard_NC24ads_A100_v4') };
    const captured = await scaler.capture(ref);
    expect(captured).toEqual({ ref, min: 2, max: 2, desired: 2, extra: {} });
    await scaler.scaleToZero(ref);
    expect(fake.capacity(ref.id)).toBe(0);
    const patch = JSON.parse(fake.server.writes()[0].body);
    expect(patch).toEqual({ sku: { name: 'Standard_NC24ads_A100_v4', tier: 'Standard', capacity: 0 } });
    await scaler.restore(captured);
    expect(fake.capacity(ref.id)).toBe(2);
  });

  it('uses the autoscale setting the ref names', async () => {
    const id = fake.addScaleSet(RG, 'vmss-llm-spot', 3);
    const settingId = fake.addAutoscale(RG, 'autoscale-llm', id, PROFILES);
    await scaler.scaleToZero({ cloud: 'azure', id, autoscaler: settingId });
    expect(fake.setting(settingId).properties.enabled).toBe(false);
    expect(fake.server.requests.some((r) => r.url.pathname.endsWith('/autoscalesettings'))).toBe(false); // no listing
  });

  it('retries throttling (429) after the Retry-After the answer gives, then succeeds', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.server.failNext((r) => r.method === 'GET' && r.url.pathname.endsWith('vmss-llm-reserved'), 2, THROTTLED);
    await expect(scaler.capture(ref)).resolves.toMatchObject({ desired: 2 });
    expect(waits).toEqual([7000, 7000]);
  });

  it('gives up on throttling after the bounded attempts, with a typed error', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.server.failNext(() => true, 10, THROTTLED);
    const error = (await scaler.scaleToZero(ref).catch((e: unknown) => e)) as FleetError;
    expect(error).toBeInstanceOf(FleetError);
    expect(error).toMatchObject({ cloud: 'azure', kind: 'throttled', code: 'SubscriptionRequestsThrottled', status: 429, retryAfterMs: 7000 });
    expect(error.message.length).toBeLessThanOrEqual(200);
    expect(fake.capacity(ref.id)).toBe(2);
  });

  it('reports a scale set that no longer exists, on every call', async () => {
    const ref: FleetRef = { cloud: 'azure', id: `/subscriptions/0000-sub/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/gone` };
    for (const attempt of [scaler.capture(ref), scaler.scaleToZero(ref), scaler.restore({ ref, min: 1, max: 2, desired: 1 })]) {
      await expect(attempt).rejects.toMatchObject({ cloud: 'azure', kind: 'not-found', code: 'ResourceNotFound', status: 404 });
    }
    await expect(scaler.capture(ref)).rejects.toThrow(/virtualMachineScaleSets\/gone: not found/);
    expect(waits).toHaveLength(0);
  });

  it('reports an asynchronous operation that ends Failed', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.failNextOperation = { code: 'OperationPreempted', message: 'The operation was preempted by a more recent operation.' };
    await expect(scaler.scaleToZero(ref)).rejects.toMatchObject({ kind: 'failed', code: 'OperationPreempted' });
  });

  it('sends the token to no polling URL outside the management endpoint', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.asyncOrigin = 'https://attacker.example';
    await expect(scaler.scaleToZero(ref)).rejects.toMatchObject({ kind: 'invalid', code: 'UntrustedPollingUrl' });
  });

  it('stops waiting when the caller aborts (a hung API call)', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.server.hangNext(() => true);
    const started = Date.now();
    await expect(scaler.scaleToZero(ref, AbortSignal.timeout(200))).rejects.toMatchObject({ kind: 'aborted', code: 'Aborted' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds the wait for an operation that never finishes', async () => {
    const ref: FleetRef = { cloud: 'azure', id: fake.addScaleSet(RG, 'vmss-llm-reserved', 2) };
    fake.pollsPerOperation = Number.POSITIVE_INFINITY;
    const bounded = azureFleetScaler({ baseUrl: fake.server.url, accessToken: async () => AZURE_TOKEN, operationTimeoutMs: 100 });
    await expect(bounded.scaleToZero(ref)).rejects.toMatchObject({ kind: 'timeout', code: 'OperationTimeout' });
  });
});

import { FleetError, gcpFleetScaler, type FleetRef } from '../../../lib/budget/fleets';
import { FakeCompute, GCP_TOKEN, RATE_LIMITED, type FakePolicy } from './support/gcp-compute';
import { recordingSleep } from './support/local-server';

const REGION = 'projects/acme-ml/regions/us-central1';
const ZONE = 'projects/acme-ml/zones/us-central1-a';

/** The on-demand group of a GpuEndpoint with off-peak: peak-hours schedules raise the minimum. */
const ON_DEMAND_POLICY: FakePolicy = {
  mode: 'ON',
  minNumReplicas: 1,
  maxNumReplicas: 4,
  cooldownPeriodSec: 600,
  customMetricUtilizations: [{ metric: 'agent.googleapis.com/gpu/utilization', utilizationTarget: 70, utilizationTargetType: 'GAUGE' }],
  scaleInControl: { maxScaledInReplicas: { fixed: 1 }, timeWindowSec: 600 },
  scalingSchedules: { 'peak-1': { minRequiredReplicas: 3, schedule: '0 8 * * 1-5', timeZone: 'Europe/Paris', durationSec: 36000 } },
};

describe('gcp fleet scaler', () => {
  let fake: FakeCompute;
  let scaler: ReturnType<typeof gcpFleetScaler>;
  let waits: number[];

  beforeEach(async () => {
    fake = await FakeCompute.start();
    const s = recordingSleep();
    waits = s.waits;
    scaler = gcpFleetScaler({ baseUrl: fake.baseUrl, accessToken: async () => GCP_TOKEN, retry: { attempts: 3, sleep: s.sleep }, pollIntervalMs: 1 });
  });
  afterEach(() => fake.close());

  describe('a regional group with an autoscaler and scaling schedules', () => {
    let ref: FleetRef;
    beforeEach(() => {
      // The ref names no autoscaler: the adapter finds it from the group's status.autoscaler.
      ref = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3, { name: 'llm-ondemand', policy: ON_DEMAND_POLICY }) };
    });

    it('captures the size, the bounds and the autoscaler mode', async () => {
      await expect(scaler.capture(ref)).resolves.toEqual({ ref, min: 1, max: 4, desired: 3, extra: { autoscaler: 'llm-ondemand', mode: 'ON' } });
    });

    it('scales to zero and autoscaling (signals and schedules) cannot raise it', async () => {
      await scaler.scaleToZero(ref);
      expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(0);
      expect(fake.policy(REGION, 'llm-ondemand').mode).toBe('OFF');
      fake.load = 4;
      fake.tick();
      expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(0);
    });

    it('turns the autoscaler off before resizing, and waits for each Operation', async () => {
      fake.waitsPerOperation = 3;
      await scaler.scaleToZero(ref);
      const writes = fake.server.writes().map((r) => `${r.method} ${r.url.pathname.split('/').slice(-2).join('/')}`);
      expect(writes).toEqual(['PATCH us-central1/autoscalers', 'POST llm-ondemand/resize']);
      // The resize had landed when scaleToZero returned (it lands when its Operation is DONE).
      expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(0);
    });

    it('changes nothing the second time', async () => {
      await scaler.scaleToZero(ref);
      const before = fake.server.writes().length;
      await scaler.scaleToZero(ref);
      expect(fake.server.writes().length).toBe(before);
    });

    it('restores exactly what was captured, schedules and signals untouched', async () => {
      const captured = await scaler.capture(ref);
      await scaler.scaleToZero(ref);
      await scaler.scaleToZero(ref);
      await scaler.restore(captured);
      expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(3);
      expect(fake.policy(REGION, 'llm-ondemand')).toEqual(ON_DEMAND_POLICY);
      await expect(scaler.capture(ref)).resolves.toEqual(captured);
      const before = fake.server.writes().length;
      await scaler.restore(captured);
      expect(fake.server.writes().length).toBe(before);
    });

    it('keeps an autoscaler that was already OFF off on restore', async () => {
      fake.policy(REGION, 'llm-ondemand').mode = 'OFF';
      const captured = await scaler.capture(ref);
      await scaler.scaleToZero(ref);
      await scaler.restore(captured);
      expect(fake.policy(REGION, 'llm-ondemand').mode).toBe('OFF');
      expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(3);
    });
  });

  it('scales a zonal group without an autoscaler to zero and back', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: 'projects/acme-ml/zones/us-central1-a/instanceGroupManagers/llm-reserved' };
    fake.addGroup(ZONE, 'llm-reserved', 2);
    const captured = await scaler.capture(ref);
    expect(captured).toEqual({ ref, min: 2, max: 2, desired: 2, extra: {} });
    await scaler.scaleToZero(ref);
    expect(fake.group(ZONE, 'llm-reserved').targetSize).toBe(0);
    await scaler.restore(captured);
    expect(fake.group(ZONE, 'llm-reserved').targetSize).toBe(2);
  });

  it('uses the autoscaler the ref names when the group reports none', async () => {
    const id = fake.addGroup(REGION, 'llm-spot', 2, { name: 'llm-spot-as', policy: ON_DEMAND_POLICY });
    fake.group(REGION, 'llm-spot').autoscaler = undefined; // status.autoscaler not reported
    const ref: FleetRef = { cloud: 'gcp', id, autoscaler: `https://www.googleapis.com/compute/v1/${REGION}/autoscalers/llm-spot-as` };
    await scaler.scaleToZero(ref);
    expect(fake.policy(REGION, 'llm-spot-as').mode).toBe('OFF');
  });

  it('retries throttling (429 rateLimitExceeded) with backoff, then succeeds', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3, { name: 'llm-ondemand', policy: ON_DEMAND_POLICY }) };
    fake.server.failNext((r) => r.url.pathname.endsWith('/resize'), 2, RATE_LIMITED);
    await scaler.scaleToZero(ref);
    expect(fake.group(REGION, 'llm-ondemand').targetSize).toBe(0);
    expect(waits).toHaveLength(2);
    // Each retry carries the first attempt's requestId, so Compute can drop a repeat.
    const ids = new Set(fake.server.requests.filter((r) => r.url.pathname.endsWith('/resize')).map((r) => r.url.searchParams.get('requestId')));
    expect(ids.size).toBe(1);
  });

  it('gives up on throttling after the bounded attempts, with a typed error', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3) };
    fake.server.failNext(() => true, 10, RATE_LIMITED);
    const error = await scaler.capture(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect(error).toMatchObject({ cloud: 'gcp', kind: 'throttled', code: 'rateLimitExceeded', status: 429, retryable: true });
    expect((error as FleetError).message.length).toBeLessThanOrEqual(200);
    expect((error as FleetError).message).toMatch(/gave up after 3 attempts/);
    expect(fake.server.requests).toHaveLength(3);
  });

  it('reports a group that no longer exists, on every call', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: `${REGION}/instanceGroupManagers/gone` };
    for (const attempt of [scaler.capture(ref), scaler.scaleToZero(ref), scaler.restore({ ref, min: 1, max: 2, desired: 1 })]) {
      await expect(attempt).rejects.toMatchObject({ cloud: 'gcp', kind: 'not-found', code: 'notFound', status: 404 });
    }
    await expect(scaler.capture(ref)).rejects.toThrow(/instanceGroupManagers\/gone: not found/);
    expect(waits).toHaveLength(0); // not retried
  });

  it('reports an Operation that ends in error', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3) };
    fake.failNextOperation = { code: 'RESOURCE_NOT_READY', message: 'The resource is not ready', httpStatus: 400 };
    await expect(scaler.scaleToZero(ref)).rejects.toMatchObject({ kind: 'failed', code: 'RESOURCE_NOT_READY' });
  });

  it('stops waiting when the caller aborts (a hung API call)', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3) };
    fake.server.hangNext(() => true);
    const started = Date.now();
    await expect(scaler.capture(ref, AbortSignal.timeout(200))).rejects.toMatchObject({ kind: 'aborted', code: 'Aborted' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds the wait for an Operation that never finishes', async () => {
    const ref: FleetRef = { cloud: 'gcp', id: fake.addGroup(REGION, 'llm-ondemand', 3) };
    fake.waitsPerOperation = Number.POSITIVE_INFINITY;
    const bounded = gcpFleetScaler({ baseUrl: fake.baseUrl, accessToken: async () => GCP_TOKEN, operationTimeoutMs: 100, pollIntervalMs: 10 });
    await expect(bounded.scaleToZero(ref)).rejects.toMatchObject({ kind: 'timeout', code: 'OperationTimeout' });
  });

  it('refuses a locator that is not a group before calling anything', async () => {
    await expect(scaler.capture({ cloud: 'gcp', id: 'llm-ondemand' })).rejects.toMatchObject({ kind: 'invalid', code: 'InvalidLocator' });
    expect(fake.server.requests).toHaveLength(0);
  });
});

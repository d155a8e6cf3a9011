import { awsError } from '../../../lib/budget/fleets/aws';
import { awsFleetScaler, FleetError, type FleetRef } from '../../../lib/budget/fleets';
import { FakeAutoScaling, THROTTLING } from './support/aws-autoscaling';
import { recordingSleep } from './support/local-server';

const NAME = 'ai-prod-llm-gpu-endpoint';
/** The AWS GpuEndpoint's off-peak end (scaleOnSchedule OffPeakEnd), plus an operator's own schedule that also sets MaxSize. */
const SCHEDULES = [
  { name: 'OffPeakEnd', MinSize: 1 },
  { name: 'MondayRush', MinSize: 2, MaxSize: 4 },
];

describe('aws fleet scaler', () => {
  let fake: FakeAutoScaling;
  let scaler: ReturnType<typeof awsFleetScaler>;
  let waits: number[];
  const ref: FleetRef = { cloud: 'aws', id: NAME };

  beforeEach(() => {
    fake = new FakeAutoScaling();
    fake.addGroup(NAME, { min: 1, max: 4, desired: 3 }, SCHEDULES);
    const s = recordingSleep();
    waits = s.waits;
    scaler = awsFleetScaler({ region: 'eu-west-1', sdk: fake.sdk(), retry: { attempts: 3, sleep: s.sleep } });
  });

  it('captures the sizes and whether ScheduledActions was suspended', async () => {
    await expect(scaler.capture(ref)).resolves.toEqual({ ref, min: 1, max: 4, desired: 3, extra: { scheduledActionsSuspended: false } });
  });

  it('scales to zero and neither schedules nor target tracking can raise it', async () => {
    await scaler.scaleToZero(ref);
    expect(fake.groups.get(NAME)).toMatchObject({ MinSize: 0, MaxSize: 0, DesiredCapacity: 0 });
    fake.load = 4;
    fake.tick();
    expect(fake.groups.get(NAME)).toMatchObject({ MinSize: 0, MaxSize: 0, DesiredCapacity: 0 });
  });

  it('suspends ScheduledActions before changing the sizes', async () => {
    await scaler.scaleToZero(ref);
    expect(fake.writes()).toEqual(['SuspendProcesses', 'UpdateAutoScalingGroup']);
    expect(fake.calls.find((c) => c.action === 'SuspendProcesses')?.input).toEqual({ AutoScalingGroupName: NAME, ScalingProcesses: ['ScheduledActions'] });
    expect(fake.calls.find((c) => c.action === 'UpdateAutoScalingGroup')?.input).toEqual({ AutoScalingGroupName: NAME, MinSize: 0, MaxSize: 0, DesiredCapacity: 0 });
  });

  it('changes nothing the second time', async () => {
    await scaler.scaleToZero(ref);
    const before = fake.writes().length;
    await scaler.scaleToZero(ref);
    expect(fake.writes().length).toBe(before);
  });

  it('restores exactly what was captured and resumes the schedules', async () => {
    const captured = await scaler.capture(ref);
    await scaler.scaleToZero(ref);
    await scaler.scaleToZero(ref);
    await scaler.restore(captured);
    expect(fake.groups.get(NAME)).toMatchObject({ MinSize: 1, MaxSize: 4, DesiredCapacity: 3 });
    expect(fake.groups.get(NAME)!.suspended.has('ScheduledActions')).toBe(false);
    await expect(scaler.capture(ref)).resolves.toEqual(captured);
    const before = fake.writes().length;
    await scaler.restore(captured);
    expect(fake.writes().length).toBe(before);
  });

  it("leaves an operator's own suspension of ScheduledActions in place", async () => {
    fake.groups.get(NAME)!.suspended.add('ScheduledActions');
    const captured = await scaler.capture(ref);
    await scaler.scaleToZero(ref);
    await scaler.restore(captured);
    expect(fake.groups.get(NAME)!.suspended.has('ScheduledActions')).toBe(true);
    expect(fake.writes()).toEqual(['UpdateAutoScalingGroup', 'UpdateAutoScalingGroup']);
  });

  it('reads the name and region of a group ARN', async () => {
    const arn = `arn:aws:autoscaling:us-east-2:123456789012:autoScalingGroup:9dbbc5a5-4b7e:autoScalingGroupName/${NAME}`;
    const byArn = awsFleetScaler({ sdk: fake.sdk() });
    await byArn.scaleToZero({ cloud: 'aws', id: arn });
    expect(fake.groups.get(NAME)).toMatchObject({ MaxSize: 0 });
    expect(fake.clientConfigs.at(-1)).toMatchObject({ region: 'us-east-2', maxAttempts: 1 });
  });

  it('retries Throttling with backoff, then succeeds', async () => {
    fake.failNext(2, THROTTLING, 'UpdateAutoScalingGroup');
    await scaler.scaleToZero(ref);
    expect(fake.groups.get(NAME)).toMatchObject({ MaxSize: 0 });
    expect(waits).toHaveLength(2);
  });

  it('gives up on Throttling after the bounded attempts, with a typed error', async () => {
    fake.failNext(10, THROTTLING);
    const error = (await scaler.capture(ref).catch((e: unknown) => e)) as FleetError;
    expect(error).toBeInstanceOf(FleetError);
    expect(error).toMatchObject({ cloud: 'aws', kind: 'throttled', code: 'Throttling', status: 400, retryable: true });
    expect(error.message).toMatch(/Rate exceeded.*gave up after 3 attempts/);
    expect(error.message.length).toBeLessThanOrEqual(200);
    expect(fake.calls).toHaveLength(3);
  });

  it('reports a group that no longer exists, on every call', async () => {
    const gone: FleetRef = { cloud: 'aws', id: 'deleted-group' };
    for (const attempt of [scaler.capture(gone), scaler.scaleToZero(gone), scaler.restore({ ref: gone, min: 1, max: 2, desired: 1 })]) {
      await expect(attempt).rejects.toMatchObject({ cloud: 'aws', kind: 'not-found' });
    }
    await expect(scaler.capture(gone)).rejects.toThrow(/deleted-group not found/);
    expect(waits).toHaveLength(0);
  });

  it('maps ValidationError "name not found" (a group deleted between calls) to not-found', () => {
    const sdkError = Object.assign(new Error('AutoScalingGroup name not found - null'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(awsError('UpdateAutoScalingGroup of x', sdkError, false)).toMatchObject({ kind: 'not-found', code: 'ValidationError', status: 400, retryable: false });
    const contention = Object.assign(new Error('You already have a pending update to an Auto Scaling resource'), { name: 'ResourceContention', $metadata: { httpStatusCode: 500 } });
    expect(awsError('x', contention, false)).toMatchObject({ kind: 'unavailable', retryable: true });
    const denied = Object.assign(new Error('User is not authorized to perform: autoscaling:UpdateAutoScalingGroup'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(awsError('x', denied, false)).toMatchObject({ kind: 'denied', code: 'AccessDenied' });
  });

  it('stops waiting when the caller aborts (a hung API call)', async () => {
    fake.failNext(1);
    const started = Date.now();
    await expect(scaler.scaleToZero(ref, AbortSignal.timeout(200))).rejects.toMatchObject({ kind: 'aborted', code: 'Aborted' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds one API call with its own deadline', async () => {
    fake.failNext(1);
    const bounded = awsFleetScaler({ region: 'eu-west-1', sdk: fake.sdk(), requestTimeoutMs: 100 });
    await expect(bounded.capture(ref)).rejects.toMatchObject({ kind: 'timeout', code: 'Timeout' });
  });

  it('refuses a restore that Auto Scaling would reject, before calling it', async () => {
    await expect(scaler.restore({ ref, min: 3, max: 2, desired: 2 })).rejects.toMatchObject({ kind: 'invalid', code: 'InvalidCapacity' });
    expect(fake.calls).toHaveLength(0);
  });

  it('says which package to install when the SDK is missing', async () => {
    const missing = awsFleetScaler({ region: 'eu-west-1', sdk: () => Promise.reject(new Error("Cannot find module '@aws-sdk/client-auto-scaling'")) });
    await expect(missing.capture(ref)).rejects.toMatchObject({ kind: 'invalid', code: 'SdkMissing' });
    await expect(missing.capture(ref)).rejects.toThrow(/npm i @aws-sdk\/client-auto-scaling/);
  });
});

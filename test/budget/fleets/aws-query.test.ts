import { awsFleetScaler, type FleetRef } from '../../../lib/budget/fleets';
import { FakeAutoScaling, THROTTLING } from './support/aws-autoscaling';
import { LocalServer, recordingSleep } from './support/local-server';

/**
 * The real @aws-sdk/client-auto-scaling against a local server speaking the Auto Scaling Query
 * protocol (form-encoded POST, XML answers, ErrorResponse). Runs once the optional peer is installed
 * (npm i -D @aws-sdk/client-auto-scaling); until then the adapter's logic is covered by aws.test.ts
 * through an SDK stand-in.
 */
function sdkInstalled(): boolean {
  try {
    require.resolve('@aws-sdk/client-auto-scaling');
    return true;
  } catch {
    return false;
  }
}

const NAME = 'ai-prod-llm-gpu-endpoint';

(sdkInstalled() ? describe : describe.skip)('aws fleet scaler over the Query protocol (real SDK)', () => {
  let fake: FakeAutoScaling;
  let server: LocalServer;
  let scaler: ReturnType<typeof awsFleetScaler>;
  let waits: number[];
  const ref: FleetRef = { cloud: 'aws', id: NAME };

  beforeEach(async () => {
    fake = new FakeAutoScaling();
    fake.addGroup(NAME, { min: 1, max: 4, desired: 3 }, [{ name: 'MondayRush', MinSize: 2, MaxSize: 4 }]);
    server = await LocalServer.start((req) => fake.queryAnswer(req));
    const s = recordingSleep();
    waits = s.waits;
    scaler = awsFleetScaler({
      region: 'eu-west-1',
      clientConfig: { endpoint: server.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } },
      retry: { attempts: 3, sleep: s.sleep },
    });
  });
  afterEach(() => server.close());

  it('sends Query requests the fake understands (the SDK still speaks awsQuery for Auto Scaling)', async () => {
    await scaler.capture(ref);
    const first = server.requests[0];
    expect(first.method).toBe('POST');
    expect(first.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(first.body).get('Action')).toBe('DescribeAutoScalingGroups');
    expect(first.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/autoscaling\/aws4_request/);
  });

  it('captures, scales to zero (schedules cannot raise it), stops again idempotently and restores exactly', async () => {
    const captured = await scaler.capture(ref);
    expect(captured).toEqual({ ref, min: 1, max: 4, desired: 3, extra: { scheduledActionsSuspended: false } });
    await scaler.scaleToZero(ref);
    fake.tick();
    expect(fake.groups.get(NAME)).toMatchObject({ MinSize: 0, MaxSize: 0, DesiredCapacity: 0 });
    const writes = fake.writes().length;
    await scaler.scaleToZero(ref);
    expect(fake.writes().length).toBe(writes);
    await scaler.restore(captured);
    expect(fake.groups.get(NAME)).toMatchObject({ MinSize: 1, MaxSize: 4, DesiredCapacity: 3 });
    expect(fake.groups.get(NAME)!.suspended.size).toBe(0);
  });

  it('retries an ErrorResponse with Code Throttling, then succeeds', async () => {
    fake.failNext(2, THROTTLING, 'DescribeAutoScalingGroups');
    await expect(scaler.capture(ref)).resolves.toMatchObject({ desired: 3 });
    expect(waits).toHaveLength(2);
  });

  it('reports ValidationError "name not found" and a group absent from the description as not-found', async () => {
    await expect(scaler.capture({ cloud: 'aws', id: 'gone' })).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('stops waiting when the caller aborts', async () => {
    fake.failNext(1);
    await expect(scaler.capture(ref, AbortSignal.timeout(200))).rejects.toMatchObject({ kind: 'aborted' });
  });
});

if (!sdkInstalled()) {
  it('(skipped: @aws-sdk/client-auto-scaling is not installed; run npm i -D @aws-sdk/client-auto-scaling)', () => undefined);
}

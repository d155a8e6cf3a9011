// Scales EC2 Auto Scaling groups to zero and back through the AWS SDK v3 Auto Scaling client, with
// the function's role (no keys).
//
// API facts this relies on (Amazon EC2 Auto Scaling API Reference, docs.aws.amazon.com/autoscaling/ec2/APIReference):
// - DescribeAutoScalingGroups (AutoScalingGroupNames) answers AutoScalingGroups[] with MinSize, MaxSize,
//   DesiredCapacity and SuspendedProcesses[{ProcessName, SuspensionReason}]; an unknown name is simply absent.
// - UpdateAutoScalingGroup (AutoScalingGroupName, MinSize, MaxSize, DesiredCapacity): "Any properties that you
//   don't specify are not changed"; on a missing group it fails with ValidationError "AutoScalingGroup name not
//   found" (HTTP 400).
// - SuspendProcesses / ResumeProcesses (AutoScalingGroupName, ScalingProcesses.member.N): ScheduledActions is one of
//   the processes ("Suspend and resume Amazon EC2 Auto Scaling processes", userguide/as-suspend-resume-processes.html).
//   The AWS GpuEndpoint builds scheduled actions for the off-peak window (scaleOnSchedule OffPeakStart/OffPeakEnd),
//   and a scheduled action may set MinSize/MaxSize/DesiredCapacity, so the stop suspends ScheduledActions.
//   It builds no warm pool.
// - Throttling answers the error code Throttling ("Rate exceeded"); the Query protocol wraps errors in
//   <ErrorResponse><Error><Code>...</Code><Message>...</Message></Error></ErrorResponse>.
// - @aws-sdk/client-auto-scaling 3.1169 still speaks the Query protocol (`protocol: AwsQueryProtocol`, xmlNamespace
//   http://autoscaling.amazonaws.com/doc/2011-01-01/ in its dist-cjs/index.js). Its errors carry the wire code in
//   `Code`; `name` is the modeled shape's name where there is one (ResourceContention -> ResourceContentionFault).
import type { AutoScalingClient, AutoScalingClientConfig, DescribeAutoScalingGroupsCommandOutput } from '@aws-sdk/client-auto-scaling';
import { FleetError, type FleetErrorKind } from './errors';
import { withRetry, type RetryOptions } from './retry';
import type { FleetCapacity, FleetRef, FleetScaler } from './types';

/** The npm package of the client; an optional peer (the Lambda Node.js runtime ships it). */
export const AUTO_SCALING_SDK = '@aws-sdk/client-auto-scaling';

/** The scaling process a scheduled scale-up runs in. */
export const SCHEDULED_ACTIONS = 'ScheduledActions';

type Sdk = typeof import('@aws-sdk/client-auto-scaling');

/**
 * The part of @aws-sdk/client-auto-scaling the adapter uses. The package is an optional peer that loads
 * on the first call (the Lambda Node.js runtime ships it); tests hand in a stand-in.
 */
export type AutoScalingSdk = Pick<Sdk, 'AutoScalingClient' | 'DescribeAutoScalingGroupsCommand' | 'UpdateAutoScalingGroupCommand' | 'SuspendProcessesCommand' | 'ResumeProcessesCommand'>;

type Group = NonNullable<DescribeAutoScalingGroupsCommandOutput['AutoScalingGroups']>[number];
type Command = InstanceType<AutoScalingSdk[Exclude<keyof AutoScalingSdk, 'AutoScalingClient'>]>;

export interface AwsFleetScalerOptions {
  /** @default - the region of the group's ARN, else `AWS_REGION` */
  readonly region?: string;
  /**
   * Extra configuration of the Auto Scaling client (tests point `endpoint` at a local server and pass
   * static `credentials`).
   * @default - the SDK's default credentials (the function's role)
   */
  readonly clientConfig?: AutoScalingClientConfig;
  /** @default - `require('@aws-sdk/client-auto-scaling')` on first use */
  readonly sdk?: AutoScalingSdk | (() => Promise<AutoScalingSdk>);
  readonly retry?: RetryOptions;
  /** Bound of one API call. @default 30_000 */
  readonly requestTimeoutMs?: number;
}

const GROUP_ARN = /^arn:aws[a-z-]*:autoscaling:([a-z0-9-]+):\d{12}:autoScalingGroup:[^:]+:autoScalingGroupName\/(.+)$/;
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequestsException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch']);
/** Transient: "You already have a pending update to an Amazon EC2 Auto Scaling resource" (HTTP 500). */
const CONTENTION = new Set(['ResourceContention', 'ServiceUnavailable', 'InternalFailure', 'InternalError']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout']);

/** The group's name and, from an ARN, its region. */
export function parseGroupRef(id: string): { name: string; region?: string } {
  const trimmed = id.trim();
  const m = GROUP_ARN.exec(trimmed);
  if (m) return { name: m[2], region: m[1] };
  if (trimmed === '' || trimmed.length > 255 || trimmed.startsWith('arn:')) {
    throw new FleetError('aws', 'invalid', 'InvalidLocator', `aws: '${id}' is not an Auto Scaling group name or ARN`);
  }
  return { name: trimmed };
}

/** An SDK error as a FleetError: the service's wire code (`Code`, else `name`), its status, and what to do about it. */
export function awsError(what: string, error: unknown, timedOut: boolean): FleetError {
  if (error instanceof FleetError) return error;
  const e = (error ?? {}) as { name?: string; code?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const code = e.Code ?? e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? String(error);
  if (timedOut) return new FleetError('aws', 'timeout', 'Timeout', `aws: ${what}: no answer in time`);
  let kind: FleetErrorKind;
  if (THROTTLING.has(code) || e.$retryable?.throttling) kind = 'throttled';
  else if (code === 'ValidationError' && /not found/i.test(message)) kind = 'not-found';
  else if (DENIED.has(code)) kind = 'denied';
  else if (CONTENTION.has(code) || NETWORK.has(code) || NETWORK.has(e.code ?? '') || (status !== undefined && status >= 500)) kind = 'unavailable';
  else kind = 'invalid';
  const lead = kind === 'not-found' ? 'not found (deleted, or a wrong name)' : `${code}${status ? ` (HTTP ${status})` : ''}`;
  return new FleetError('aws', kind, code, `aws: ${what}: ${lead}: ${message}`, status);
}

/** An Auto Scaling group scaler for EC2 Auto Scaling. */
export function awsFleetScaler(options: AwsFleetScalerOptions = {}): FleetScaler {
  let sdk: Promise<AutoScalingSdk> | undefined;
  const clients = new Map<string, AutoScalingClient>();
  const timeoutMs = options.requestTimeoutMs ?? 30_000;

  function loadSdk(): Promise<AutoScalingSdk> {
    const given = options.sdk;
    // require, not import(): a CommonJS bundle's import() resolves as ESM, which ignores NODE_PATH
    // outside Lambda's own runtime (where the SDK lives).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = async () => require(AUTO_SCALING_SDK) as AutoScalingSdk;
    sdk ??= (typeof given === 'function' ? given() : given ? Promise.resolve(given) : load()).catch((err: Error) => {
      sdk = undefined;
      throw new FleetError('aws', 'invalid', 'SdkMissing', `aws: the package ${AUTO_SCALING_SDK} cannot be loaded (${err.message}); run: npm i ${AUTO_SCALING_SDK}`);
    });
    return sdk;
  }

  async function clientFor(region: string | undefined): Promise<{ m: AutoScalingSdk; client: AutoScalingClient }> {
    const r = options.region ?? region ?? process.env.AWS_REGION;
    if (!r) throw new FleetError('aws', 'invalid', 'NoRegion', 'aws: no region for the Auto Scaling group: pass its ARN, set the region option, or set AWS_REGION');
    const m = await loadSdk();
    let client = clients.get(r);
    // maxAttempts 1: the SDK's own retries would multiply with withRetry's; one bounded policy is enough.
    if (!client) clients.set(r, (client = new m.AutoScalingClient({ region: r, maxAttempts: 1, ...options.clientConfig })));
    return { m, client };
  }

  async function send(region: string | undefined, what: string, build: (m: AutoScalingSdk) => Command, signal?: AbortSignal): Promise<unknown> {
    const { m, client } = await clientFor(region);
    return withRetry(
      'aws',
      what,
      async () => {
        const deadline = AbortSignal.timeout(timeoutMs);
        const abortSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
        try {
          // One command type at a time; send's overloads do not take the union.
          return await client.send(build(m) as Parameters<AutoScalingClient['send']>[0], { abortSignal });
        } catch (error) {
          throw awsError(what, error, deadline.aborted && !signal?.aborted);
        }
      },
      options.retry,
      signal,
    );
  }

  async function describe(name: string, region: string | undefined, signal?: AbortSignal): Promise<Group> {
    const out = (await send(region, `DescribeAutoScalingGroups of ${name}`, (m) => new m.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), signal)) as DescribeAutoScalingGroupsCommandOutput | undefined;
    const group = out?.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    if (!group) throw new FleetError('aws', 'not-found', 'NotFound', `aws: Auto Scaling group ${name} not found (deleted, or a wrong name or region)`);
    return group;
  }

  const suspended = (g: Group) => (g.SuspendedProcesses ?? []).some((p) => p.ProcessName === SCHEDULED_ACTIONS);

  async function setSizes(name: string, region: string | undefined, min: number, max: number, desired: number, signal?: AbortSignal): Promise<void> {
    await send(
      region,
      `UpdateAutoScalingGroup of ${name} to min ${min} max ${max} desired ${desired}`,
      (m) => new m.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: min, MaxSize: max, DesiredCapacity: desired }),
      signal,
    );
  }

  return {
    async capture(ref: FleetRef, signal?: AbortSignal): Promise<FleetCapacity> {
      const { name, region } = parseGroupRef(ref.id);
      const g = await describe(name, region, signal);
      return {
        ref,
        min: g.MinSize ?? 0,
        max: g.MaxSize ?? 0,
        desired: g.DesiredCapacity ?? 0,
        extra: { scheduledActionsSuspended: suspended(g) },
      };
    },

    async scaleToZero(ref: FleetRef, signal?: AbortSignal): Promise<void> {
      const { name, region } = parseGroupRef(ref.id);
      const g = await describe(name, region, signal);
      // Schedules first: an off-peak end (or any scheduled action) would otherwise set the sizes back.
      if (!suspended(g)) {
        await send(region, `SuspendProcesses ScheduledActions of ${name}`, (m) => new m.SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: [SCHEDULED_ACTIONS] }), signal);
      }
      // Max 0 bounds target tracking and any manual SetDesiredCapacity; min 0 lets the group empty.
      if (g.MinSize !== 0 || g.MaxSize !== 0 || g.DesiredCapacity !== 0) await setSizes(name, region, 0, 0, 0, signal);
    },

    async restore(capacity: FleetCapacity, signal?: AbortSignal): Promise<void> {
      const { name, region } = parseGroupRef(capacity.ref.id);
      const { min, max, desired } = capacity;
      if (![min, max, desired].every((n) => Number.isInteger(n) && n >= 0) || min > desired || desired > max) {
        throw new FleetError('aws', 'invalid', 'InvalidCapacity', `aws: cannot restore ${name} to min ${min} max ${max} desired ${desired}`);
      }
      const g = await describe(name, region, signal);
      if (g.MinSize !== min || g.MaxSize !== max || g.DesiredCapacity !== desired) await setSizes(name, region, min, max, desired, signal);
      // Resumed only when the stop suspended it: an operator's own suspension stays.
      if (capacity.extra?.scheduledActionsSuspended !== true && suspended(g)) {
        await send(region, `ResumeProcesses ScheduledActions of ${name}`, (m) => new m.ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: [SCHEDULED_ACTIONS] }), signal);
      }
    },
  };
}

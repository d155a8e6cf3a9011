import type { AutoScalingSdk } from '../../../../lib/budget/fleets';
import type { Answer, Received } from './local-server';

/**
 * EC2 Auto Scaling as the adapter sees it, holding groups' sizes, suspended processes and scheduled
 * actions. Two faces over one state:
 * - `sdk()`: a stand-in for @aws-sdk/client-auto-scaling (command classes, `client.send`), throwing
 *   errors shaped like the SDK's (`name` = the service's error code, `$metadata.httpStatusCode`);
 * - `queryAnswer()`: the service's Query protocol wire format (form-encoded requests, XML answers,
 *   ErrorResponse), for the real SDK against a local server.
 */

export interface FakeScheduledAction {
  readonly name: string;
  readonly MinSize?: number;
  readonly MaxSize?: number;
  readonly DesiredCapacity?: number;
}

export interface FakeGroup {
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  readonly suspended: Set<string>;
  readonly scheduledActions: FakeScheduledAction[];
}

export interface FakeError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

export const THROTTLING: FakeError = { code: 'Throttling', message: 'Rate exceeded', status: 400 };

const PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions'];

export class FakeAutoScaling {
  readonly groups = new Map<string, FakeGroup>();
  /** Every call the service received: operation and input. */
  readonly calls: { action: string; input: Record<string, unknown> }[] = [];
  private readonly faults: { action?: string; remaining: number; error?: FakeError }[] = [];
  /** Instances target tracking would want (within MaxSize) while AlarmNotification runs. */
  load = 0;

  addGroup(name: string, sizes: { min: number; max: number; desired: number }, scheduledActions: FakeScheduledAction[] = [], suspended: string[] = []): void {
    this.groups.set(name, { MinSize: sizes.min, MaxSize: sizes.max, DesiredCapacity: sizes.desired, suspended: new Set(suspended), scheduledActions });
  }

  /** The next `times` calls (of `action`, or any) fail with `error`; without one they never answer. */
  failNext(times: number, error?: FakeError, action?: string): void {
    this.faults.push({ action, remaining: times, error });
  }

  writes(): string[] {
    return this.calls.filter((c) => c.action !== 'DescribeAutoScalingGroups').map((c) => c.action);
  }

  /**
   * What time does to a group: scheduled actions run unless ScheduledActions is suspended (an action
   * whose sizes would break min <= desired <= max fails, as the service refuses it), and target
   * tracking asks for `load` instances, capped by MaxSize, unless AlarmNotification is suspended.
   */
  tick(): void {
    for (const g of this.groups.values()) {
      if (!g.suspended.has('ScheduledActions')) {
        for (const a of g.scheduledActions) {
          const min = a.MinSize ?? g.MinSize;
          const max = a.MaxSize ?? g.MaxSize;
          const desired = a.DesiredCapacity ?? Math.min(max, Math.max(min, g.DesiredCapacity));
          if (min <= desired && desired <= max) Object.assign(g, { MinSize: min, MaxSize: max, DesiredCapacity: desired });
        }
      }
      if (!g.suspended.has('AlarmNotification') && this.load > g.DesiredCapacity) g.DesiredCapacity = Math.min(g.MaxSize, this.load);
    }
  }

  /** The operation itself: the new state, or the error the service answers. */
  handle(action: string, input: Record<string, unknown>): { result?: Record<string, unknown>; error?: FakeError } {
    this.calls.push({ action, input });
    const name = input.AutoScalingGroupName as string;
    const missing = { error: { code: 'ValidationError', message: 'AutoScalingGroup name not found - null', status: 400 } };
    switch (action) {
      case 'DescribeAutoScalingGroups': {
        const names = (input.AutoScalingGroupNames as string[] | undefined) ?? [...this.groups.keys()];
        return { result: { AutoScalingGroups: names.filter((n) => this.groups.has(n)).map((n) => describe(n, this.groups.get(n)!)) } };
      }
      case 'UpdateAutoScalingGroup': {
        const g = this.groups.get(name);
        if (!g) return missing;
        const min = (input.MinSize as number | undefined) ?? g.MinSize;
        const max = (input.MaxSize as number | undefined) ?? g.MaxSize;
        const desired = (input.DesiredCapacity as number | undefined) ?? Math.min(max, Math.max(min, g.DesiredCapacity));
        if (min > max) return { error: { code: 'ValidationError', message: `Max bound, ${max}, must be greater than or equal to min bound, ${min}`, status: 400 } };
        if (desired < min || desired > max) return { error: { code: 'ValidationError', message: `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`, status: 400 } };
        Object.assign(g, { MinSize: min, MaxSize: max, DesiredCapacity: desired });
        return { result: {} };
      }
      case 'SuspendProcesses':
      case 'ResumeProcesses': {
        const g = this.groups.get(name);
        if (!g) return missing;
        const processes = (input.ScalingProcesses as string[] | undefined) ?? PROCESSES;
        for (const p of processes) {
          if (!PROCESSES.includes(p)) return { error: { code: 'ValidationError', message: `Invalid scaling process: ${p}`, status: 400 } };
          if (action === 'SuspendProcesses') g.suspended.add(p);
          else g.suspended.delete(p);
        }
        return { result: {} };
      }
      default:
        return { error: { code: 'InvalidAction', message: `Could not find operation ${action} for version 2011-01-01`, status: 400 } };
    }
  }

  /** The fault the next call of `action` meets, if any: an error, or 'hang'. */
  private fault(action: string): FakeError | 'hang' | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (x.action === undefined || x.action === action));
    if (!f) return undefined;
    f.remaining--;
    return f.error ?? 'hang';
  }

  /** A stand-in for the SDK module: commands carry their input; the client runs them against this state. */
  sdk(): AutoScalingSdk {
    const fake = this;
    const command = (action: string) =>
      class {
        readonly action = action;
        constructor(readonly input: Record<string, unknown>) {}
      };
    class AutoScalingClient {
      constructor(readonly config: Record<string, unknown>) {
        fake.clientConfigs.push(config);
      }
      async send(cmd: { action: string; input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
        const fault = fake.fault(cmd.action);
        if (fault === 'hang') {
          fake.calls.push({ action: cmd.action, input: cmd.input });
          return new Promise((_, reject) => {
            const signal = options?.abortSignal;
            const abort = () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
            if (signal?.aborted) abort();
            signal?.addEventListener('abort', abort, { once: true });
          });
        }
        const { result, error } = fault ? (fake.calls.push({ action: cmd.action, input: cmd.input }), { result: undefined, error: fault }) : fake.handle(cmd.action, cmd.input);
        if (error) throw Object.assign(new Error(error.message), { name: error.code, $fault: error.status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: error.status, requestId: 'req-1', attempts: 1 } });
        return { ...result, $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1 } };
      }
    }
    return {
      AutoScalingClient,
      DescribeAutoScalingGroupsCommand: command('DescribeAutoScalingGroups'),
      UpdateAutoScalingGroupCommand: command('UpdateAutoScalingGroup'),
      SuspendProcessesCommand: command('SuspendProcesses'),
      ResumeProcessesCommand: command('ResumeProcesses'),
    } as unknown as AutoScalingSdk;
  }

  readonly clientConfigs: Record<string, unknown>[] = [];

  /**
   * The Query protocol: `Action=...&Version=2011-01-01&AutoScalingGroupNames.member.1=...` in a
   * form-encoded POST; answers `<{Action}Response>` XML, or `<ErrorResponse>` with the error's status.
   */
  queryAnswer(req: Received): Answer | Promise<Answer> {
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? '';
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return errorXml({ code: 'UnsupportedProtocol', message: `the fake speaks the Query protocol only; got content-type ${req.headers['content-type']}`, status: 400 });
    }
    if (form.get('Version') !== '2011-01-01') return errorXml({ code: 'InvalidParameterValue', message: `Version ${form.get('Version')}`, status: 400 });
    const input: Record<string, unknown> = {};
    for (const [k, v] of form) {
      const member = /^(\w+)\.member\.(\d+)$/.exec(k);
      if (member) ((input[member[1]] ??= []) as string[])[Number(member[2]) - 1] = v;
      else if (/^(MinSize|MaxSize|DesiredCapacity)$/.test(k)) input[k] = Number(v);
      else if (k !== 'Action' && k !== 'Version') input[k] = v;
    }
    const fault = this.fault(action);
    if (fault === 'hang') return new Promise<Answer>(() => undefined);
    if (fault) {
      this.calls.push({ action, input });
      return errorXml(fault);
    }
    const { result, error } = this.handle(action, input);
    if (error) return errorXml(error);
    const ns = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
    const meta = '<ResponseMetadata><RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ResponseMetadata>';
    if (action !== 'DescribeAutoScalingGroups') return { status: 200, raw: `<${action}Response xmlns="${ns}">${meta}</${action}Response>` };
    const groups = (result!.AutoScalingGroups as ReturnType<typeof describe>[]).map(groupXml).join('');
    return { status: 200, raw: `<DescribeAutoScalingGroupsResponse xmlns="${ns}"><DescribeAutoScalingGroupsResult><AutoScalingGroups>${groups}</AutoScalingGroups></DescribeAutoScalingGroupsResult>${meta}</DescribeAutoScalingGroupsResponse>` };
  }
}

function describe(name: string, g: FakeGroup) {
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:9dbbc5a5-4b7e-4a43-9e24-1d7d0b9d2f0a:autoScalingGroupName/${name}`,
    MinSize: g.MinSize,
    MaxSize: g.MaxSize,
    DesiredCapacity: g.DesiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
    HealthCheckType: 'ELB',
    CreatedTime: new Date('2026-01-05T10:00:00Z'),
    Instances: [],
    SuspendedProcesses: [...g.suspended].map((p) => ({ ProcessName: p, SuspensionReason: 'User suspended at 2026-01-05T10:00:00Z' })),
  };
}

function groupXml(g: ReturnType<typeof describe>): string {
  const suspended = g.SuspendedProcesses.map((p) => `<member><ProcessName>${p.ProcessName}</ProcessName><SuspensionReason>${p.SuspensionReason}</SuspensionReason></member>`).join('');
  return (
    `<member><AutoScalingGroupName>${g.AutoScalingGroupName}</AutoScalingGroupName><AutoScalingGroupARN>${g.AutoScalingGroupARN}</AutoScalingGroupARN>` +
    `<MinSize>${g.MinSize}</MinSize><MaxSize>${g.MaxSize}</MaxSize><DesiredCapacity>${g.DesiredCapacity}</DesiredCapacity><DefaultCooldown>${g.DefaultCooldown}</DefaultCooldown>` +
    `<AvailabilityZones>${g.AvailabilityZones.map((z) => `<member>${z}</member>`).join('')}</AvailabilityZones><HealthCheckType>${g.HealthCheckType}</HealthCheckType>` +
    `<CreatedTime>${g.CreatedTime.toISOString()}</CreatedTime><Instances/><SuspendedProcesses>${suspended}</SuspendedProcesses></member>`
  );
}

function errorXml(e: FakeError): Answer {
  return {
    status: e.status,
    raw: `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${e.code}</Code><Message>${e.message}</Message></Error><RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ErrorResponse>`,
  };
}

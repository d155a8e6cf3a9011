import { LocalServer, type Answer, type Received } from './local-server';

/**
 * A Compute Engine API v1 stand-in for managed instance groups and their autoscalers, zonal and
 * regional: the resources' JSON, Operation objects that become DONE through `operations/{op}/wait`
 * (the change lands then, as a resize is DONE once scheduled), merge-patch semantics on autoscalers,
 * requestId de-duplication, and Google's error bodies { error: { code, message, errors: [{ reason }], status } }.
 */

export const GCP_TOKEN = 'gcp-test-token';

export interface FakeSchedule {
  minRequiredReplicas: number;
  schedule: string;
  timeZone?: string;
  durationSec: number;
  disabled?: boolean;
  description?: string;
}

export interface FakePolicy {
  mode: string;
  minNumReplicas: number;
  maxNumReplicas: number;
  cooldownPeriodSec?: number;
  customMetricUtilizations?: unknown[];
  scaleInControl?: unknown;
  scalingSchedules?: Record<string, FakeSchedule>;
}

interface Mig {
  targetSize: number;
  autoscaler?: string;
}

interface PendingOp {
  op: Record<string, unknown>;
  pollsLeft: number;
  apply: () => void;
  error?: { code: string; message: string; httpStatus: number };
}

/** `projects/p/regions/r` */
type Scope = string;

export class FakeCompute {
  static async start(): Promise<FakeCompute> {
    const fake = new FakeCompute();
    fake.server = await LocalServer.start((req) => fake.route(req));
    return fake;
  }

  server!: LocalServer;
  readonly migs = new Map<string, Mig>();
  readonly autoscalers = new Map<string, { name: string; target: string; autoscalingPolicy: FakePolicy }>();
  /** Wait calls an Operation answers RUNNING before it is DONE. */
  waitsPerOperation = 1;
  /** The next Operation (resize or patch) ends DONE with this error. */
  failNextOperation?: { code: string; message: string; httpStatus: number };
  /** What the groups' signals (GPU utilization) ask for while the autoscaler is ON. */
  load = 0;
  private readonly operations = new Map<string, PendingOp>();
  private readonly requestIds = new Map<string, Record<string, unknown>>();
  private opCount = 0;

  get baseUrl(): string {
    return `${this.server.url}/compute/v1`;
  }

  addGroup(scope: Scope, name: string, targetSize: number, autoscaler?: { name: string; policy: FakePolicy }): string {
    this.migs.set(`${scope}/instanceGroupManagers/${name}`, { targetSize, autoscaler: autoscaler?.name });
    if (autoscaler) {
      this.autoscalers.set(`${scope}/autoscalers/${autoscaler.name}`, {
        name: autoscaler.name,
        target: `https://www.googleapis.com/compute/v1/${scope}/instanceGroupManagers/${name}`,
        autoscalingPolicy: structuredClone(autoscaler.policy),
      });
    }
    return `https://www.googleapis.com/compute/v1/${scope}/instanceGroupManagers/${name}`;
  }

  group(scope: Scope, name: string): Mig {
    return this.migs.get(`${scope}/instanceGroupManagers/${name}`)!;
  }

  policy(scope: Scope, name: string): FakePolicy {
    return this.autoscalers.get(`${scope}/autoscalers/${name}`)!.autoscalingPolicy;
  }

  /**
   * One round of autoscaling: an autoscaler that is ON sets the group to its recommendation - at least
   * minNumReplicas and every enabled scaling schedule's minRequiredReplicas (here all schedules are
   * in their window), at most maxNumReplicas; ONLY_SCALE_OUT only grows the group; OFF does nothing.
   */
  tick(): void {
    for (const [key, a] of this.autoscalers) {
      const scope = key.slice(0, key.indexOf('/autoscalers/'));
      const mig = this.migs.get(`${scope}/instanceGroupManagers/${a.target.split('/').pop()}`);
      const p = a.autoscalingPolicy;
      if (!mig || p.mode === 'OFF') continue;
      const schedules = Object.values(p.scalingSchedules ?? {}).filter((s) => !s.disabled).map((s) => s.minRequiredReplicas);
      const recommended = Math.min(p.maxNumReplicas, Math.max(p.minNumReplicas, this.load, ...schedules));
      mig.targetSize = p.mode === 'ON' ? recommended : Math.max(mig.targetSize, recommended);
    }
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private route(req: Received): Answer {
    if (req.headers.authorization !== `Bearer ${GCP_TOKEN}`) {
      return googleError(401, 'Request had invalid authentication credentials.', 'authError', 'UNAUTHENTICATED');
    }
    const m = /^\/compute\/v1\/(projects\/[^/]+\/(?:zones|regions)\/[^/]+)\/(.*)$/.exec(req.url.pathname);
    if (!m) return googleError(404, `no such method ${req.url.pathname}`, 'notFound');
    const [, scope, rest] = m;
    let r: RegExpExecArray | null;
    if ((r = /^instanceGroupManagers\/([^/]+)$/.exec(rest)) && req.method === 'GET') return this.getGroup(scope, r[1]);
    if ((r = /^instanceGroupManagers\/([^/]+)\/resize$/.exec(rest)) && req.method === 'POST') return this.resize(scope, r[1], req);
    if ((r = /^autoscalers\/([^/]+)$/.exec(rest)) && req.method === 'GET') return this.getAutoscaler(scope, r[1]);
    if (rest === 'autoscalers' && req.method === 'PATCH') return this.patchAutoscaler(scope, req);
    if ((r = /^operations\/([^/]+)\/wait$/.exec(rest)) && req.method === 'POST') return this.wait(r[1]);
    return googleError(404, `no such method ${req.method} ${req.url.pathname}`, 'notFound');
  }

  private getGroup(scope: Scope, name: string): Answer {
    const key = `${scope}/instanceGroupManagers/${name}`;
    const mig = this.migs.get(key);
    if (!mig) return googleError(404, `The resource '${key}' was not found`, 'notFound');
    const link = `https://www.googleapis.com/compute/v1/${key}`;
    return {
      status: 200,
      body: {
        kind: 'compute#instanceGroupManager',
        name,
        selfLink: link,
        baseInstanceName: name,
        targetSize: mig.targetSize,
        currentActions: { none: mig.targetSize, creating: 0, deleting: 0 },
        status: { isStable: true, ...(mig.autoscaler ? { autoscaler: `https://www.googleapis.com/compute/v1/${scope}/autoscalers/${mig.autoscaler}` } : {}) },
      },
    };
  }

  private resize(scope: Scope, name: string, req: Received): Answer {
    const key = `${scope}/instanceGroupManagers/${name}`;
    const mig = this.migs.get(key);
    if (!mig) return googleError(404, `The resource '${key}' was not found`, 'notFound');
    const sizeText = req.url.searchParams.get('size');
    const size = Number(sizeText);
    if (sizeText === null || !Number.isInteger(size) || size < 0) return googleError(400, `Invalid value for field 'size': '${sizeText}'.`, 'invalid');
    return this.startOperation(req, scope, 'resize', key, () => {
      mig.targetSize = size;
    });
  }

  private getAutoscaler(scope: Scope, name: string): Answer {
    const key = `${scope}/autoscalers/${name}`;
    const a = this.autoscalers.get(key);
    if (!a) return googleError(404, `The resource '${key}' was not found`, 'notFound');
    return { status: 200, body: { kind: 'compute#autoscaler', name, selfLink: `https://www.googleapis.com/compute/v1/${key}`, target: a.target, autoscalingPolicy: a.autoscalingPolicy, status: 'ACTIVE' } };
  }

  private patchAutoscaler(scope: Scope, req: Received): Answer {
    const name = req.url.searchParams.get('autoscaler');
    const key = `${scope}/autoscalers/${name}`;
    const a = this.autoscalers.get(key);
    if (!a) return googleError(404, `The resource '${key}' was not found`, 'notFound');
    const patch = JSON.parse(req.body) as { name?: string; autoscalingPolicy?: Record<string, unknown> };
    if (patch.name !== undefined && patch.name !== name) return googleError(400, `Invalid value for field 'resource.name': '${patch.name}'.`, 'invalid');
    const merged = mergePatch(a.autoscalingPolicy, patch.autoscalingPolicy ?? {}) as FakePolicy;
    if (!['ON', 'OFF', 'ONLY_SCALE_OUT', 'ONLY_UP'].includes(merged.mode)) return googleError(400, `Invalid value for field 'resource.autoscalingPolicy.mode': '${merged.mode}'.`, 'invalid');
    return this.startOperation(req, scope, 'patch', key, () => {
      a.autoscalingPolicy = merged;
    });
  }

  private startOperation(req: Received, scope: Scope, type: string, target: string, apply: () => void): Answer {
    const requestId = req.url.searchParams.get('requestId');
    if (requestId && this.requestIds.has(requestId)) return { status: 200, body: this.requestIds.get(requestId) };
    const name = `operation-${++this.opCount}`;
    const locationField = scope.includes('/zones/') ? { zone: `https://www.googleapis.com/compute/v1/${scope}` } : { region: `https://www.googleapis.com/compute/v1/${scope}` };
    const op = { kind: 'compute#operation', id: String(1000 + this.opCount), name, operationType: type, targetLink: `https://www.googleapis.com/compute/v1/${target}`, status: 'RUNNING', progress: 0, selfLink: `https://www.googleapis.com/compute/v1/${scope}/operations/${name}`, ...locationField };
    const pending: PendingOp = { op, pollsLeft: this.waitsPerOperation, apply, error: this.failNextOperation };
    this.failNextOperation = undefined;
    this.operations.set(name, pending);
    if (requestId) this.requestIds.set(requestId, op);
    return { status: 200, body: op };
  }

  private wait(name: string): Answer {
    const pending = this.operations.get(name);
    if (!pending) return googleError(404, `The resource 'operations/${name}' was not found`, 'notFound');
    if (pending.op.status !== 'DONE' && --pending.pollsLeft <= 0) {
      if (pending.error) {
        pending.op = { ...pending.op, status: 'DONE', progress: 100, httpErrorStatusCode: pending.error.httpStatus, httpErrorMessage: 'ERROR', error: { errors: [{ code: pending.error.code, message: pending.error.message }] } };
      } else {
        pending.apply();
        pending.op = { ...pending.op, status: 'DONE', progress: 100 };
      }
    }
    return { status: 200, body: pending.op };
  }
}

/** Google's error body. */
export function googleError(code: number, message: string, reason: string, status?: string): Answer {
  return { status: code, body: { error: { code, message, errors: [{ message, domain: code === 429 ? 'usageLimits' : 'global', reason }], ...(status ? { status } : {}) } } };
}

export const RATE_LIMITED = googleError(
  429,
  "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per region' of service 'compute.googleapis.com'.",
  'rateLimitExceeded',
  'RESOURCE_EXHAUSTED',
);

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

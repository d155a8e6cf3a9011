// Scales Compute Engine managed instance groups (zonal or regional) to zero and back through the
// Compute Engine REST API v1, keylessly: the token comes from the runtime's metadata server.
//
// API facts this relies on (Compute Engine REST reference, cloud.google.com/compute/docs/reference/rest/v1):
// - instanceGroupManagers.get / regionInstanceGroupManagers.get: GET .../{zones|regions}/{loc}/instanceGroupManagers/{name},
//   whose `targetSize` is the intended size and `status.autoscaler` the URL of the attached autoscaler, if any
//   ("Managing autoscalers", compute/docs/autoscaler/managing-autoscalers).
// - instanceGroupManagers.resize / regionInstanceGroupManagers.resize: POST .../instanceGroupManagers/{name}/resize?size=N[&requestId=UUID],
//   answering an Operation; permission compute.instanceGroupManagers.update. "The resize operation is marked DONE
//   if the resize request is successful"; the VMs go afterwards.
// - autoscalers.get/patch, regionAutoscalers.get/patch: GET .../autoscalers/{name}; PATCH .../autoscalers?autoscaler={name}
//   with JSON merge patch semantics, answering an Operation; permissions compute.autoscalers.get / compute.autoscalers.update
//   ("To edit an existing autoscaler: compute.autoscalers.update", compute/docs/autoscaler/scaling-schedules).
// - AutoscalingPolicy.mode OFF: "Do not automatically scale the MIG in or out" - schedules and signals included,
//   while the configuration is kept (Google.Cloud.Compute.V1 AutoscalingPolicy.Types.Mode reference).
// - zoneOperations.wait / regionOperations.wait: POST .../operations/{name}/wait returns when the Operation is DONE or
//   near a 2-minute deadline, "best-effort ... be prepared to retry if the operation is not DONE".
// - Errors: { error: { code, message, errors: [{ domain, reason, message }], status } }; throttling is HTTP 429
//   (or 403) with reason rateLimitExceeded / userRateLimitExceeded (status RESOURCE_EXHAUSTED).
import { randomUUID } from 'node:crypto';
import { metadataServerToken } from '../../router/stores/firestore/auth';
import { clip, FleetError, kindOfStatus } from './errors';
import { sendJson, type HttpOptions, type JsonAnswer } from './http';
import { abortableSleep, abortedError, withRetry, type RetryOptions } from './retry';
import type { FleetCapacity, FleetRef, FleetScaler } from './types';

/** The public Compute Engine API, version 1. */
export const GCP_COMPUTE_URL = 'https://compute.googleapis.com/compute/v1';

export interface GcpFleetScalerOptions extends HttpOptions {
  /** @default GCP_COMPUTE_URL (tests point it at a local server) */
  readonly baseUrl?: string;
  /**
   * An OAuth 2 access token with the cloud-platform (or compute) scope.
   * @default - the runtime service account's token from the metadata server (Cloud Run, Cloud Functions),
   *   cached until shortly before it expires
   */
  readonly accessToken?: () => Promise<string>;
  readonly retry?: RetryOptions;
  /**
   * Longest wait for one Operation to be DONE. Resizes are DONE once scheduled, autoscaler patches within
   * seconds; minutes mean something is wrong, and the stop should say so rather than hang.
   * @default 300_000
   */
  readonly operationTimeoutMs?: number;
  /** Pause before asking again when `wait` answered early without the Operation being DONE. @default 1_000 */
  readonly pollIntervalMs?: number;
}

/** A managed instance group located by its path. */
interface Group {
  readonly project: string;
  readonly scope: 'zones' | 'regions';
  readonly location: string;
  readonly name: string;
  /** `projects/<p>/<scope>/<location>/instanceGroupManagers/<name>` */
  readonly path: string;
}

interface Operation {
  readonly name?: string;
  readonly status?: string;
  readonly error?: { readonly errors?: readonly { readonly code?: string; readonly message?: string }[] };
  readonly httpErrorStatusCode?: number;
  readonly httpErrorMessage?: string;
}

interface Autoscaler {
  readonly name?: string;
  readonly autoscalingPolicy?: {
    readonly mode?: string;
    readonly minNumReplicas?: number;
    readonly maxNumReplicas?: number;
  };
}

interface InstanceGroupManager {
  readonly targetSize?: number;
  readonly status?: { readonly autoscaler?: string };
}

const GROUP_PATH = /(?:^|\/)projects\/([^/]+)\/(zones|regions)\/([^/]+)\/instanceGroupManagers\/([^/?#]+)$/;
const AUTOSCALER_PATH = /(?:^|\/)projects\/([^/]+)\/(zones|regions)\/([^/]+)\/autoscalers\/([^/?#]+)$/;
const RESOURCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

let sharedToken: (() => Promise<string>) | undefined;

function defaultAccessToken(): Promise<string> {
  sharedToken ??= metadataServerToken();
  return sharedToken();
}

export function parseGroup(id: string): Group {
  const m = GROUP_PATH.exec(id.trim());
  if (!m) {
    throw new FleetError('gcp', 'invalid', 'InvalidLocator', `gcp: '${id}' is not a managed instance group; expected projects/<p>/zones|regions/<z>/instanceGroupManagers/<n> or its self link`);
  }
  const [, project, scope, location, name] = m;
  return { project, scope: scope as Group['scope'], location, name, path: `projects/${project}/${scope}/${location}/instanceGroupManagers/${name}` };
}

/**
 * The autoscaler's name from a name or a self link. A group's autoscaler lives in the group's zone or
 * region: a link elsewhere is a wrong locator, refused before anything is changed.
 */
function autoscalerName(locator: string, group: Group): string {
  const m = AUTOSCALER_PATH.exec(locator.trim());
  if (m) {
    if (m[1] !== group.project || m[2] !== group.scope || m[3] !== group.location) {
      throw new FleetError('gcp', 'invalid', 'InvalidLocator', `gcp: autoscaler ${locator} is not in ${group.scope}/${group.location} of project ${group.project}, where ${group.name} is`);
    }
    return m[4];
  }
  if (RESOURCE_NAME.test(locator)) return locator;
  throw new FleetError('gcp', 'invalid', 'InvalidLocator', `gcp: '${locator}' is neither an autoscaler name nor its self link`);
}

function gcpError(what: string, answer: JsonAnswer): FleetError {
  const e = (answer.body as { error?: { message?: unknown; status?: unknown; errors?: { reason?: unknown }[] } } | undefined)?.error;
  const reason = typeof e?.errors?.[0]?.reason === 'string' ? (e.errors[0].reason as string) : undefined;
  const status = typeof e?.status === 'string' ? e.status : undefined;
  let kind = kindOfStatus(answer.status);
  if (reason && THROTTLE_REASONS.has(reason)) kind = 'throttled';
  const code = reason ?? status ?? String(answer.status);
  const detail = typeof e?.message === 'string' ? e.message : answer.text;
  const lead = kind === 'not-found' ? 'not found (deleted, or a wrong locator)' : `HTTP ${answer.status} ${code}`;
  return new FleetError('gcp', kind, code, `gcp: ${what}: ${lead}: ${detail}`, answer.status);
}

/** A managed instance group scaler for Compute Engine (zonal and regional groups, with or without an autoscaler). */
export function gcpFleetScaler(options: GcpFleetScalerOptions = {}): FleetScaler {
  const base = (options.baseUrl ?? GCP_COMPUTE_URL).replace(/\/+$/, '');
  const accessToken = options.accessToken ?? defaultAccessToken;
  const operationTimeoutMs = options.operationTimeoutMs ?? 300_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;

  async function token(what: string): Promise<string> {
    try {
      return await accessToken();
    } catch (error) {
      throw new FleetError('gcp', 'denied', 'NoAccessToken', `gcp: ${what}: no access token: ${(error as Error).message}`);
    }
  }

  /** One call, retried while throttled; the parsed body of its 2xx answer. */
  function call<T>(what: string, method: 'GET' | 'POST' | 'PATCH', url: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return withRetry(
      'gcp',
      what,
      async () => {
        const answer = await sendJson('gcp', what, { method, url, token: await token(what), body }, options, signal);
        if (answer.status < 200 || answer.status >= 300) throw gcpError(what, answer);
        return answer.body as T;
      },
      options.retry,
      signal,
    );
  }

  const scopeUrl = (g: Group) => `${base}/projects/${g.project}/${g.scope}/${g.location}`;

  /** Waits for `op` to be DONE, within `operationTimeoutMs`; a failed Operation becomes a FleetError. */
  async function waitDone(g: Group, what: string, op: Operation, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + operationTimeoutMs;
    while (op.status !== 'DONE') {
      if (!op.name) throw new FleetError('gcp', 'invalid', 'NoOperationName', `gcp: ${what}: the answer is not an Operation: ${clip(JSON.stringify(op))}`);
      if (Date.now() >= deadline) throw new FleetError('gcp', 'timeout', 'OperationTimeout', `gcp: ${what}: operation ${op.name} not DONE after ${operationTimeoutMs} ms (status ${op.status})`);
      const startedAt = Date.now();
      op = await call<Operation>(`wait for ${what}`, 'POST', `${scopeUrl(g)}/operations/${encodeURIComponent(op.name)}/wait`, undefined, signal);
      // wait is best-effort and may answer at once: never spin on it.
      if (op.status !== 'DONE' && Date.now() - startedAt < pollIntervalMs) {
        try {
          await abortableSleep(pollIntervalMs, signal);
        } catch {
          throw abortedError('gcp', what, signal!);
        }
      }
    }
    const failure = op.error?.errors?.[0];
    if (failure) {
      const status = op.httpErrorStatusCode;
      const kind = status === undefined ? 'failed' : status === 404 ? 'not-found' : 'failed';
      throw new FleetError('gcp', kind, failure.code ?? 'OperationFailed', `gcp: ${what}: operation ${op.name} failed: ${failure.message ?? op.httpErrorMessage ?? ''}`, status);
    }
  }

  const getGroup = (g: Group, signal?: AbortSignal) => call<InstanceGroupManager>(`get of ${g.path}`, 'GET', `${scopeUrl(g)}/instanceGroupManagers/${g.name}`, undefined, signal);

  const getAutoscaler = (g: Group, name: string, signal?: AbortSignal) =>
    call<Autoscaler>(`get of autoscaler ${name} of ${g.path}`, 'GET', `${scopeUrl(g)}/autoscalers/${name}`, undefined, signal);

  async function resize(g: Group, size: number, signal?: AbortSignal): Promise<void> {
    const what = `resize of ${g.path} to ${size}`;
    // One requestId for every retry of this resize: Compute ignores a repeat of a request it completed.
    const url = `${scopeUrl(g)}/instanceGroupManagers/${g.name}/resize?size=${size}&requestId=${randomUUID()}`;
    await waitDone(g, what, await call<Operation>(what, 'POST', url, undefined, signal), signal);
  }

  async function setMode(g: Group, name: string, mode: string, signal?: AbortSignal): Promise<void> {
    const what = `setting autoscaler ${name} of ${g.path} to mode ${mode}`;
    const url = `${scopeUrl(g)}/autoscalers?autoscaler=${encodeURIComponent(name)}&requestId=${randomUUID()}`;
    // A merge patch of the mode alone: signals, bounds and scaling schedules stay as they are, so
    // turning it back ON restores the autoscaler exactly.
    const op = await call<Operation>(what, 'PATCH', url, { name, autoscalingPolicy: { mode } }, signal);
    await waitDone(g, what, op, signal);
  }

  /**
   * The group's autoscaler: the one the group reports (the truth, should the locator be stale), else
   * the ref's, else none.
   */
  function attachedAutoscaler(g: Group, mig: InstanceGroupManager, locator: string | undefined): string | undefined {
    const link = mig.status?.autoscaler;
    if (typeof link === 'string' && link !== '') return autoscalerName(link, g);
    return locator === undefined ? undefined : autoscalerName(locator, g);
  }

  function sizeOf(g: Group, mig: InstanceGroupManager): number {
    if (typeof mig.targetSize !== 'number') throw new FleetError('gcp', 'invalid', 'NoTargetSize', `gcp: ${g.path} answered without a targetSize`);
    return mig.targetSize;
  }

  return {
    async capture(ref: FleetRef, signal?: AbortSignal): Promise<FleetCapacity> {
      const g = parseGroup(ref.id);
      const mig = await getGroup(g, signal);
      const size = sizeOf(g, mig);
      const name = attachedAutoscaler(g, mig, ref.autoscaler);
      if (name === undefined) return { ref, min: size, max: size, desired: size, extra: {} };
      const policy = (await getAutoscaler(g, name, signal)).autoscalingPolicy ?? {};
      return {
        ref,
        min: policy.minNumReplicas ?? size,
        max: policy.maxNumReplicas ?? size,
        desired: size,
        extra: { autoscaler: name, mode: policy.mode ?? 'ON' },
      };
    },

    async scaleToZero(ref: FleetRef, signal?: AbortSignal): Promise<void> {
      const g = parseGroup(ref.id);
      let mig = await getGroup(g, signal);
      const name = attachedAutoscaler(g, mig, ref.autoscaler);
      if (name !== undefined) {
        // Off first: an autoscaler left ON resizes the group back to its minimum (or a scaling schedule's).
        const mode = (await getAutoscaler(g, name, signal)).autoscalingPolicy?.mode ?? 'ON';
        if (mode !== 'OFF') {
          await setMode(g, name, 'OFF', signal);
          // It may have resized the group between the first read and now.
          mig = await getGroup(g, signal);
        }
      }
      if (sizeOf(g, mig) !== 0) await resize(g, 0, signal);
    },

    async restore(capacity: FleetCapacity, signal?: AbortSignal): Promise<void> {
      const g = parseGroup(capacity.ref.id);
      const desired = capacity.desired;
      if (!Number.isInteger(desired) || desired < 0) throw new FleetError('gcp', 'invalid', 'InvalidCapacity', `gcp: cannot restore ${g.path} to ${desired} replicas`);
      const extra = capacity.extra ?? {};
      const name = typeof extra.autoscaler === 'string' ? autoscalerName(extra.autoscaler, g) : undefined;
      const mode = typeof extra.mode === 'string' ? extra.mode : undefined;
      const mig = await getGroup(g, signal);
      // Size first, while the autoscaler is still OFF, so the group comes back where it was; the
      // autoscaler then takes over from there.
      if (sizeOf(g, mig) !== desired) await resize(g, desired, signal);
      if (name !== undefined && mode !== undefined) {
        const current = (await getAutoscaler(g, name, signal)).autoscalingPolicy?.mode ?? 'ON';
        if (current !== mode) await setMode(g, name, mode, signal);
      }
    },
  };
}

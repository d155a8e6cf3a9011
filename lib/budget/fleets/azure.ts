// Scales Azure virtual machine scale sets to zero and back through Azure Resource Manager, keylessly:
// the token comes from the function app's managed identity.
//
// API facts this relies on (learn.microsoft.com/rest/api):
// - Virtual Machine Scale Sets - Get / Update: GET and PATCH
//   https://management.azure.com/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}?api-version=2024-07-01;
//   the instance count is `sku.capacity`; Update answers 200 or 202 and runs asynchronously.
// - Autoscale Settings - Get / Create Or Update: GET and PUT
//   .../resourcegroups/{rg}/providers/Microsoft.Insights/autoscalesettings/{name}?api-version=2022-10-01; the PUT body
//   needs `location` and `properties.profiles`; `properties.enabled` "specifies whether automatic scaling is enabled
//   for the resource. The default value is 'false'"; ScaleCapacity minimum/maximum/default are strings.
// - Track asynchronous Azure operations (azure-resource-manager/management/async-operations): poll the
//   Azure-AsyncOperation URL when given (its `status` ends as Succeeded, Failed or Canceled, with `error {code, message}`),
//   else the Location URL (202 while running); Retry-After gives the seconds to wait; tracking needs read permission
//   at resource-group level (Microsoft.Compute/locations/operations/read for Compute).
// - Errors: { error: { code, message } }; throttling is HTTP 429 with Retry-After.
import { FleetError, kindOfStatus } from './errors';
import { retryAfterMs, sendJson, type HttpOptions, type JsonAnswer } from './http';
import { abortableSleep, abortedError, withRetry, type RetryOptions } from './retry';
import type { FleetCapacity, FleetRef, FleetScaler } from './types';

/** Azure Resource Manager, public cloud. */
export const AZURE_MANAGEMENT_URL = 'https://management.azure.com';
/** Audience of Microsoft Entra tokens for Azure Resource Manager. */
export const AZURE_MANAGEMENT_SCOPE = 'https://management.azure.com/.default';
export const VMSS_API_VERSION = '2024-07-01';
export const AUTOSCALE_API_VERSION = '2022-10-01';

export interface AzureFleetScalerOptions extends HttpOptions {
  /** @default AZURE_MANAGEMENT_URL (tests point it at a local server; sovereign clouds at theirs) */
  readonly baseUrl?: string;
  /**
   * A Microsoft Entra access token for Azure Resource Manager.
   * @default - `ManagedIdentityCredential` from @azure/identity with `clientId` (the function app's
   *   user-assigned identity; system-assigned when unset), cached and refreshed before it expires
   */
  readonly accessToken?: () => Promise<string>;
  /** @default process.env.AZURE_CLIENT_ID */
  readonly clientId?: string;
  readonly retry?: RetryOptions;
  /**
   * Longest wait for one asynchronous operation. A scale-in deletes the VMs before it reports
   * Succeeded, which takes minutes for GPU VMs.
   * @default 900_000
   */
  readonly operationTimeoutMs?: number;
  /** Pause between polls when the answer carries no Retry-After. @default 5_000 */
  readonly pollIntervalMs?: number;
}

interface ScaleSet {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<n>` */
  readonly id: string;
}

interface VmssResource {
  readonly sku?: { readonly name?: string; readonly tier?: string; readonly capacity?: number };
}

interface AutoscaleResource {
  readonly id?: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: {
    readonly enabled?: boolean;
    readonly targetResourceUri?: string;
    readonly profiles?: readonly { readonly name?: string; readonly capacity?: { readonly minimum?: string; readonly maximum?: string; readonly default?: string } }[];
    readonly [key: string]: unknown;
  };
}

const VMSS_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/?#]+)$/i;
const AUTOSCALE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/autoscalesettings\/([^/?#]+)$/i;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
/** Longest pause between polls, whatever Retry-After says: the operation bound is what limits the wait. */
const MAX_POLL_WAIT_MS = 60_000;

export function parseScaleSet(id: string): ScaleSet {
  const m = VMSS_ID.exec(id.trim());
  if (!m) {
    throw new FleetError('azure', 'invalid', 'InvalidLocator', `azure: '${id}' is not a scale set id; expected /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<n>`);
  }
  return { subscription: m[1], resourceGroup: m[2], name: m[3], id: id.trim() };
}

function checkAutoscaleId(id: string): string {
  if (!AUTOSCALE_ID.test(id.trim())) {
    throw new FleetError('azure', 'invalid', 'InvalidLocator', `azure: '${id}' is not an autoscale setting id; expected /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Insights/autoscalesettings/<n>`);
  }
  return id.trim();
}

function managedIdentityToken(clientId: string | undefined): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ ManagedIdentityCredential, getBearerTokenProvider }) =>
      getBearerTokenProvider(clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(), AZURE_MANAGEMENT_SCOPE),
    );
    let getToken: () => Promise<string>;
    try {
      getToken = await provider;
    } catch (err) {
      provider = undefined;
      throw new Error(`the package @azure/identity cannot be loaded (${(err as Error).message}); run: npm i @azure/identity`);
    }
    return getToken();
  };
}

function armError(what: string, answer: JsonAnswer): FleetError {
  const e = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof e?.code === 'string' ? e.code : String(answer.status);
  let kind = kindOfStatus(answer.status);
  // 409: another operation on the scale set is under way; it ends, so waiting and retrying helps.
  if (answer.status === 409) kind = 'unavailable';
  const detail = typeof e?.message === 'string' ? e.message : answer.text;
  const lead = kind === 'not-found' ? 'not found (deleted, or a wrong id)' : `HTTP ${answer.status} ${code}`;
  return new FleetError('azure', kind, code, `azure: ${what}: ${lead}: ${detail}`, answer.status, retryAfterMs(answer.headers));
}

const capacityNumber = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : Number(value));

/** A scale set scaler for Azure (uniform or flexible orchestration, with or without an autoscale setting). */
export function azureFleetScaler(options: AzureFleetScalerOptions = {}): FleetScaler {
  const base = (options.baseUrl ?? AZURE_MANAGEMENT_URL).replace(/\/+$/, '');
  const origin = new URL(base).origin;
  const accessToken = options.accessToken ?? managedIdentityToken(options.clientId ?? process.env.AZURE_CLIENT_ID);
  const operationTimeoutMs = options.operationTimeoutMs ?? 900_000;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;

  async function token(what: string): Promise<string> {
    try {
      return await accessToken();
    } catch (error) {
      throw new FleetError('azure', 'denied', 'NoAccessToken', `azure: ${what}: no Microsoft Entra token: ${(error as Error).message}`);
    }
  }

  /** One exchange, retried while throttled or conflicting; the whole 2xx answer (headers drive the polling). */
  function exchange(what: string, method: 'GET' | 'PATCH' | 'PUT', url: string, body: unknown, signal?: AbortSignal): Promise<JsonAnswer> {
    return withRetry(
      'azure',
      what,
      async () => {
        const answer = await sendJson('azure', what, { method, url, token: await token(what), body }, options, signal);
        if (answer.status < 200 || answer.status >= 300) throw armError(what, answer);
        return answer;
      },
      options.retry,
      signal,
    );
  }

  /** A URL of ours or a polling URL ARM gave: the token is sent to the management endpoint only. */
  function trusted(what: string, url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url, base);
    } catch {
      throw new FleetError('azure', 'invalid', 'InvalidPollingUrl', `azure: ${what}: unreadable polling URL ${url}`);
    }
    if (parsed.origin !== origin) throw new FleetError('azure', 'invalid', 'UntrustedPollingUrl', `azure: ${what}: polling URL ${parsed.origin} is not ${origin}; not sending the token there`);
    return parsed.href;
  }

  async function pause(answer: JsonAnswer, what: string, signal?: AbortSignal): Promise<void> {
    const wait = Math.min(MAX_POLL_WAIT_MS, retryAfterMs(answer.headers) ?? pollIntervalMs);
    try {
      await abortableSleep(wait, signal);
    } catch {
      throw abortedError('azure', what, signal!);
    }
  }

  /** Waits for the asynchronous operation an answer started, if any, within `operationTimeoutMs`. */
  async function settle(what: string, started: JsonAnswer, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + operationTimeoutMs;
    const asyncUrl = started.headers.get('azure-asyncoperation');
    const location = started.headers.get('location');
    const overdue = () => new FleetError('azure', 'timeout', 'OperationTimeout', `azure: ${what}: not finished after ${operationTimeoutMs} ms`);
    if (asyncUrl) {
      const url = trusted(what, asyncUrl);
      let answer = started;
      for (;;) {
        if (Date.now() >= deadline) throw overdue();
        await pause(answer, what, signal);
        answer = await exchange(`status of ${what}`, 'GET', url, undefined, signal);
        const body = answer.body as { status?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
        const status = typeof body?.status === 'string' ? body.status : '';
        if (!TERMINAL.has(status.toLowerCase())) continue;
        if (status.toLowerCase() === 'succeeded') return;
        const code = typeof body?.error?.code === 'string' ? body.error.code : status;
        const message = typeof body?.error?.message === 'string' ? body.error.message : '';
        throw new FleetError('azure', 'failed', code, `azure: ${what}: ${status}: ${message}`);
      }
    }
    if (started.status === 202 && location) {
      const url = trusted(what, location);
      let answer = started;
      while (answer.status === 202) {
        if (Date.now() >= deadline) throw overdue();
        await pause(answer, what, signal);
        answer = await exchange(`status of ${what}`, 'GET', url, undefined, signal);
      }
    }
  }

  const vmssUrl = (s: ScaleSet) => `${base}${s.id}?api-version=${VMSS_API_VERSION}`;
  const autoscaleUrl = (id: string) => `${base}${id}?api-version=${AUTOSCALE_API_VERSION}`;

  async function getScaleSet(s: ScaleSet, signal?: AbortSignal): Promise<{ capacity: number; sku: NonNullable<VmssResource['sku']> }> {
    const vmss = (await exchange(`get of ${s.id}`, 'GET', vmssUrl(s), undefined, signal)).body as VmssResource | undefined;
    const capacity = vmss?.sku?.capacity;
    if (typeof capacity !== 'number') throw new FleetError('azure', 'invalid', 'NoCapacity', `azure: ${s.id} answered without sku.capacity`);
    return { capacity, sku: vmss!.sku! };
  }

  async function setCapacity(s: ScaleSet, sku: NonNullable<VmssResource['sku']>, capacity: number, signal?: AbortSignal): Promise<void> {
    const what = `scaling ${s.id} to ${capacity}`;
    // The sku as read, with the new capacity: its name is the size (or 'Mix' with a sku profile), unchanged.
    const body = { sku: { ...(sku.name ? { name: sku.name } : {}), ...(sku.tier ? { tier: sku.tier } : {}), capacity } };
    await settle(what, await exchange(what, 'PATCH', vmssUrl(s), body, signal), signal);
  }

  const getAutoscale = async (id: string, signal?: AbortSignal) =>
    (await exchange(`get of ${id}`, 'GET', autoscaleUrl(id), undefined, signal)).body as AutoscaleResource;

  /** Writes the setting back as read, `enabled` aside: profiles, rules and notifications are kept. */
  async function setEnabled(id: string, setting: AutoscaleResource, enabled: boolean, signal?: AbortSignal): Promise<void> {
    const what = `${enabled ? 'enabling' : 'disabling'} ${id}`;
    const body = { location: setting.location, ...(setting.tags ? { tags: setting.tags } : {}), properties: { ...setting.properties, enabled } };
    await settle(what, await exchange(what, 'PUT', autoscaleUrl(id), body, signal), signal);
  }

  /** The autoscale setting of the scale set: the ref's, else the one of its resource group that targets it. */
  async function autoscaleOf(s: ScaleSet, locator: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (locator !== undefined) return checkAutoscaleId(locator);
    let url: string | undefined = `${base}/subscriptions/${s.subscription}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Insights/autoscalesettings?api-version=${AUTOSCALE_API_VERSION}`;
    const found: string[] = [];
    for (let page = 0; url && page < 50; page++) {
      const list = (await exchange(`list of autoscale settings of ${s.resourceGroup}`, 'GET', url, undefined, signal)).body as { value?: AutoscaleResource[]; nextLink?: string } | undefined;
      for (const setting of list?.value ?? []) {
        if (setting.properties?.targetResourceUri?.toLowerCase() === s.id.toLowerCase() && setting.id) found.push(setting.id);
      }
      url = list?.nextLink ? trusted('listing autoscale settings', list.nextLink) : undefined;
    }
    if (found.length > 1) throw new FleetError('azure', 'invalid', 'SeveralAutoscaleSettings', `azure: ${found.length} autoscale settings target ${s.name}; pass the one to hold as the ref's autoscaler`);
    return found[0];
  }

  return {
    async capture(ref: FleetRef, signal?: AbortSignal): Promise<FleetCapacity> {
      const s = parseScaleSet(ref.id);
      const { capacity } = await getScaleSet(s, signal);
      const id = await autoscaleOf(s, ref.autoscaler, signal);
      if (id === undefined) return { ref, min: capacity, max: capacity, desired: capacity, extra: {} };
      const setting = await getAutoscale(id, signal);
      const profiles = (setting.properties?.profiles ?? []).map((p) => ({
        name: p.name ?? '',
        minimum: capacityNumber(p.capacity?.minimum),
        maximum: capacityNumber(p.capacity?.maximum),
        default: capacityNumber(p.capacity?.default),
      }));
      const mins = profiles.map((p) => p.minimum).filter((n): n is number => n !== undefined);
      const maxes = profiles.map((p) => p.maximum).filter((n): n is number => n !== undefined);
      return {
        ref,
        // Across every profile (off-peak ones too): the bounds autoscale moves the count within.
        min: mins.length > 0 ? Math.min(...mins) : capacity,
        max: maxes.length > 0 ? Math.max(...maxes) : capacity,
        desired: capacity,
        extra: { autoscaleSetting: id, enabled: setting.properties?.enabled === true, profiles },
      };
    },

    async scaleToZero(ref: FleetRef, signal?: AbortSignal): Promise<void> {
      const s = parseScaleSet(ref.id);
      const id = await autoscaleOf(s, ref.autoscaler, signal);
      if (id !== undefined) {
        // Disabled first: an enabled setting raises the count to its profile's minimum again, and its
        // recurring (peak / off-peak) profiles would do so on their own schedule.
        const setting = await getAutoscale(id, signal);
        if (setting.properties?.enabled !== false) await setEnabled(id, setting, false, signal);
      }
      const { capacity, sku } = await getScaleSet(s, signal);
      if (capacity !== 0) await setCapacity(s, sku, 0, signal);
    },

    async restore(capacity: FleetCapacity, signal?: AbortSignal): Promise<void> {
      const s = parseScaleSet(capacity.ref.id);
      const desired = capacity.desired;
      if (!Number.isInteger(desired) || desired < 0) throw new FleetError('azure', 'invalid', 'InvalidCapacity', `azure: cannot restore ${s.id} to ${desired} instances`);
      const extra = capacity.extra ?? {};
      const current = await getScaleSet(s, signal);
      // Count first, while autoscale is still off, so the set comes back where it was.
      if (current.capacity !== desired) await setCapacity(s, current.sku, desired, signal);
      if (typeof extra.autoscaleSetting === 'string' && typeof extra.enabled === 'boolean') {
        const id = checkAutoscaleId(extra.autoscaleSetting);
        const setting = await getAutoscale(id, signal);
        if ((setting.properties?.enabled === true) !== extra.enabled) await setEnabled(id, setting, extra.enabled, signal);
      }
    },
  };
}

import { LocalServer, type Answer, type Received } from './local-server';

/**
 * An Azure Resource Manager stand-in for virtual machine scale sets and Microsoft.Insights autoscale
 * settings: case-insensitive resource ids, a required api-version, VMSS updates that run as
 * asynchronous operations (200 + Azure-AsyncOperation, polled until Succeeded, the new capacity landing
 * then), autoscale PUTs validated like ARM (location and profiles required, capacities as strings),
 * and ARM error bodies { error: { code, message } } with Retry-After on 429.
 */

export const AZURE_TOKEN = 'azure-test-token';

export interface FakeProfile {
  name: string;
  capacity: { minimum: string; maximum: string; default: string };
  rules: unknown[];
  recurrence?: { frequency: 'Week'; schedule: { timeZone: string; days: string[]; hours: number[]; minutes: number[] } };
}

export interface FakeAutoscaleSetting {
  id: string;
  name: string;
  type: 'Microsoft.Insights/autoscaleSettings';
  location: string;
  tags: Record<string, string>;
  properties: {
    name: string;
    enabled: boolean;
    targetResourceUri: string;
    targetResourceLocation: string;
    profiles: FakeProfile[];
    notifications: unknown[];
    predictiveAutoscalePolicy: { scaleMode: string };
  };
}

interface Vmss {
  id: string;
  location: string;
  sku: { name: string; tier: string; capacity: number };
}

interface PendingOp {
  pollsLeft: number;
  apply: () => void;
  error?: { code: string; message: string };
  status?: string;
}

export class FakeArm {
  static async start(): Promise<FakeArm> {
    const fake = new FakeArm();
    fake.server = await LocalServer.start((req) => fake.route(req));
    return fake;
  }

  server!: LocalServer;
  readonly scaleSets = new Map<string, Vmss>();
  readonly settings = new Map<string, FakeAutoscaleSetting>();
  /** Polls an operation answers InProgress before it ends. */
  pollsPerOperation = 2;
  /** The next VMSS update's operation ends Failed with this error. */
  failNextOperation?: { code: string; message: string };
  /** Where the asynchronous-operation URL points (tests of the token guard change it). */
  asyncOrigin?: string;
  /** Which profile of each setting is in force during `tick` (by setting id); the first otherwise. */
  readonly activeProfile = new Map<string, string>();
  private readonly operations = new Map<string, PendingOp>();
  private opCount = 0;

  addScaleSet(resourceGroup: string, name: string, capacity: number, sku = 'Mix'): string {
    const id = `/subscriptions/0000-sub/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
    this.scaleSets.set(id.toLowerCase(), { id, location: 'westeurope', sku: { name: sku, tier: 'Standard', capacity } });
    return id;
  }

  addAutoscale(resourceGroup: string, name: string, targetId: string, profiles: FakeProfile[], enabled = true): string {
    const id = `/subscriptions/0000-sub/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${name}`;
    this.settings.set(id.toLowerCase(), {
      id,
      name,
      type: 'Microsoft.Insights/autoscaleSettings',
      location: 'westeurope',
      tags: { team: 'ml-platform' },
      properties: {
        name,
        enabled,
        targetResourceUri: targetId,
        targetResourceLocation: 'westeurope',
        profiles: structuredClone(profiles),
        notifications: [],
        predictiveAutoscalePolicy: { scaleMode: 'Disabled' },
      },
    });
    return id;
  }

  capacity(id: string): number {
    return this.scaleSets.get(id.toLowerCase())!.sku.capacity;
  }

  setting(id: string): FakeAutoscaleSetting {
    return this.settings.get(id.toLowerCase())!;
  }

  /**
   * One autoscale evaluation: an enabled setting brings its scale set within the capacity of the
   * profile in force (below the minimum: up to it; above the maximum: down to it). A disabled one does nothing.
   */
  tick(): void {
    for (const s of this.settings.values()) {
      if (!s.properties.enabled) continue;
      const vmss = this.scaleSets.get(s.properties.targetResourceUri.toLowerCase());
      if (!vmss) continue;
      const active = s.properties.profiles.find((p) => p.name === this.activeProfile.get(s.id)) ?? s.properties.profiles[0];
      const min = Number(active.capacity.minimum);
      const max = Number(active.capacity.maximum);
      vmss.sku.capacity = Math.min(max, Math.max(min, vmss.sku.capacity));
    }
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private route(req: Received): Answer {
    if (req.headers.authorization !== `Bearer ${AZURE_TOKEN}`) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    if (!req.url.searchParams.get('api-version')) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    const path = req.url.pathname;
    const lower = path.toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^\/subscriptions\/[^/]+\/providers\/microsoft\.compute\/locations\/[^/]+\/operations\/([^/]+)$/.exec(lower)) && req.method === 'GET') return this.pollOperation(m[1]);
    if (/\/providers\/microsoft\.compute\/virtualmachinescalesets\/[^/]+$/.test(lower)) {
      if (req.method === 'GET') return this.getScaleSet(path);
      if (req.method === 'PATCH') return this.patchScaleSet(path, req);
    }
    if ((m = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/microsoft\.insights\/autoscalesettings$/.exec(lower)) && req.method === 'GET') {
      const group = m[1];
      return { status: 200, body: { value: [...this.settings.values()].filter((s) => s.id.toLowerCase().includes(`/resourcegroups/${group}/`)) } };
    }
    if (/\/providers\/microsoft\.insights\/autoscalesettings\/[^/]+$/.test(lower)) {
      if (req.method === 'GET') return this.getSetting(path);
      if (req.method === 'PUT') return this.putSetting(path, req);
    }
    return armError(404, 'NoRegisteredProviderFound', `no such operation ${req.method} ${path}`);
  }

  private getScaleSet(path: string): Answer {
    const vmss = this.scaleSets.get(path.toLowerCase());
    if (!vmss) return notFound(path);
    return { status: 200, body: this.scaleSetBody(vmss, 'Succeeded') };
  }

  private scaleSetBody(vmss: Vmss, provisioningState: string) {
    return {
      id: vmss.id,
      name: vmss.id.split('/').pop(),
      type: 'Microsoft.Compute/virtualMachineScaleSets',
      location: vmss.location,
      sku: vmss.sku,
      properties: { orchestrationMode: 'Flexible', platformFaultDomainCount: 1, provisioningState, uniqueId: '4d3ed5b2' },
    };
  }

  private patchScaleSet(path: string, req: Received): Answer {
    const vmss = this.scaleSets.get(path.toLowerCase());
    if (!vmss) return notFound(path);
    const patch = JSON.parse(req.body) as { sku?: { name?: string; tier?: string; capacity?: unknown } };
    const capacity = patch.sku?.capacity;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0) return armError(400, 'InvalidParameter', `The value of parameter sku.capacity is invalid: ${String(capacity)}.`);
    if (patch.sku?.name !== undefined && patch.sku.name !== vmss.sku.name) return armError(409, 'PropertyChangeNotAllowed', "Changing property 'sku.name' is not allowed here.");
    const opId = `op-${++this.opCount}`;
    this.operations.set(opId, { pollsLeft: this.pollsPerOperation, apply: () => void (vmss.sku.capacity = capacity), error: this.failNextOperation });
    this.failNextOperation = undefined;
    const origin = this.asyncOrigin ?? this.server.url;
    return {
      status: 200,
      headers: {
        'azure-asyncoperation': `${origin}/subscriptions/0000-sub/providers/Microsoft.Compute/locations/westeurope/operations/${opId}?p=abc&api-version=2024-07-01`,
        'retry-after': '0',
      },
      body: this.scaleSetBody({ ...vmss, sku: { ...vmss.sku, capacity } }, 'Updating'),
    };
  }

  private pollOperation(opId: string): Answer {
    const op = this.operations.get(opId);
    if (!op) return armError(404, 'NotFound', `operation ${opId} not found`);
    if (!op.status && --op.pollsLeft <= 0) {
      if (op.error) op.status = 'Failed';
      else {
        op.apply();
        op.status = 'Succeeded';
      }
    }
    const status = op.status ?? 'InProgress';
    return {
      status: 200,
      headers: { 'retry-after': '0' },
      body: { name: opId, startTime: '2026-01-05T10:00:00.0000000+00:00', status, ...(op.error && op.status ? { error: op.error } : {}) },
    };
  }

  private getSetting(path: string): Answer {
    const s = this.settings.get(path.toLowerCase());
    if (!s) return notFound(path);
    return { status: 200, body: s };
  }

  private putSetting(path: string, req: Received): Answer {
    const s = this.settings.get(path.toLowerCase());
    if (!s) return notFound(path);
    const body = JSON.parse(req.body) as { location?: unknown; tags?: Record<string, string>; properties?: FakeAutoscaleSetting['properties'] };
    if (typeof body.location !== 'string') return armError(400, 'InvalidRequestContent', "The request content was invalid: 'location' is required.");
    const profiles = body.properties?.profiles;
    if (!Array.isArray(profiles) || profiles.length === 0) return armError(400, 'InvalidRequestContent', "The request content was invalid: 'properties.profiles' is required.");
    for (const p of profiles) {
      for (const k of ['minimum', 'maximum', 'default'] as const) {
        if (typeof p.capacity?.[k] !== 'string') return armError(400, 'InvalidRequestContent', `profile ${p.name}: capacity.${k} must be a string`);
      }
    }
    // Fields the PUT omits fall back to ARM's defaults (enabled: false), as a PUT replaces the resource.
    s.location = body.location;
    s.tags = body.tags ?? {};
    s.properties = { ...s.properties, notifications: [], ...body.properties, enabled: body.properties?.enabled === true, profiles };
    return { status: 200, body: s };
  }
}

export function armError(status: number, code: string, message: string, headers?: Record<string, string>): Answer {
  return { status, headers, body: { error: { code, message } } };
}

function notFound(path: string): Answer {
  const parts = path.split('/');
  return armError(404, 'ResourceNotFound', `The Resource '${parts.slice(-3).join('/')}' under resource group '${parts[4]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

export const THROTTLED = armError(429, 'SubscriptionRequestsThrottled', "Number of 'read' requests for subscription '0000-sub' actor 'fn' exceeded. Please try again after '7' seconds.", { 'retry-after': '7' });

export type { Received };

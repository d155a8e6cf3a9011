import { Accelerator, acceleratorId } from './accelerator';
import { findAccelerator, offeredCounts, offersFor } from './catalog/accelerators';
import type { Cloud } from './cloud';
import { isToken, join, Problems } from './problems';
import { arrayOf, num, obj, recordOf, str } from './shape';

/** The model server container every replica runs. */
export interface ModelServerDesign {
  /** Container image, e.g. `vllm/vllm-openai:v0.6.3`. Pin a tag or digest: `latest` is rejected. */
  readonly image: string;
  /** Model the server loads, e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  readonly model: string;
  /**
   * Port the server listens on inside the replica.
   * @default 8000
   */
  readonly port?: number;
  /**
   * HTTP path answering 200 when the server is ready; used by load-balancer health checks.
   * @default '/health'
   */
  readonly healthPath?: string;
  /**
   * Extra server arguments, appended after `--model <model> --port <port>` (`--port` is left out
   * when these set it).
   * @default - none
   */
  readonly args?: readonly string[];
  /**
   * Environment variables for the container (no secrets: use the cloud's secret store).
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Replica bounds of the fleet. */
export interface CapacityDesign {
  /** Fewest replicas running (outside off-peak). */
  readonly min: number;
  /** Most replicas the fleet scales to. */
  readonly max: number;
  /**
   * Average replicas expected over a month, used by the cost estimate.
   * @default - `min`
   */
  readonly expectedAverage?: number;
}

/** How replicas are bought. */
export interface PurchaseDesign {
  /**
   * Replicas on reserved capacity (an EC2 capacity reservation, a GCP compute reservation, an Azure
   * capacity reservation group), priced at the 1-year committed rate.
   * @default 0
   */
  readonly reserved?: number;
  /**
   * On-demand replicas above the reserved ones before any spot is used.
   * @default 0
   */
  readonly onDemandBase?: number;
  /**
   * Percentage of replicas above the base (reserved + onDemandBase) that run on spot capacity.
   * @default 70
   */
  readonly spotPercentAboveBase?: number;
}

/** When and how the fleet scales. */
export interface ScalingDesign {
  /**
   * Average GPU utilization (percent) the fleet is scaled to hold.
   * @default 70
   */
  readonly targetGpuUtilization?: number;
  /**
   * A recurring window with a lower minimum, e.g. nights and weekends.
   * @default - no off-peak window
   */
  readonly offPeak?: OffPeakDesign;
}

/** An off-peak window: from `start` to `end` the fleet's minimum is `min`. */
export interface OffPeakDesign {
  /** Five-field cron (minute hour day-of-month month day-of-week) when off-peak begins, e.g. `0 20 * * 1-5`. */
  readonly start: string;
  /** Five-field cron when off-peak ends and the normal minimum returns, e.g. `0 7 * * 1-5`. */
  readonly end: string;
  /** Minimum replicas during off-peak. */
  readonly min: number;
  /**
   * IANA time zone of the schedules.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** A self-hosted model server on a GPU fleet mixing reserved, on-demand and spot capacity. */
export interface GpuEndpointDesign {
  /** Endpoint name: lowercase letters, digits and hyphens, starting with a letter, at most 20 characters. */
  readonly name: string;
  /** GPU model of every replica. */
  readonly accelerator: Accelerator | string;
  /**
   * Accelerators per replica (the catalog lists which counts each cloud offers).
   * @default 1
   */
  readonly acceleratorsPerReplica?: number;
  readonly server: ModelServerDesign;
  readonly capacity: CapacityDesign;
  /**
   * @default - no reservation, no on-demand base, 70% spot
   */
  readonly purchase?: PurchaseDesign;
  /**
   * @default - hold 70% GPU utilization, no off-peak window
   */
  readonly scaling?: ScalingDesign;
  /**
   * Root volume size, large enough for the container image and the model weights.
   * @default 200
   */
  readonly rootVolumeGiB?: number;
  /**
   * Per-cloud accelerator override, for a cloud that does not offer `accelerator`.
   * @default - `accelerator` on every cloud
   */
  readonly acceleratorOverrides?: Readonly<Partial<Record<Cloud, Accelerator | string>>>;
}

export const gpuEndpointShape = obj(
  {
    name: str,
    accelerator: str,
    acceleratorsPerReplica: num,
    server: obj({ image: str, model: str, port: num, healthPath: str, args: arrayOf(str), env: recordOf(str) }, ['image', 'model']),
    capacity: obj({ min: num, max: num, expectedAverage: num }, ['min', 'max']),
    purchase: obj({ reserved: num, onDemandBase: num, spotPercentAboveBase: num }),
    scaling: obj({ targetGpuUtilization: num, offPeak: obj({ start: str, end: str, min: num, timeZone: str }, ['start', 'end', 'min']) }),
    rootVolumeGiB: num,
    acceleratorOverrides: obj({ aws: str, gcp: str, azure: str }),
  },
  ['name', 'accelerator', 'server', 'capacity'],
);

export const GPU_ENDPOINT_DEFAULTS = {
  acceleratorsPerReplica: 1,
  port: 8000,
  healthPath: '/health',
  reserved: 0,
  onDemandBase: 0,
  spotPercentAboveBase: 70,
  targetGpuUtilization: 70,
  rootVolumeGiB: 200,
  timeZone: 'UTC',
} as const;

/** A GPU endpoint design with every default filled in, for one cloud. */
export interface ResolvedGpuEndpoint {
  readonly name: string;
  readonly cloud: Cloud;
  /** Accelerator id used on this cloud (after any per-cloud override). */
  readonly accelerator: string;
  readonly acceleratorsPerReplica: number;
  readonly server: Required<Pick<ModelServerDesign, 'image' | 'model' | 'port' | 'healthPath'>> & { readonly args: readonly string[]; readonly env: Readonly<Record<string, string>> };
  readonly capacity: { readonly min: number; readonly max: number; readonly expectedAverage: number };
  readonly purchase: Required<PurchaseDesign>;
  readonly scaling: { readonly targetGpuUtilization: number; readonly offPeak?: Required<OffPeakDesign> };
  readonly rootVolumeGiB: number;
}

export function acceleratorFor(design: GpuEndpointDesign, cloud: Cloud): string {
  const override = design.acceleratorOverrides?.[cloud];
  return acceleratorId(override ?? design.accelerator);
}

export function resolveGpuEndpoint(design: GpuEndpointDesign, cloud: Cloud): ResolvedGpuEndpoint {
  const d = GPU_ENDPOINT_DEFAULTS;
  const offPeak = design.scaling?.offPeak;
  return {
    name: design.name,
    cloud,
    accelerator: acceleratorFor(design, cloud),
    acceleratorsPerReplica: design.acceleratorsPerReplica ?? d.acceleratorsPerReplica,
    server: {
      image: design.server.image,
      model: design.server.model,
      port: design.server.port ?? d.port,
      healthPath: design.server.healthPath ?? d.healthPath,
      args: design.server.args ?? [],
      env: design.server.env ?? {},
    },
    capacity: { min: design.capacity.min, max: design.capacity.max, expectedAverage: design.capacity.expectedAverage ?? design.capacity.min },
    purchase: {
      reserved: design.purchase?.reserved ?? d.reserved,
      onDemandBase: design.purchase?.onDemandBase ?? d.onDemandBase,
      spotPercentAboveBase: design.purchase?.spotPercentAboveBase ?? d.spotPercentAboveBase,
    },
    scaling: {
      targetGpuUtilization: design.scaling?.targetGpuUtilization ?? d.targetGpuUtilization,
      offPeak: offPeak ? { ...offPeak, timeZone: offPeak.timeZone ?? d.timeZone } : undefined,
    },
    rootVolumeGiB: design.rootVolumeGiB ?? d.rootVolumeGiB,
  };
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** A five-field cron (minute hour day-of-month month day-of-week) of digits, ranges, lists and steps. */
export function isCron(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}

/** The tz database's spelling of `timeZone`, or undefined when the runtime knows no such zone name. */
function canonicalTimeZone(timeZone: string): string | undefined {
  // A name only: Intl also takes UTC offsets such as '+01:00', which scaling schedules do not.
  if (!/^[A-Za-z]/.test(timeZone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function validateTimeZone(timeZone: unknown, path: string, problems: Problems): void {
  if (typeof timeZone !== 'string' || isToken(timeZone)) return;
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) {
    problems.add(
      path,
      `must be an IANA time zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC' (got '${timeZone}'); ` +
        'see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones',
    );
  } else if (canonical !== timeZone && canonical.toLowerCase() === timeZone.toLowerCase()) {
    problems.add(path, `must be spelled as in the tz database: '${canonical}' (got '${timeZone}')`);
  }
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

/** Semantic rules of one endpoint (its shape was checked already). */
export function validateGpuEndpoint(e: GpuEndpointDesign, path: string, clouds: readonly Cloud[], problems: Problems): void {
  if (typeof e.name === 'string' && !isToken(e.name) && !NAME.test(e.name)) {
    problems.add(join(path, 'name'), `must be 1-20 lowercase letters, digits or hyphens starting with a letter (got '${e.name}')`);
  }
  const count = e.acceleratorsPerReplica ?? GPU_ENDPOINT_DEFAULTS.acceleratorsPerReplica;
  if (!isToken(count) && (!isInt(count) || ![1, 2, 4, 8].includes(count))) {
    problems.add(join(path, 'acceleratorsPerReplica'), `must be 1, 2, 4 or 8 (got ${count})`);
  }

  const { min, max } = e.capacity ?? ({} as CapacityDesign);
  const literal = (n: unknown): n is number => typeof n === 'number' && !isToken(n);
  if (literal(min) && (!isInt(min) || min < 0)) problems.add(join(path, 'capacity.min'), `must be a whole number >= 0 (got ${min})`);
  if (literal(max) && (!isInt(max) || max < 1)) problems.add(join(path, 'capacity.max'), `must be a whole number >= 1 (got ${max})`);
  if (literal(min) && literal(max) && max < min) problems.add(join(path, 'capacity.max'), `must be >= capacity.min (${max} < ${min})`);
  const avg = e.capacity?.expectedAverage;
  if (literal(avg) && literal(min) && literal(max) && (avg < min || avg > max)) {
    problems.add(join(path, 'capacity.expectedAverage'), `must lie between capacity.min and capacity.max (${min}..${max}, got ${avg})`);
  }

  const reserved = e.purchase?.reserved ?? 0;
  const base = e.purchase?.onDemandBase ?? 0;
  const spot = e.purchase?.spotPercentAboveBase ?? GPU_ENDPOINT_DEFAULTS.spotPercentAboveBase;
  if (literal(reserved) && (!isInt(reserved) || reserved < 0)) problems.add(join(path, 'purchase.reserved'), `must be a whole number >= 0 (got ${reserved})`);
  if (literal(base) && (!isInt(base) || base < 0)) problems.add(join(path, 'purchase.onDemandBase'), `must be a whole number >= 0 (got ${base})`);
  if (literal(spot) && (spot < 0 || spot > 100)) problems.add(join(path, 'purchase.spotPercentAboveBase'), `must be between 0 and 100 (got ${spot})`);
  if (literal(reserved) && literal(max) && reserved > max) {
    problems.add(join(path, 'purchase.reserved'), `must be <= capacity.max (${reserved} > ${max}): reserved capacity above the fleet maximum is paid for and never used`);
  } else if (literal(reserved) && literal(base) && literal(max) && reserved + base > max) {
    problems.add(join(path, 'purchase'), `reserved + onDemandBase must be <= capacity.max (${reserved} + ${base} > ${max})`);
  }

  const util = e.scaling?.targetGpuUtilization;
  if (literal(util) && (util < 10 || util > 95)) problems.add(join(path, 'scaling.targetGpuUtilization'), `must be between 10 and 95 percent (got ${util})`);
  const offPeak = e.scaling?.offPeak;
  if (offPeak) {
    for (const key of ['start', 'end'] as const) {
      if (typeof offPeak[key] === 'string' && !isToken(offPeak[key]) && !isCron(offPeak[key])) {
        problems.add(join(path, `scaling.offPeak.${key}`), `must be a five-field cron such as '0 20 * * 1-5' (got '${offPeak[key]}')`);
      }
    }
    validateTimeZone(offPeak.timeZone, join(path, 'scaling.offPeak.timeZone'), problems);
    if (literal(offPeak.min) && literal(min) && (offPeak.min < 0 || offPeak.min > min)) {
      problems.add(join(path, 'scaling.offPeak.min'), `must be between 0 and capacity.min (${min}), got ${offPeak.min}`);
    } else if (literal(offPeak.min) && literal(reserved) && offPeak.min < reserved) {
      problems.add(
        join(path, 'scaling.offPeak.min'),
        `must be >= purchase.reserved (${offPeak.min} < ${reserved}): reserved capacity is paid whether replicas run on it or not, so scaling below it saves nothing`,
      );
    }
  }
  const root = e.rootVolumeGiB;
  if (literal(root) && (!isInt(root) || root < 50 || root > 16384)) problems.add(join(path, 'rootVolumeGiB'), `must be a whole number of GiB between 50 and 16384 (got ${root})`);

  const server = e.server;
  if (server) {
    if (typeof server.image === 'string' && !isToken(server.image) && (!/[:@]/.test(server.image.split('/').pop() ?? '') || server.image.endsWith(':latest'))) {
      problems.add(join(path, 'server.image'), `must pin a tag or digest other than 'latest' (got '${server.image}'), so every replica runs the same build`);
    }
    if (literal(server.port) && (!isInt(server.port) || server.port < 1024 || server.port > 65535)) {
      problems.add(join(path, 'server.port'), `must be a port between 1024 and 65535 (got ${server.port})`);
    }
    if (typeof server.healthPath === 'string' && !isToken(server.healthPath) && !server.healthPath.startsWith('/')) {
      problems.add(join(path, 'server.healthPath'), `must start with '/' (got '${server.healthPath}')`);
    }
  }

  validateAcceleratorOnClouds(e, path, clouds, count, spot, problems);
}

function validateAcceleratorOnClouds(e: GpuEndpointDesign, path: string, clouds: readonly Cloud[], count: number, spot: number, problems: Problems): void {
  if (e.accelerator === undefined) return;
  const known = Accelerator.ids().join(', ');
  const baseId = acceleratorId(e.accelerator);
  if (!findAccelerator(baseId)) {
    problems.add(join(path, 'accelerator'), `unknown accelerator '${baseId}'; known: ${known}`);
    return;
  }
  for (const cloud of clouds) {
    const overridden = e.acceleratorOverrides?.[cloud] !== undefined;
    const id = acceleratorFor(e, cloud);
    const where = overridden ? join(path, `acceleratorOverrides.${cloud}`) : join(path, 'accelerator');
    const spec = findAccelerator(id);
    if (!spec) {
      problems.add(where, `unknown accelerator '${id}'; known: ${known}`);
      continue;
    }
    const offering = spec.offerings[cloud];
    if (offering.offers.length === 0) {
      problems.add(where, `${id} is not offered on ${cloud}${offering.note ? ` (${offering.note})` : ''}; set ${join(path, `acceleratorOverrides.${cloud}`)}, e.g. to '${offering.nearest}'`);
      continue;
    }
    if (!isInt(count) || isToken(count)) continue;
    const offers = offersFor(spec, cloud, count);
    if (offers.length === 0) {
      problems.add(join(path, 'acceleratorsPerReplica'), `${id} on ${cloud} comes ${offeredCounts(spec, cloud).join(', ')} per instance, not ${count}`);
      continue;
    }
    const spotUsed = spot > 0 && (e.capacity?.max ?? 0) > (e.purchase?.reserved ?? 0) + (e.purchase?.onDemandBase ?? 0);
    if (spotUsed && offers.every((o) => o.spotHourlyUsd === undefined)) {
      problems.add(join(path, 'purchase.spotPercentAboveBase'), `${id} x${count} on ${cloud} (${offers[0].type}) has no spot offering; set it to 0`);
    }
  }
}

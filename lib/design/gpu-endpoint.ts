import { Accelerator, acceleratorId } from './accelerator';
import { findAccelerator, offeredCounts, offersFor } from './catalog/accelerators';
import type { Cloud } from './cloud';
import { isToken, join, joinKey, Problems } from './problems';
import { quote } from './quote';
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
  /**
   * Seconds a new replica gets to pull the image and load the model before health checks may replace
   * it and before its GPU utilization counts for scaling (60-3600; Azure's automatic repair needs
   * 600-5400). AWS: the group's health-check grace period and instance warmup; GCP: autohealing's
   * initial delay and the autoscalers' cooldown; Azure: automatic instance repair's grace period.
   * @default 900
   */
  readonly startupGraceSeconds?: number;
  /**
   * Seconds in-flight requests get to finish when a replica leaves (scale-in, spot interruption,
   * rebalancing), 30-3600. AWS: the target group's deregistration delay and the termination hook's
   * heartbeat; GCP: the backend service's connection draining. Azure's load balancer has no
   * connection draining: there the value is not used (a synth warning says so when it is set).
   * @default 120
   */
  readonly drainSeconds?: number;
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
    startupGraceSeconds: num,
    drainSeconds: num,
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
  startupGraceSeconds: 900,
  drainSeconds: 120,
} as const;

/** Bounds of the neutral endpoint numbers that are not ranges of each other. */
export const GPU_ENDPOINT_LIMITS = {
  startupGraceSeconds: [60, 3600],
  drainSeconds: [30, 3600],
  rootVolumeGiB: [50, 16384],
  /** Elastic Load Balancing's limit, the tightest of the three clouds' health-check path limits. */
  healthPathLength: 1024,
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
  readonly startupGraceSeconds: number;
  readonly drainSeconds: number;
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
    startupGraceSeconds: design.startupGraceSeconds ?? d.startupGraceSeconds,
    drainSeconds: design.drainSeconds ?? d.drainSeconds,
  };
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
/** An environment variable name every shell and container runtime accepts. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Characters an HTTP health-check path may hold on every cloud (ELB's set, the strictest). */
const HEALTH_PATH = /^\/[A-Za-z0-9_\-.$/~"'@:+&()!,;=%]*$/;

/** Bounds of the five cron fields: minute, hour, day of month, month, day of week (0 and 7 Sunday). */
const CRON_RANGES: readonly (readonly [number, number])[] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/**
 * A five-field cron (minute hour day-of-month month day-of-week) of digits, ranges, lists and steps,
 * every number within its field's bounds and every range ascending.
 */
export function isCron(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f, i) => CRON_FIELD.test(f) && cronFieldInRange(f, CRON_RANGES[i]));
}

function cronFieldInRange(field: string, [lo, hi]: readonly [number, number]): boolean {
  return field.split(',').every((part) => {
    const [range, step] = part.split('/');
    if (step !== undefined && Number(step) < 1) return false;
    if (range === '*') return true;
    const [from, to = from] = range.split('-').map(Number);
    return from >= lo && to <= hi && from <= to;
  });
}

const canonicalZones = new Map<string, string | undefined>();

/** The tz database's spelling of `timeZone`, or undefined when the runtime knows no such zone name. */
function canonicalTimeZone(timeZone: string): string | undefined {
  // A name only: Intl also takes UTC offsets such as '+01:00', which scaling schedules do not.
  if (!/^[A-Za-z]/.test(timeZone)) return undefined;
  // Building a DateTimeFormat costs tens of microseconds; designs repeat the same few zones.
  if (canonicalZones.has(timeZone)) return canonicalZones.get(timeZone);
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    canonical = undefined;
  }
  if (canonicalZones.size < 1000) canonicalZones.set(timeZone, canonical);
  return canonical;
}

function validateTimeZone(timeZone: unknown, path: string, problems: Problems): void {
  if (typeof timeZone !== 'string' || isToken(timeZone)) return;
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) {
    problems.add(
      path,
      `must be an IANA time zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC' (got ${quote(timeZone)}); ` +
        'see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones',
    );
  } else if (canonical !== timeZone && canonical.toLowerCase() === timeZone.toLowerCase()) {
    problems.add(path, `must be spelled as in the tz database: '${canonical}' (got ${quote(timeZone)})`);
  }
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

/** A literal number (not a token); the shape check has already refused non-finite values. */
const literal = (n: unknown): n is number => typeof n === 'number' && !isToken(n);
const literalString = (v: unknown): v is string => typeof v === 'string' && !isToken(v);

/** Whole-number fields with their bounds: one row per rule, checked the same way. */
const WHOLE_NUMBER_RULES: readonly (readonly [field: string, read: (e: GpuEndpointDesign) => unknown, min: number, max: number, unit: string])[] = [
  ['capacity.min', (e) => e.capacity?.min, 0, Number.MAX_SAFE_INTEGER, ''],
  ['capacity.max', (e) => e.capacity?.max, 1, Number.MAX_SAFE_INTEGER, ''],
  ['purchase.reserved', (e) => e.purchase?.reserved, 0, Number.MAX_SAFE_INTEGER, ''],
  ['purchase.onDemandBase', (e) => e.purchase?.onDemandBase, 0, Number.MAX_SAFE_INTEGER, ''],
  ['purchase.spotPercentAboveBase', (e) => e.purchase?.spotPercentAboveBase, 0, 100, ' percent'],
  ['rootVolumeGiB', (e) => e.rootVolumeGiB, ...GPU_ENDPOINT_LIMITS.rootVolumeGiB, ' GiB'],
  ['startupGraceSeconds', (e) => e.startupGraceSeconds, ...GPU_ENDPOINT_LIMITS.startupGraceSeconds, ' seconds'],
  ['drainSeconds', (e) => e.drainSeconds, ...GPU_ENDPOINT_LIMITS.drainSeconds, ' seconds'],
  ['server.port', (e) => e.server?.port, 1024, 65535, ''],
];

type NumberField = readonly [string, (e: GpuEndpointDesign) => unknown];

/**
 * Numbers the purchase split is computed from at synth on every cloud (instance types, on-demand base,
 * spot share, reservation size): a token would leave the plan, and the estimate, without numbers.
 */
const PURCHASE_NUMBERS: readonly NumberField[] = [
  ['acceleratorsPerReplica', (e) => e.acceleratorsPerReplica],
  ['purchase.reserved', (e) => e.purchase?.reserved],
  ['purchase.onDemandBase', (e) => e.purchase?.onDemandBase],
  ['purchase.spotPercentAboveBase', (e) => e.purchase?.spotPercentAboveBase],
];

/**
 * Numbers a cloud that splits the fleet over several groups (GCP's managed instance groups, Azure's
 * two scale sets) turns into each group's bounds at synth. AWS's one Auto Scaling group takes them
 * as they are, tokens included.
 */
const GROUP_SPLIT_NUMBERS: readonly NumberField[] = [
  ['capacity.min', (e) => e.capacity?.min],
  ['capacity.max', (e) => e.capacity?.max],
  ['capacity.expectedAverage', (e) => e.capacity?.expectedAverage],
  ['scaling.offPeak.min', (e) => e.scaling?.offPeak?.min],
];

function requireLiteralNumbers(e: GpuEndpointDesign, path: string, fields: readonly NumberField[], computed: string, problems: Problems): void {
  for (const [field, read] of fields) {
    if (isToken(read(e))) {
      problems.add(join(path, field), `must be a literal number, not an unresolved token: ${computed} computed from it at synth. Pass the number itself`);
    }
  }
}

/** For clouds that split the fleet over several groups at synth (see GROUP_SPLIT_NUMBERS). */
export function validateGroupSplitLiterals(e: GpuEndpointDesign, path: string, groups: string, problems: Problems): void {
  requireLiteralNumbers(e, path, GROUP_SPLIT_NUMBERS, `the bounds of the ${groups} are`, problems);
}

/** Semantic rules of one endpoint (its shape was checked already). */
export function validateGpuEndpoint(e: GpuEndpointDesign, path: string, clouds: readonly Cloud[], problems: Problems): void {
  if (literalString(e.name) && !NAME.test(e.name)) {
    problems.add(join(path, 'name'), `must be 1-20 lowercase letters, digits or hyphens starting with a letter (got ${quote(e.name)})`);
  }
  const count = e.acceleratorsPerReplica ?? GPU_ENDPOINT_DEFAULTS.acceleratorsPerReplica;
  if (literal(count) && (!isInt(count) || ![1, 2, 4, 8].includes(count))) {
    problems.add(join(path, 'acceleratorsPerReplica'), `must be 1, 2, 4 or 8 (got ${quote(count)})`);
  }
  requireLiteralNumbers(e, path, PURCHASE_NUMBERS, 'the purchase split (instance types, on-demand base, spot share, reservation size) is', problems);
  for (const [field, read, lo, hi, unit] of WHOLE_NUMBER_RULES) {
    const value = read(e);
    if (literal(value) && (!isInt(value) || value < lo || value > hi)) {
      const range = hi === Number.MAX_SAFE_INTEGER ? `>= ${lo}` : `between ${lo} and ${hi}${unit}`;
      problems.add(join(path, field), `must be a whole number ${range} (got ${quote(value)})`);
    }
  }

  const { min, max } = e.capacity ?? ({} as CapacityDesign);
  if (literal(min) && literal(max) && max < min) problems.add(join(path, 'capacity.max'), `must be >= capacity.min (${max} < ${min})`);
  const avg = e.capacity?.expectedAverage;
  if (literal(avg) && literal(min) && literal(max) && (avg < min || avg > max)) {
    problems.add(join(path, 'capacity.expectedAverage'), `must lie between capacity.min and capacity.max (${min}..${max}, got ${quote(avg)})`);
  }

  const reserved = e.purchase?.reserved ?? 0;
  const base = e.purchase?.onDemandBase ?? 0;
  const spot = e.purchase?.spotPercentAboveBase ?? GPU_ENDPOINT_DEFAULTS.spotPercentAboveBase;
  if (literal(reserved) && literal(max) && reserved > max) {
    problems.add(join(path, 'purchase.reserved'), `must be <= capacity.max (${reserved} > ${max}): reserved capacity above the fleet maximum is paid for and never used`);
  } else if (literal(reserved) && literal(base) && literal(max) && reserved + base > max) {
    problems.add(join(path, 'purchase'), `reserved + onDemandBase must be <= capacity.max (${reserved} + ${base} > ${max})`);
  }

  const util = e.scaling?.targetGpuUtilization;
  if (literal(util) && (util < 10 || util > 95)) problems.add(join(path, 'scaling.targetGpuUtilization'), `must be between 10 and 95 percent (got ${quote(util)})`);
  const offPeak = e.scaling?.offPeak;
  if (offPeak) {
    for (const key of ['start', 'end'] as const) {
      if (literalString(offPeak[key]) && !isCron(offPeak[key])) {
        problems.add(join(path, `scaling.offPeak.${key}`), `must be a five-field cron such as '0 20 * * 1-5' (got ${quote(offPeak[key])})`);
      }
    }
    validateTimeZone(offPeak.timeZone, join(path, 'scaling.offPeak.timeZone'), problems);
    if (literal(offPeak.min) && (!isInt(offPeak.min) || offPeak.min < 0)) {
      problems.add(join(path, 'scaling.offPeak.min'), `must be a whole number >= 0 (got ${quote(offPeak.min)})`);
    } else if (literal(offPeak.min) && literal(min) && offPeak.min > min) {
      problems.add(join(path, 'scaling.offPeak.min'), `must be between 0 and capacity.min (${min}), got ${offPeak.min}`);
    } else if (literal(offPeak.min) && literal(reserved) && offPeak.min < reserved) {
      problems.add(
        join(path, 'scaling.offPeak.min'),
        `must be >= purchase.reserved (${offPeak.min} < ${reserved}): reserved capacity is paid whether replicas run on it or not, so scaling below it saves nothing`,
      );
    }
  }

  if (e.server) validateServer(e.server, join(path, 'server'), problems);
  validateAcceleratorOnClouds(e, path, clouds, count, spot, problems);
}

function validateServer(server: ModelServerDesign, path: string, problems: Problems): void {
  const image = server.image;
  if (literalString(image)) {
    if (image.trim() === '' || /\s/.test(image) || CONTROL.test(image)) {
      problems.add(join(path, 'image'), `must be an image reference without spaces or control characters (got ${quote(image)})`);
    } else if (!/[:@]/.test(image.split('/').pop() ?? '') || image.endsWith(':latest')) {
      problems.add(join(path, 'image'), `must pin a tag or digest other than 'latest' (got ${quote(image)}), so every replica runs the same build`);
    }
  }
  if (literalString(server.model) && (server.model.trim() === '' || CONTROL.test(server.model))) {
    problems.add(join(path, 'model'), `must be a model name on one line, not empty (got ${quote(server.model)})`);
  }
  const health = server.healthPath;
  if (literalString(health)) {
    if (!health.startsWith('/')) problems.add(join(path, 'healthPath'), `must start with '/' (got ${quote(health)})`);
    else if (health.length > GPU_ENDPOINT_LIMITS.healthPathLength) {
      problems.add(join(path, 'healthPath'), `must be at most ${GPU_ENDPOINT_LIMITS.healthPathLength} characters (got ${health.length})`);
    } else if (!HEALTH_PATH.test(health)) {
      problems.add(join(path, 'healthPath'), `may hold only letters, digits and _ - . $ / ~ " ' @ : + & ( ) ! , ; = % (got ${quote(health)})`);
    }
  }
  if (Array.isArray(server.args)) {
    server.args.forEach((arg, i) => {
      if (literalString(arg) && CONTROL.test(arg)) problems.add(join(join(path, 'args'), i), `must be one line without control characters (got ${quote(arg)})`);
    });
  }
  for (const [name, value] of Object.entries(server.env ?? {})) {
    const at = joinKey(join(path, 'env'), name);
    validateEnvName(name, at, problems);
    if (literalString(value) && CONTROL.test(value)) problems.add(at, `must be one line without control characters (got ${quote(value)})`);
  }
}

/** The rule for every environment variable name a replica gets (`server.env`, a cloud's `serverSecrets`). */
export function validateEnvName(name: string, path: string, problems: Problems): void {
  if (!ENV_NAME.test(name)) {
    problems.add(path, `must be an environment variable name: letters, digits and '_', not starting with a digit (got ${quote(name)}), e.g. 'HF_TOKEN'`);
  }
}

/**
 * The names of a cloud's `serverSecrets` (whatever their values are on that cloud): environment
 * variable names, none also set in `server.env`.
 */
export function validateServerSecretNames(names: readonly string[], env: Readonly<Record<string, string>> | undefined, path: string, problems: Problems): void {
  for (const name of names) {
    const at = joinKey(path, name);
    validateEnvName(name, at, problems);
    if (env && Object.prototype.hasOwnProperty.call(env, name)) problems.add(at, `is also set in server.env; set each variable in one place (a secret value belongs in serverSecrets only)`);
  }
}

function bootLiteralMessage(script: string, secretHint: boolean): string {
  return (
    `must be a literal, not an unresolved token: it is written into the replicas' ${script}, which is rendered at synth. Pass the value itself` +
    (secretHint ? '; for a secret value use serverSecrets, which the replicas read from the secret store at boot' : '')
  );
}

/**
 * For clouds that render the replicas' boot script into the configuration at synth (GCP's startup
 * script, Azure's cloud-init): every value the script holds must be a literal, since a token would
 * reach the VM as its placeholder text.
 */
export function validateBootLiterals(e: GpuEndpointDesign, path: string, script: string, problems: Problems): void {
  const refuse = (at: string, secretHint: boolean) => problems.add(join(path, at), bootLiteralMessage(script, secretHint));
  if (isToken(e.name)) refuse('name', false);
  const server = e.server;
  if (!server) return;
  if (isToken(server.image)) refuse('server.image', true);
  if (isToken(server.model)) refuse('server.model', true);
  if (isToken(server.port)) refuse('server.port', false);
  if (isToken(server.healthPath)) refuse('server.healthPath', false);
  if (isToken(server.args)) refuse('server.args', true);
  else (server.args ?? []).forEach((a, i) => isToken(a) && problems.add(join(join(path, 'server.args'), i), bootLiteralMessage(script, true)));
  for (const [k, v] of Object.entries(server.env ?? {})) if (isToken(v)) problems.add(joinKey(join(path, 'server.env'), k), bootLiteralMessage(script, true));
  const offPeak = e.scaling?.offPeak;
  for (const key of ['start', 'end', 'timeZone'] as const) {
    if (offPeak && isToken(offPeak[key])) {
      problems.add(join(path, `scaling.offPeak.${key}`), 'must be a literal string, not an unresolved token: it is converted to the cloud\'s schedule format at synth. Pass the value itself');
    }
  }
}

function validateAcceleratorOnClouds(e: GpuEndpointDesign, path: string, clouds: readonly Cloud[], count: number, spot: number, problems: Problems): void {
  if (e.accelerator === undefined) return;
  const known = Accelerator.ids().join(', ');
  const baseId = acceleratorId(e.accelerator);
  if (!findAccelerator(baseId)) {
    problems.add(join(path, 'accelerator'), `unknown accelerator ${quote(baseId)}; known: ${known}`);
    return;
  }
  for (const cloud of clouds) {
    const overridden = e.acceleratorOverrides?.[cloud] !== undefined;
    const id = acceleratorFor(e, cloud);
    const where = overridden ? join(path, `acceleratorOverrides.${cloud}`) : join(path, 'accelerator');
    const spec = findAccelerator(id);
    if (!spec) {
      problems.add(where, `unknown accelerator ${quote(id)}; known: ${known}`);
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

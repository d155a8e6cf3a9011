import { storesFromEnv, type StoresFromEnvOptions } from '../../router/handlers/stores-from-env';
import { BUDGET_ENV } from '../deploy-env';
import type { FleetRef, FleetScaler } from '../fleets/types';
import type { BudgetRunDeps } from '../run';
import type { SpendStopNotice } from '../stop';
import type { SpendWatchResult } from '../watch';

type Env = Readonly<Record<string, string | undefined>>;

export interface BudgetFunctionOptions {
  /** @default process.env */
  readonly env?: Env;
  readonly scaler: FleetScaler;
  readonly notify?: (notice: SpendStopNotice) => Promise<void>;
  readonly publish?: (watch: SpendWatchResult) => void;
  /** Connection seams of the ledger store (tests point them at emulators). */
  readonly stores?: StoresFromEnvOptions;
  readonly now?: () => number;
}

const CLOUDS = new Set(['aws', 'gcp', 'azure']);

function json(env: Env, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new Error(`the stop function needs ${name}`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON (got '${raw.slice(0, 80)}')`);
  }
}

function fleetsFrom(env: Env): FleetRef[] {
  const v = json(env, BUDGET_ENV.fleets);
  if (!Array.isArray(v)) throw new Error(`${BUDGET_ENV.fleets} must be a JSON array of { cloud, id, autoscaler? }`);
  return v.map((f, i) => {
    if (typeof f !== 'object' || f === null || !CLOUDS.has((f as FleetRef).cloud) || typeof (f as FleetRef).id !== 'string' || (f as FleetRef).id === '') {
      throw new Error(`${BUDGET_ENV.fleets}[${i}] must be { "cloud": "aws" | "gcp" | "azure", "id": "<group>" } (got ${JSON.stringify(f).slice(0, 120)})`);
    }
    const { cloud, id, autoscaler } = f as FleetRef;
    return { cloud, id, ...(typeof autoscaler === 'string' && autoscaler ? { autoscaler } : {}) };
  });
}

function tenantsFrom(env: Env): string[] {
  const v = json(env, BUDGET_ENV.tenants);
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || t === '')) throw new Error(`${BUDGET_ENV.tenants} must be a JSON array of tenant ids`);
  return v as string[];
}

function numberFrom(env: Env, name: string, min: number, required: boolean, above = false): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) {
    if (required) throw new Error(`the stop function needs ${name}`);
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (above && n === min)) throw new Error(`${name} must be a number ${above ? 'above' : '>='} ${min} (got '${raw.slice(0, 40)}')`);
  return n;
}

/** The stop function's dependencies from the variables of `BUDGET_ENV` and the router's store variables. */
export function budgetDepsFromEnv(o: BudgetFunctionOptions): BudgetRunDeps {
  const env = o.env ?? process.env;
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const fleets = attempt(() => fleetsFrom(env));
  const tenants = attempt(() => tenantsFrom(env));
  const monthlyLimitUsd = attempt(() => numberFrom(env, BUDGET_ENV.monthlyLimitUsd, 0, true, true));
  const hardStopPercent = attempt(() => numberFrom(env, BUDGET_ENV.hardStopPercent, 1, false));
  const stores = attempt(() => storesFromEnv(env, { log: () => undefined, ...o.stores }));
  if (problems.length > 0 || !fleets || !tenants || monthlyLimitUsd === undefined || !stores) throw new Error(`the stop function's configuration is refused: ${problems.join('; ')}`);
  if (stores.store === 'memory') throw new Error("the stop function's configuration is refused: AI_STACK_ROUTER_STORE must name the router's shared store (dynamodb, azure-tables, firestore): a memory record is seen by no router");
  return {
    record: stores.spendStop,
    ledger: stores.ledger,
    fleets,
    tenants,
    monthlyLimitUsd,
    ...(hardStopPercent !== undefined ? { hardStopPercent } : {}),
    scaler: o.scaler,
    ...(o.notify ? { notify: o.notify } : {}),
    ...(o.publish ? { publish: o.publish } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
}

/** One JSON line for the logs (and, on AWS, Embedded Metric Format). */
export function watchLine(watch: SpendWatchResult, namespace?: string): string {
  const record = { budgetWatch: true, month: watch.month, spentUsd: watch.spentUsd, reservedUsd: watch.reservedUsd, budgetUsedPercent: watch.percent };
  if (!namespace) return JSON.stringify(record);
  return JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[]], Metrics: [{ Name: 'RouterSpendPercent', Unit: 'Percent' }, { Name: 'RouterSpendUsd', Unit: 'None' }] }] }, ...record, RouterSpendPercent: watch.percent, RouterSpendUsd: watch.spentUsd });
}

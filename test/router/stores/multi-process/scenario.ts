import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Ledger } from '../../../../lib/router/stores/ledger';
import type { StoreConfig } from './stores';
import type { WorkerConfig, WorkerMessage } from './worker';

export const TENANT = 'multi-process';
export const MONTH = '2026-12';
/** $0.001 per request at most; the budget covers 100 such reservations. */
export const AMOUNT = 1_000_000;
export const LIMIT = 100 * AMOUNT;
const WORKERS = 4;
const FLOWS_PER_WORKER = 250;
const HELD = 30;
/** The killed worker's rule: its reservations expire 3 s after they were made. */
const SHORT_EXPIRY_MS = 3_000;

type Done = Extract<WorkerMessage, { type: 'done' }>;

function startWorker(config: WorkerConfig): ChildProcess {
  // tsx runs the TypeScript worker; each worker is a separate Node process with its own client.
  return fork(join(__dirname, 'worker.ts'), [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T extends WorkerMessage['type']>(child: ChildProcess, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<WorkerMessage, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`worker exited (${code}) before '${type}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ScenarioResult {
  readonly heldByKilled: number;
  readonly reservedAfterKill: number;
  readonly workers: Done[];
  readonly final: { spentNanoUsd: number; reservedNanoUsd: number };
  /** Highest spent + reserved seen by a poller during the run. */
  readonly peakCommittedNanoUsd: number;
}

/**
 * The check: a worker reserves part of the budget and is SIGKILLed with its reservations
 * outstanding; after its expiry, 4 workers run 1,000 concurrent reserve → settle flows against a
 * budget covering about 100. `observer` is this process's own ledger instance on the same store.
 */
export async function runScenario(store: StoreConfig, observer: Ledger, workers: ChildProcess[]): Promise<ScenarioResult> {
  const base = { store, tenant: TENANT, month: MONTH, amountNanoUsd: AMOUNT, limitNanoUsd: LIMIT };

  const holder = startWorker({ ...base, mode: 'hold', flows: HELD, maxRequestMs: SHORT_EXPIRY_MS, marginMs: 0 });
  workers.push(holder);
  await next(holder, 'ready');
  holder.send('go');
  const { granted: heldByKilled } = await next(holder, 'holding');
  const heldAt = Date.now();
  holder.kill('SIGKILL');
  await exited(holder);
  const { reservedNanoUsd: reservedAfterKill } = await observer.spent(TENANT, MONTH);
  await sleep(Math.max(0, heldAt + SHORT_EXPIRY_MS + 200 - Date.now()));

  // The live workers' rule is the production default: their flows never expire.
  const live = Array.from({ length: WORKERS }, () => startWorker({ ...base, mode: 'flows', flows: FLOWS_PER_WORKER, maxRequestMs: 900_000, marginMs: 60_000 }));
  workers.push(...live);
  await Promise.all(live.map((w) => next(w, 'ready')));
  const done = Promise.all(live.map((w) => next(w, 'done')));
  for (const w of live) w.send('go');

  let peak = 0;
  let running = true;
  const poller = (async () => {
    while (running) {
      const b = await observer.spent(TENANT, MONTH);
      peak = Math.max(peak, b.spentNanoUsd + b.reservedNanoUsd);
      await sleep(10);
    }
  })();
  const reports = await done;
  running = false;
  await poller;
  await Promise.all(live.map(exited));
  return { heldByKilled, reservedAfterKill, workers: reports, final: await observer.spent(TENANT, MONTH), peakCommittedNanoUsd: peak };
}

export function stopAll(workers: ChildProcess[]): void {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** One line of figures, printed when LEDGER_FIGURES=1 (the report's measured latencies). */
export function figures(name: string, r: ScenarioResult): string {
  const reserve = r.workers.flatMap((w) => w.reserveMs);
  const settle = r.workers.flatMap((w) => w.settleMs);
  const f = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms`;
  const granted = r.workers.reduce((s, w) => s + w.granted, 0);
  return `${name}: granted ${granted}/1000, spent ${r.final.spentNanoUsd}/${LIMIT}, peak committed ${r.peakCommittedNanoUsd}; reserve ${f(reserve)}; settle ${f(settle)} (1,000 concurrent flows, 4 processes)`;
}

/**
 * What every ledger must show after the scenario, on any engine: the killed worker's reservations
 * were outstanding and then freed by the expiry rule, spend equals what was settled and never passed
 * the limit, and every flow got an answer.
 */
export function expectExactScenario(r: ScenarioResult): void {
  expect(r.heldByKilled).toBe(30);
  expect(r.reservedAfterKill).toBe(30 * AMOUNT); // outstanding until the expiry rule frees them
  expect(r.workers.flatMap((w) => w.errors)).toEqual([]);
  const granted = r.workers.reduce((s, w) => s + w.granted, 0);
  const settled = r.workers.reduce((s, w) => s + w.settledNanoUsd, 0);
  expect(r.final).toEqual({ spentNanoUsd: settled, reservedNanoUsd: 0 });
  expect(r.final.spentNanoUsd).toBeLessThanOrEqual(LIMIT);
  expect(r.peakCommittedNanoUsd).toBeLessThanOrEqual(LIMIT);
  // Without the release the live workers could hold only 70 reservations at a time, and each
  // settle frees at most a tenth of one: the killed worker's 30 were reused.
  expect(granted).toBeGreaterThanOrEqual(100);
  expect(r.workers.reduce((s, w) => s + w.granted + w.refused, 0)).toBe(1000);
}

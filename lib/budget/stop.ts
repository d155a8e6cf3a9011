// The hard stop and its resume: the runtime the budget's stop function runs on every cloud. Pure
// orchestration over two seams: the spend-stop record in the router's ledger store, and one
// `FleetScaler` per cloud (lib/budget/fleets).
import type { SpendStopState, SpendStopStore } from '../router/stores/spend-stop';
import type { FleetCapacity, FleetRef, FleetScaler } from './fleets/types';

export interface SpendStopDeps {
  /** The record the routers read. */
  readonly record: SpendStopStore;
  /** Every GPU fleet group of the stack, as the Budget construct lists them. */
  readonly fleets: readonly FleetRef[];
  readonly scaler: FleetScaler;
  /** Tells people what happened (SNS, a topic, an action group); a failure here never undoes the stop. */
  readonly notify?: (notice: SpendStopNotice) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface SpendStopNotice {
  readonly action: 'stop' | 'resume';
  readonly subject: string;
  readonly message: string;
}

export interface FleetFailure {
  readonly fleet: string;
  readonly message: string;
}

export interface SpendStopReport {
  readonly action: 'stop' | 'resume';
  /** Stop: the stop was already active (a retried or second notification). Resume: nothing was stopped. */
  readonly already: boolean;
  /** What the record holds as replaced capacities after this run. */
  readonly replaced: readonly FleetCapacity[];
  /** Groups scaled to zero (stop) or restored (resume) by this run. */
  readonly changed: readonly string[];
  readonly failures: readonly FleetFailure[];
}

/** Thrown after the notification when some fleet could not be changed: the platform retries the run, which is idempotent. */
export class SpendStopIncomplete extends Error {
  constructor(readonly report: SpendStopReport) {
    super(`${report.action}: ${new Set(report.failures.map((f) => f.fleet)).size} of the stack's GPU fleet groups could not be ${report.action === 'stop' ? 'scaled to zero' : 'restored'}: ${report.failures.map((f) => `${f.fleet}: ${f.message}`).join('; ')}`.slice(0, 2000));
    this.name = 'SpendStopIncomplete';
  }
}

/** Compare-and-set rounds before giving up: only concurrent stop/resume runs conflict. */
const MAX_ROUNDS = 10;

const sameRef = (a: FleetRef, b: FleetRef) => a.cloud === b.cloud && a.id === b.id;
const describe = (ref: FleetRef) => ref.id;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

function replacedOf(state: SpendStopState | undefined): FleetCapacity[] {
  return state?.active && Array.isArray(state.replaced) ? (state.replaced as FleetCapacity[]) : [];
}

/**
 * Sets the stop, then scales every fleet to zero:
 * 1. each fleet's capacity is captured (unless the record already holds it: a second run never
 *    records the zero a first run left) and written with the flag in one compare-and-set, so the
 *    routers refuse paid calls before anything is scaled;
 * 2. every fleet is scaled to zero, each on its own (one failing does not spare the others);
 * 3. people are notified; then, if a fleet failed, `SpendStopIncomplete` is thrown so the platform
 *    retries the whole run.
 * A fleet whose capacity cannot be read is still scaled to zero; it is reported, and resume leaves it
 * for the operator.
 */
export async function stopSpend(d: SpendStopDeps, reason: string): Promise<SpendStopReport> {
  const now = d.now ?? Date.now;
  const failures: FleetFailure[] = [];
  let already = false;
  let replaced: FleetCapacity[] = [];
  for (let round = 0; ; round++) {
    if (round >= MAX_ROUNDS) throw new Error(`stop: the spend-stop record changed under this run ${MAX_ROUNDS} times in a row; run it again`);
    const current = await d.record.read();
    already = current?.state.active === true;
    const known = replacedOf(current?.state);
    const missing = d.fleets.filter((f) => !known.some((c) => sameRef(c.ref, f)));
    failures.length = 0;
    const captured: FleetCapacity[] = [];
    await Promise.all(
      missing.map(async (f) => {
        try {
          captured.push(await d.scaler.capture(f));
        } catch (err) {
          failures.push({ fleet: describe(f), message: `capacity not recorded (restore it by hand after resume): ${message(err)}` });
        }
      }),
    );
    // A fixed order, whatever order the captures finished in.
    replaced = [...known, ...d.fleets.flatMap((f) => captured.filter((c) => sameRef(c.ref, f)))];
    const state: SpendStopState = {
      active: true,
      since: already && current?.state.since ? current.state.since : new Date(now()).toISOString(),
      reason: already && current?.state.reason ? current.state.reason : reason,
      replaced,
    };
    if (await d.record.write(state, current?.version)) break;
  }
  const changed: string[] = [];
  await Promise.all(
    d.fleets.map(async (f) => {
      try {
        await d.scaler.scaleToZero(f);
        changed.push(describe(f));
      } catch (err) {
        failures.push({ fleet: describe(f), message: `not scaled to zero: ${message(err)}` });
      }
    }),
  );
  const report: SpendStopReport = { action: 'stop', already, replaced, changed: order(changed, d.fleets), failures };
  await notifySafely(d, {
    action: 'stop',
    subject: already ? 'Budget stop still active' : 'Budget stop: paid calls refused, GPU fleets scaled to zero',
    message: [
      `Reason: ${reason}`,
      `The routers refuse every paid call with 402 budget_stop_active (within their refresh interval).`,
      `Scaled to zero: ${report.changed.join(', ') || 'none'}.`,
      ...(failures.length ? [`Failed: ${failures.map((f) => `${f.fleet}: ${f.message}`).join('; ')}`] : []),
      'Resume: invoke the stop function with {"action":"resume"} (see the budget docs).',
    ].join('\n'),
  });
  if (failures.length > 0) throw new SpendStopIncomplete(report);
  return report;
}

/**
 * Restores every recorded capacity, then clears the flag. The flag is cleared only when every fleet
 * was restored, so a failed resume can simply be run again.
 */
export async function resumeSpend(d: SpendStopDeps): Promise<SpendStopReport> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await d.record.read();
    if (!current?.state.active) return { action: 'resume', already: true, replaced: [], changed: [], failures: [] };
    const replaced = replacedOf(current.state);
    const failures: FleetFailure[] = [];
    const changed: string[] = [];
    await Promise.all(
      replaced.map(async (c) => {
        try {
          await d.scaler.restore(c);
          changed.push(describe(c.ref));
        } catch (err) {
          failures.push({ fleet: describe(c.ref), message: `not restored: ${message(err)}` });
        }
      }),
    );
    const report: SpendStopReport = { action: 'resume', already: false, replaced, changed: order(changed, replaced.map((c) => c.ref)), failures };
    if (failures.length > 0) {
      await notifySafely(d, { action: 'resume', subject: 'Budget stop: resume incomplete', message: `Not restored: ${failures.map((f) => `${f.fleet}: ${f.message}`).join('; ')}. The stop stays active; run resume again.` });
      throw new SpendStopIncomplete(report);
    }
    if (await d.record.write({ active: false }, current.version)) {
      await notifySafely(d, { action: 'resume', subject: 'Budget stop lifted', message: `Restored: ${report.changed.join(', ') || 'none'}. The routers serve paid calls again within their refresh interval.` });
      return report;
    }
  }
  throw new Error(`resume: the spend-stop record changed under this run ${MAX_ROUNDS} times in a row; run it again`);
}

function order(ids: readonly string[], refs: readonly FleetRef[]): string[] {
  const rank = new Map(refs.map((r, i) => [describe(r), i]));
  return [...ids].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
}

async function notifySafely(d: SpendStopDeps, notice: SpendStopNotice): Promise<void> {
  try {
    await d.notify?.(notice);
  } catch {
    // A notification channel down must not fail (and so retry) a stop that already took effect.
  }
}

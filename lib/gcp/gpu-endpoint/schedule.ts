/**
 * Off-peak windows as Compute Engine autoscaler scaling schedules.
 *
 * A scaling schedule can only RAISE an autoscaler's minimum while it is active (`min_required_replicas`
 * for `duration_sec` from each `schedule` firing). An off-peak window LOWERS the minimum, so it is
 * inverted: the autoscaler's `min_replicas` is the off-peak minimum, and schedules cover the peak
 * hours (from each off-peak `end` to the next off-peak `start`) with the normal minimum.
 *
 * Both crons must repeat weekly (day-of-month and month `*`): every peak window then starts at a
 * minute, hour and weekday and lasts a fixed time, and windows of equal start time and length are
 * merged into one schedule with a weekday list.
 */

const MINUTES_PER_WEEK = 7 * 24 * 60;
/** Compute Engine rejects scaling schedules shorter than this. */
export const MIN_SCHEDULE_SECONDS = 300;
/** Compute Engine allows at most this many scaling schedules per autoscaler. */
export const MAX_SCHEDULES = 128;

/** A peak-hours scaling schedule, ready for `autoscaling_policy.scaling_schedules`. */
export interface PeakSchedule {
  /** Schedule name, unique within the autoscaler. */
  readonly name: string;
  /** Five-field cron of the window starts, in the off-peak time zone. */
  readonly schedule: string;
  /** How long each window lasts. */
  readonly durationSec: number;
}

/** The result of inverting an off-peak window: schedules, or what is wrong with the crons. */
export type PeakSchedules = { readonly schedules: readonly PeakSchedule[] } | { readonly problem: { readonly field: 'start' | 'end'; readonly message: string } };

const FIELD_RANGES: readonly (readonly [number, number])[] = [
  [0, 59], // minute
  [0, 23], // hour
  [1, 31], // day of month
  [1, 12], // month
  [0, 7], // day of week (0 and 7 are Sunday)
];

/** Expands one cron field (`*`, `5`, `1-5`, `*\/15`, `0-30/10`, lists) to its values, or a message. */
function expandField(field: string, index: number): number[] | string {
  const [lo, hi] = FIELD_RANGES[index];
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const [rangePart, stepPart] = item.split('/');
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1) return `step '${stepPart}' must be a whole number >= 1`;
    let from: number;
    let to: number;
    if (rangePart === '*') {
      from = lo;
      to = hi;
    } else if (rangePart.includes('-')) {
      [from, to] = rangePart.split('-').map(Number);
    } else {
      from = Number(rangePart);
      to = stepPart === undefined ? from : hi;
    }
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < lo || to > hi || from > to) {
      return `'${item}' is outside ${lo}-${hi}`;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values];
}

/** Minutes-of-week (0 = Sunday 00:00) at which a weekly cron fires, sorted; or a message. */
function firings(cron: string): number[] | string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return 'must have five fields (minute hour day-of-month month day-of-week)';
  if (fields[2] !== '*' || fields[3] !== '*') {
    return (
      `day-of-month and month must be '*' on GCP (got '${fields[2]} ${fields[3]}'): scaling schedules can only raise the minimum, ` +
      'so the construct schedules the peak hours between the off-peak windows instead, which needs a weekly pattern'
    );
  }
  const expanded: number[][] = [];
  for (let i = 0; i < 5; i++) {
    if (i === 2 || i === 3) continue;
    const values = expandField(fields[i], i);
    if (typeof values === 'string') return `field ${i + 1} ('${fields[i]}'): ${values}`;
    expanded[i] = values;
  }
  const days = new Set(expanded[4].map((d) => d % 7));
  const result: number[] = [];
  for (const day of days) {
    for (const hour of expanded[1]) {
      for (const minute of expanded[0]) result.push(day * 1440 + hour * 60 + minute);
    }
  }
  return result.sort((a, b) => a - b);
}

/** Compresses sorted weekdays to cron list syntax: [1,2,3,4,5] → '1-5', [0,6] → '0,6'. */
function weekdayList(days: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j] + 1) j++;
    parts.push(j - i >= 2 ? `${days[i]}-${days[j]}` : days.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The peak hours between off-peak windows as scaling schedules. `start` and `end` are the off-peak
 * crons (off-peak begins at `start`, the normal minimum returns at `end`).
 */
export function peakSchedules(start: string, end: string): PeakSchedules {
  const starts = firings(start);
  if (typeof starts === 'string') return { problem: { field: 'start', message: starts } };
  const ends = firings(end);
  if (typeof ends === 'string') return { problem: { field: 'end', message: ends } };
  const startSet = new Set(starts);
  const clash = ends.find((t) => startSet.has(t));
  if (clash !== undefined) {
    return { problem: { field: 'end', message: `fires at the same minute as start (${describeMinute(clash)}), so the window has no length` } };
  }

  // Walk the week's events in order; a peak window opens at an `end` that follows a `start`
  // (cyclically) and closes at the next `start`.
  const events = [...starts.map((t) => ({ t, kind: 'start' as const })), ...ends.map((t) => ({ t, kind: 'end' as const }))].sort((a, b) => a.t - b.t);
  const groups = new Map<string, { minute: number; hour: number; durationSec: number; days: number[] }>();
  events.forEach((event, i) => {
    if (event.kind !== 'end') return;
    const previous = events[(i - 1 + events.length) % events.length];
    if (previous.kind !== 'start') return; // already in peak hours
    let nextStart = events[(i + 1) % events.length];
    for (let k = 1; nextStart.kind !== 'start'; k++) nextStart = events[(i + k) % events.length];
    const durationSec = (((nextStart.t - event.t + MINUTES_PER_WEEK) % MINUTES_PER_WEEK) || MINUTES_PER_WEEK) * 60;
    const day = Math.floor(event.t / 1440);
    const hour = Math.floor((event.t % 1440) / 60);
    const minute = event.t % 60;
    const key = `${hour}:${minute}:${durationSec}`;
    const group = groups.get(key) ?? { minute, hour, durationSec, days: [] };
    group.days.push(day);
    groups.set(key, group);
  });

  const list = [...groups.values()].sort((a, b) => a.days[0] - b.days[0] || a.hour - b.hour || a.minute - b.minute || a.durationSec - b.durationSec);
  const short = list.find((g) => g.durationSec < MIN_SCHEDULE_SECONDS);
  if (short) {
    return {
      problem: {
        field: 'start',
        message: `leaves a peak window of ${short.durationSec / 60} minutes after end (${short.hour}:${String(short.minute).padStart(2, '0')}); GCP scaling schedules last at least ${MIN_SCHEDULE_SECONDS / 60} minutes`,
      },
    };
  }
  if (list.length > MAX_SCHEDULES) {
    return { problem: { field: 'end', message: `yields ${list.length} distinct peak windows; a GCP autoscaler holds at most ${MAX_SCHEDULES} scaling schedules` } };
  }
  return {
    schedules: list.map((g, i) => ({
      name: `peak-${i + 1}`,
      schedule: `${g.minute} ${g.hour} * * ${weekdayList(g.days)}`,
      durationSec: g.durationSec,
    })),
  };
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function describeMinute(t: number): string {
  const hour = Math.floor((t % 1440) / 60);
  const minute = t % 60;
  return `${DAY_NAMES[Math.floor(t / 1440)]} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

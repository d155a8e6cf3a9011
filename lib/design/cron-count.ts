/**
 * How often a five-field cron runs in an average month, for the estimate. Pure; the expression is
 * validated first (`isCron`). Days are counted over a reference non-leap year with cron's rule that
 * when both day-of-month and day-of-week are restricted, a day matching either runs.
 */

const BOUNDS: readonly (readonly [number, number])[] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function expand(field: string, [lo, hi]: readonly [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] = range === '*' ? [lo, hi] : ((r) => [r[0], r[1] ?? (stepText === undefined ? r[0] : hi)])(range.split('-').map(Number));
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

interface ParsedCron {
  readonly minutes: Set<number>;
  readonly hours: Set<number>;
  runsOn(day: Date): boolean;
}

function parse(cron: string): ParsedCron {
  const fields = cron.trim().split(/\s+/);
  const [minutes, hours, doms, months, dows] = fields.map((f, i) => expand(f, BOUNDS[i]));
  if (dows.has(7)) dows.add(0);
  const domAny = fields[2] === '*';
  const dowAny = fields[4] === '*';
  const runsOn = (d: Date) => {
    if (!months.has(d.getUTCMonth() + 1)) return false;
    const dom = doms.has(d.getUTCDate());
    const dow = dows.has(d.getUTCDay());
    return domAny && dowAny ? true : domAny ? dow : dowAny ? dom : dom || dow;
  };
  return { minutes, hours, runsOn };
}

const DAY_MS = 86_400_000;

/** Runs of `cron` in an average month (a year's runs / 12). */
export function cronRunsPerMonth(cron: string): number {
  const c = parse(cron);
  let days = 0;
  // 2025: a non-leap year; its weekdays only shift which dates match, not how many in the long run.
  for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += DAY_MS) if (c.runsOn(new Date(t))) days++;
  return (days * c.minutes.size * c.hours.size) / 12;
}

/**
 * The longest time between two consecutive runs of `cron`, seconds: what a freshness alarm waits
 * for before it calls the index stale. Measured over 2025-2032, two leap days apart, so that even a
 * cron of 29 February is seen twice; a cron that runs once in that span counts the whole span.
 */
export function cronLongestGapSeconds(cron: string): number {
  const c = parse(cron);
  const times = [...c.hours].flatMap((h) => [...c.minutes].map((m) => h * 60 + m)).sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  const start = Date.UTC(2025, 0, 1);
  const end = Date.UTC(2033, 0, 1);
  let previousDay: number | undefined;
  for (let t = start; t < end; t += DAY_MS) {
    if (!c.runsOn(new Date(t))) continue;
    const day = (t - start) / DAY_MS;
    if (previousDay !== undefined) longest = Math.max(longest, (day - previousDay) * 1440 + times[0] - times[times.length - 1]);
    previousDay = day;
  }
  if (previousDay === undefined || longest === 0) return (end - start) / 1000;
  return longest * 60;
}

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

/** Runs of `cron` in an average month (a year's runs / 12). */
export function cronRunsPerMonth(cron: string): number {
  const fields = cron.trim().split(/\s+/);
  const [minutes, hours, doms, months, dows] = fields.map((f, i) => expand(f, BOUNDS[i]));
  if (dows.has(7)) dows.add(0);
  const domAny = fields[2] === '*';
  const dowAny = fields[4] === '*';
  let days = 0;
  // 2025: a non-leap year; its weekdays only shift which dates match, not how many in the long run.
  for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += 86_400_000) {
    const d = new Date(t);
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const dom = doms.has(d.getUTCDate());
    const dow = dows.has(d.getUTCDay());
    const runs = domAny && dowAny ? true : domAny ? dow : dowAny ? dom : dom || dow;
    if (runs) days++;
  }
  return (days * minutes.size * hours.size) / 12;
}

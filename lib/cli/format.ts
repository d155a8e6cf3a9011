import type { CloudEstimate, CostEstimate } from '../design';

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Renders rows as an aligned text table; numeric-looking columns are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-$\d.,%x ]*$/.test(r[i])));
  const line = (cells: readonly string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The estimate of one cloud as a table, with totals, the all-on-demand comparison and the budget. */
export function formatCloudEstimate(c: CloudEstimate): string {
  const rows = c.lines.map((l) => [l.component, l.item, l.replicas !== undefined ? String(l.replicas) : '', usd(l.monthlyUsd), usd(l.allOnDemandMonthlyUsd)]);
  rows.push(['total', '', '', usd(c.totalMonthlyUsd), usd(c.allOnDemandMonthlyUsd)]);
  const out = [table(['component', 'item', 'replicas', 'monthly', 'all on-demand'], rows)];
  out.push(`purchase mix saves ${usd(c.savingMonthlyUsd)}/month (${c.savingPercent}%) against all on-demand`);
  if (c.budget) {
    out.push(
      c.budget.withinBudget
        ? `within the monthly budget of ${usd(c.budget.monthlyLimitUsd)}`
        : `WARNING: estimate exceeds the monthly budget of ${usd(c.budget.monthlyLimitUsd)} by ${usd(c.totalMonthlyUsd - c.budget.monthlyLimitUsd)}`,
    );
  }
  return out.join('\n');
}

export function formatEstimate(e: CostEstimate): string {
  return e.clouds.map((c) => `== ${c.cloud}: estimated monthly cost of ${e.design}\n${formatCloudEstimate(c)}`).join('\n\n');
}

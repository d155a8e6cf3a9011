import type { CloudEstimate, CostEstimate } from '../design';

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Renders rows as an aligned text table; numeric-looking columns are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-$\d.,%x ]*$/.test(r[i])));
  const line = (cells: readonly string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `router, vectorStore not deployed: not included`, or '' when every section is deployed. */
function excluded(sections: readonly string[]): string {
  return sections.length > 0 ? ` (${sections.join(', ')} not deployed: not included)` : '';
}

/**
 * The estimate of one cloud as a table, with totals, the all-on-demand comparison and the budget.
 * Lines of sections the cloud does not build yet stay visible, marked `not deployed on <cloud>`, and
 * are left out of the deployed total; the whole design's figure follows when it differs.
 */
export function formatCloudEstimate(c: CloudEstimate): string {
  const rows = c.lines.map((l) => [
    l.component,
    l.item,
    l.replicas !== undefined ? String(l.replicas) : '',
    usd(l.monthlyUsd),
    usd(l.allOnDemandMonthlyUsd),
    l.deployed ? '' : `not deployed on ${c.cloud}`,
  ]);
  rows.push(['deployed total', '', '', usd(c.totalMonthlyUsd), usd(c.allOnDemandMonthlyUsd), '']);
  const out = [table(['component', 'item', 'replicas', 'monthly', 'all on-demand', 'note'], rows)];
  if (c.designTotalMonthlyUsd !== c.totalMonthlyUsd) {
    out.push(`whole design once every section is deployed: ${usd(c.designTotalMonthlyUsd)}/month`);
  }
  out.push(`purchase mix saves ${usd(c.savingMonthlyUsd)}/month (${c.savingPercent}%) against all on-demand`);
  if (c.budget) {
    const figure = `deployed total ${usd(c.budget.comparedMonthlyUsd)}${excluded(c.budget.excludedSections)}`;
    out.push(
      c.budget.withinBudget
        ? `within the monthly budget of ${usd(c.budget.monthlyLimitUsd)}: ${figure}`
        : `WARNING: exceeds the monthly budget of ${usd(c.budget.monthlyLimitUsd)} by ${usd(c.budget.comparedMonthlyUsd - c.budget.monthlyLimitUsd)}: ${figure}`,
    );
  }
  return out.join('\n');
}

export function formatEstimate(e: CostEstimate): string {
  return e.clouds.map((c) => `== ${c.cloud}: estimated monthly cost of ${e.design}\n${formatCloudEstimate(c)}`).join('\n\n');
}

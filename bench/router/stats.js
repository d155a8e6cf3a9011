'use strict';

/** The p-th percentile (nearest rank) of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

module.exports = { percentile };

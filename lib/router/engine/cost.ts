import type { Usage } from '../providers/types';

/**
 * Money in the router is integer nano-dollars (1e-9 USD). Catalog prices have at most six decimals
 * per 1,000 tokens, i.e. a whole number of nano-dollars per token, so costs add up exactly under any
 * concurrency (floats would drift across millions of additions). A price with more decimals is
 * rounded up to the next nano-dollar per token, which errs on the side of the budget.
 */
export const NANO_PER_USD = 1_000_000_000;

/** Largest budget representable exactly as a JS integer of nano-dollars (≈ $9M). */
export const MAX_NANO_USD = Number.MAX_SAFE_INTEGER;

/** Nano-dollars per token for a price in USD per 1,000 tokens. */
export function nanoPerToken(per1kUsd: number): number {
  // per1k × 1e9 / 1e3; toFixed trims float noise (0.000035 × 1e6 = 35.00000000000001) before ceil.
  return Math.ceil(Number((per1kUsd * 1_000_000).toFixed(6)));
}

/** Whole nano-dollars for a USD amount (budgets), rounded down so a budget is never overstated. */
export function usdToNano(usd: number): number {
  return Math.floor(Number((usd * NANO_PER_USD).toFixed(3)));
}

/** A USD string with nine decimals (exact for nano-dollars), e.g. `0.000123450`. */
export function formatUsd(nano: number): string {
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  const whole = Math.floor(abs / NANO_PER_USD);
  const frac = String(abs % NANO_PER_USD).padStart(9, '0');
  return `${sign}${whole}.${frac}`;
}

/** USD number for logs and metrics (display only; accounting stays in nano-dollars). */
export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

/** Prices of one target in nano-dollars per token. */
export interface TokenPrices {
  readonly inputNanoPerToken: number;
  readonly outputNanoPerToken: number;
}

export function costNano(usage: Usage, prices: TokenPrices): number {
  return usage.promptTokens * prices.inputNanoPerToken + usage.completionTokens * prices.outputNanoPerToken;
}

import { allModels } from '../../../lib/design/catalog/models';
import { budgetMonth, seededRandom } from '../../../lib/router/engine/clock';
import { costNano, formatUsd, nanoPerToken, usdToNano } from '../../../lib/router/engine/cost';
import { estimatePromptTokens, promptTokenBound } from '../../../lib/router/engine/tokens';

describe('money in nano-dollars', () => {
  test('every catalog price is a whole number of nano-dollars per token', () => {
    for (const m of allModels()) {
      expect(nanoPerToken(m.inputPer1kUsd)).toBeCloseTo(m.inputPer1kUsd * 1e6, 6);
      expect(Number.isInteger(nanoPerToken(m.inputPer1kUsd))).toBe(true);
      expect(nanoPerToken(m.outputPer1kUsd)).toBeCloseTo(m.outputPer1kUsd * 1e6, 6);
    }
    expect(nanoPerToken(0.000035)).toBe(35);
    expect(nanoPerToken(0.0025)).toBe(2500);
  });

  test('a price finer than a nano-dollar per token rounds up (in favour of the budget)', () => {
    expect(nanoPerToken(0.0000001)).toBe(1);
  });

  test('costs add exactly where floats drift', () => {
    let floats = 0;
    let nanos = 0;
    for (let i = 0; i < 100_000; i++) {
      floats += (7 * 0.0008 + 3 * 0.004) / 1000;
      nanos += costNano({ promptTokens: 7, completionTokens: 3 }, { inputNanoPerToken: nanoPerToken(0.0008), outputNanoPerToken: nanoPerToken(0.004) });
    }
    expect(nanos).toBe(100_000 * (7 * 800 + 3 * 4000));
    expect(formatUsd(nanos)).toBe('1.760000000');
    expect(floats).not.toBe(1.76);
  });

  test('formatUsd and usdToNano', () => {
    expect(formatUsd(0)).toBe('0.000000000');
    expect(formatUsd(20_000)).toBe('0.000020000');
    expect(formatUsd(3_000_000_000_123)).toBe('3000.000000123');
    expect(usdToNano(0.1)).toBe(100_000_000);
    expect(usdToNano(3000)).toBe(3_000_000_000_000);
  });
});

describe('token estimates', () => {
  const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: [{ type: 'text', text: 'Grüße' }, { type: 'image_url' }] }];

  test('estimate ≈ characters / 4 over the text of every message', () => {
    expect(estimatePromptTokens(messages)).toBe(Math.ceil((9 + 5) / 4));
  });

  test('the reservation bound is UTF-8 bytes plus template tokens, never below the estimate', () => {
    expect(promptTokenBound(messages)).toBe(9 + 7 + 8 * 2 + 8);
    expect(promptTokenBound(messages)).toBeGreaterThan(estimatePromptTokens(messages));
  });
});

describe('clock helpers', () => {
  test('budgetMonth is the UTC month', () => {
    expect(budgetMonth(Date.UTC(2025, 0, 31, 23, 59))).toBe('2025-01');
    expect(budgetMonth(Date.UTC(2025, 11, 1))).toBe('2025-12');
  });

  test('seededRandom is reproducible and in [0, 1)', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

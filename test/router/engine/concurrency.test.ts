import { seededRandom, systemClock } from '../../../lib/router/engine/clock';
import { RouterEngine } from '../../../lib/router/engine/engine';
import { createPipeline } from '../../../lib/router/handlers/pipeline';
import type { RequestLog } from '../../../lib/router/log';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { config, fakeFactory, KEY, route, target, tenant, type Behavior } from './helpers';

/** '0.000123456' → 123456 (nano-dollars), without going through floats. */
const nanoOf = (usd: string) => Number(usd.replace('.', ''));

describe('budget exactness under concurrency', () => {
  test('500 parallel requests against a budget for ~100: never over budget, settled sum = reported sum', async () => {
    const random = seededRandom(2025);
    // Real time, random upstream latency (0-3 ms) and random usage within the request's bounds, so
    // reservations, settles and refusals interleave.
    const upstream: Behavior = async (_n, request) => {
      const promptTokens = 5 + Math.floor(random() * 20);
      const completionTokens = 1 + Math.floor(random() * request.maxTokens);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 4)));
      return { content: 'x', finishReason: 'stop', usage: { promptTokens, completionTokens } };
    };
    const { factory } = fakeFactory({ a: upstream });
    // Each request reserves 27 × 1000 + 100 × 2000 = 227 000 nano-dollars: the budget covers 100.
    const budgetNano = 100 * 227_000;
    const ledger = new MemoryLedger();
    const logs: RequestLog[] = [];
    const engine = new RouterEngine(config([target('a')], [route('r', ['a'])], [tenant({ monthlyBudgetUsd: budgetNano / 1e9 })]), {
      adapterFactory: factory,
      ledger,
      clock: systemClock,
      random,
      logger: (r) => logs.push(r),
    });
    // In-flight caps well above the 500: this test is about the budget, not about those caps.
    const handle = createPipeline(engine, { maxInFlight: 1000, maxInFlightPerTenant: 1000 });
    const body = JSON.stringify({ model: 'r', max_tokens: 100, messages: [{ role: 'user', content: 'hello there' }] });

    const responses = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i % 7));
        return handle('POST', '/v1/chat/completions', { authorization: `Bearer ${KEY}` }, body);
      }),
    );

    const served = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 402);
    expect(served.length + refused.length).toBe(500);
    expect(served.length).toBeGreaterThanOrEqual(100);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(JSON.parse(r.body!).error.code).toBe('insufficient_quota');

    const month = new Date().toISOString().slice(0, 7);
    const balance = await ledger.spent('acme', month);
    const reported = served.reduce((sum, r) => sum + nanoOf(r.headers['x-ai-stack-cost-usd']), 0);
    expect(balance.reservedNanoUsd).toBe(0);
    expect(balance.spentNanoUsd).toBeLessThanOrEqual(budgetNano);
    expect(balance.spentNanoUsd).toBe(reported);
    // Every reported cost is the usage priced exactly, and the logs agree with the responses.
    for (const r of served) {
      const usage = JSON.parse(r.body!).usage;
      expect(nanoOf(r.headers['x-ai-stack-cost-usd'])).toBe(usage.prompt_tokens * 1000 + usage.completion_tokens * 2000);
    }
    expect(logs.filter((l) => l.status === 200)).toHaveLength(served.length);
  });
});

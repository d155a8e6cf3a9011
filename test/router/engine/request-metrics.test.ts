// The request record's figures the dashboards chart apart from `attempts`: fallbacks (targets moved
// past), retries (calls repeated on one target) and the tenant's budget used.
import { embeddedMetricRecord, type RequestLog } from '../../../lib/router/log';
import type { Ledger } from '../../../lib/router/stores/ledger';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { ProviderError } from '../../../lib/router/providers/types';
import type { EngineStreamEvent } from '../../../lib/router/engine/stream';
import { chat, config, engineWith, failsThen, fakeFactory, route, target, tenant } from './helpers';

const err = (kind: ProviderError['kind'], status: number) => new ProviderError(kind, `${kind} from fake`, status);
const threeTargets = [target('a'), target('b'), target('c')];
const ordered = route('r', ['a'], { fallbacks: ['b', 'c'], retries: 2 });

async function drain(events: AsyncIterable<EngineStreamEvent>): Promise<void> {
  for await (const _ of events) void _;
}

describe('fallbacks and retries in the request record', () => {
  test('the first choice serving at once: no fallback, no retry', async () => {
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    await chat(engine, { model: 'r' });
    expect(logs[0]).toMatchObject({ target: 'a', attempts: 1, fallbacks: 0, retries: 0 });
  });

  test('two retries on the first target, then the second serves: 1 fallback, 2 retries, 4 attempts', async () => {
    const { factory } = fakeFactory({ a: failsThen([err('server', 503), err('server', 503), err('server', 503)]) });
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    await chat(engine, { model: 'r' });
    expect(logs[0]).toMatchObject({ target: 'b', attempts: 4, fallbacks: 1, retries: 2 });
  });

  test('a fallback without retries (auth is not retried) counts no retry', async () => {
    const { factory } = fakeFactory({ a: failsThen([err('auth', 403)]), b: failsThen([err('auth', 403)]) });
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    await chat(engine, { model: 'r' });
    expect(logs[0]).toMatchObject({ target: 'c', attempts: 3, fallbacks: 2, retries: 0 });
  });

  test('a request that fails on every target records every fallback it made', async () => {
    const down = async () => {
      throw err('auth', 401);
    };
    const { factory } = fakeFactory({ a: down, b: down, c: down });
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    await expect(chat(engine, { model: 'r' })).rejects.toMatchObject({ status: 502 });
    expect(logs[0]).toMatchObject({ status: 502, attempts: 3, fallbacks: 2, retries: 0 });
  });

  test('streams record them too', async () => {
    const { factory } = fakeFactory({ a: failsThen([err('throttled', 429)]) });
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    await drain(result.events);
    expect(logs[0]).toMatchObject({ stream: true, target: 'a', attempts: 2, fallbacks: 0, retries: 1 });
  });
});

describe('budget used per tenant', () => {
  // 10 prompt + 5 completion tokens at 1,000 and 2,000 nano-dollars: 20,000 nano-dollars a request,
  // against a budget of 100,000 (max_tokens 5 keeps the reservation, 37,000, within it).
  const budget = tenant({ monthlyBudgetUsd: 0.0001 });

  test('each charged request records spent + in flight + its cost as a percent of the budget', async () => {
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [budget]), factory);
    await chat(engine, { model: 'r', max_tokens: 5 });
    await chat(engine, { model: 'r', max_tokens: 5 });
    expect(logs.map((l) => l.budgetUsedPercent)).toEqual([20, 40]);
  });

  test('money other requests hold in flight counts as used', async () => {
    const ledger = new MemoryLedger();
    // Another instance's request holds 30,000 nano-dollars.
    const held = await ledger.reserve({ tenant: 'acme', month: '2025-11', amountNanoUsd: 30_000, limitNanoUsd: 100_000 });
    expect(held.ok).toBe(true);
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [budget]), factory, { ledger });
    await chat(engine, { model: 'r', max_tokens: 5 });
    expect(logs[0].budgetUsedPercent).toBe(50);
  });

  test('streams record the budget used once settled', async () => {
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [budget]), factory);
    const result = await chat(engine, { model: 'r', max_tokens: 5, stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    await drain(result.events);
    expect(logs[0]).toMatchObject({ stream: true, budgetUsedPercent: 20 });
  });

  test('a ledger that does not return its balance leaves the field out rather than guessing', async () => {
    const inner = new MemoryLedger();
    const ledger: Ledger = {
      reserve: async (r) => {
        const result = await inner.reserve(r);
        return result.ok ? { ok: true, reservation: result.reservation } : result;
      },
      settle: (r, a) => inner.settle(r, a),
      release: (r) => inner.release(r),
      spent: (t, m) => inner.spent(t, m),
    };
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [budget]), factory, { ledger });
    await chat(engine, { model: 'r', max_tokens: 5 });
    expect(logs[0]).not.toHaveProperty('budgetUsedPercent');
  });

  test('a failed request is not charged and records no budget figure', async () => {
    const { factory } = fakeFactory({ a: async () => { throw err('auth', 401); } });
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [budget]), factory);
    await expect(chat(engine, { model: 'r', max_tokens: 5 })).rejects.toMatchObject({ status: 502 });
    expect(logs[0]).not.toHaveProperty('budgetUsedPercent');
  });
});

describe('the CloudWatch Embedded Metric Format record', () => {
  const base: RequestLog = { time: '2026-12-01T00:00:00.000Z', requestId: 'r1', tenant: 'acme', route: 'r', target: 'b', attempts: 4, fallbacks: 1, retries: 2, promptTokens: 10, completionTokens: 5, costUsd: 0.00002, latencyMs: 12, overheadMs: 0.2, outcome: 'ok', status: 200, stream: false };

  test('publishes fallbacks and retries apart, and the budget used under the tenant dimension alone', () => {
    const emf = embeddedMetricRecord({ ...base, budgetUsedPercent: 42.5 }, 0) as { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
    const directives = emf._aws.CloudWatchMetrics;
    expect(directives[0].Metrics.map((m) => m.Name)).toEqual(expect.arrayContaining(['Fallbacks', 'Retries']));
    expect(directives[1]).toEqual({ Namespace: 'AiStack/Router', Dimensions: [['tenant']], Metrics: [{ Name: 'BudgetUsedPercent', Unit: 'Percent' }] });
    expect(emf).toMatchObject({ Fallbacks: 1, Retries: 2, BudgetUsedPercent: 42.5, tenant: 'acme' });
  });

  test('declares no budget metric on a record without one (a declared metric needs its value)', () => {
    const emf = embeddedMetricRecord(base, 0) as { _aws: { CloudWatchMetrics: unknown[] } } & Record<string, unknown>;
    expect(emf._aws.CloudWatchMetrics).toHaveLength(1);
    expect(emf).not.toHaveProperty('BudgetUsedPercent');
  });

  test('a record refused before routing counts zero fallbacks and retries', () => {
    const { fallbacks: _f, retries: _r, ...refused } = base;
    expect(embeddedMetricRecord(refused, 0)).toMatchObject({ Fallbacks: 0, Retries: 0 });
  });
});

describe("the record's fields come in one order, whatever builds it", () => {
  // People read these lines: the time first, then who and where, then what it cost. (The record is
  // built by assignment rather than spreads for speed; this pins that the order survived.)
  const head = ['time', 'requestId', 'tenant', 'route', 'target', 'attempts', 'fallbacks', 'retries', 'budgetUsedPercent'];
  const figures = ['promptTokens', 'completionTokens', 'costUsd', 'latencyMs', 'overheadMs', 'outcome', 'status'];

  test('an answer: the figures, then stream: false', async () => {
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    await chat(engine, { model: 'r' });
    expect(Object.keys(logs[0])).toEqual([...head, ...figures, 'stream']);
    expect(logs[0].stream).toBe(false);
  });

  test('a stream: stream: true, then the figures', async () => {
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config(threeTargets, [ordered]), factory);
    const result = await chat(engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    await drain(result.events);
    expect(Object.keys(logs[0])).toEqual([...head, 'stream', ...figures]);
    expect(logs[0].stream).toBe(true);
  });
});

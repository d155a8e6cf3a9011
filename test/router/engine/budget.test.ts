import type { Ledger, ReserveRequest } from '../../../lib/router/stores/ledger';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { ProviderError } from '../../../lib/router/providers/types';
import { chat, config, engineWith, fakeFactory, route, target, tenant } from './helpers';

const MONTH = '2025-11';
// 'hello there' = 11 bytes + 8 template tokens per message + 8 = 27 prompt tokens at most.
const BOUND = 27;

function spyLedger() {
  const inner = new MemoryLedger();
  const reserved: ReserveRequest[] = [];
  const ledger: Ledger = {
    reserve: (r) => {
      reserved.push(r);
      return inner.reserve(r);
    },
    settle: (r, a) => inner.settle(r, a),
    release: (r) => inner.release(r),
    spent: (t, m) => inner.spent(t, m),
  };
  return { ledger, reserved, inner };
}

describe('budgets: reserve, settle, release', () => {
  test('a served request settles exactly the cost of its usage; the reservation is freed', async () => {
    const { ledger, reserved } = spyLedger();
    const { factory } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])]), factory, { ledger });
    const result = await chat(engine, { model: 'r' });
    // usage (10 prompt, 5 completion) at 1000 and 2000 nano-dollars per token
    expect(result.kind === 'completion' && result.meta.costNanoUsd).toBe(20_000);
    expect(reserved[0]).toMatchObject({ tenant: 'acme', month: MONTH, amountNanoUsd: BOUND * 1000 + 4096 * 2000, limitNanoUsd: 100e9 });
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 20_000, reservedNanoUsd: 0 });
    expect(logs[0]).toMatchObject({ tenant: 'acme', route: 'r', target: 'a', attempts: 1, promptTokens: 10, completionTokens: 5, costUsd: 0.00002, outcome: 'ok', status: 200, stream: false });
  });

  test('the reservation covers the most expensive target the request may reach', async () => {
    const { ledger, reserved } = spyLedger();
    const { factory } = fakeFactory({});
    const targets = [target('cheap'), target('dear', { inputPer1kUsd: 0.003, outputPer1kUsd: 0.015, maxOutputTokens: 2000 })];
    const { engine } = engineWith(config(targets, [route('r', ['cheap'], { fallbacks: ['dear'] })]), factory, { ledger });
    await chat(engine, { model: 'r' });
    expect(reserved[0].amountNanoUsd).toBe(BOUND * 3000 + 2000 * 15000);
  });

  test('a failed request releases its reservation and charges nothing', async () => {
    const { ledger } = spyLedger();
    const { factory } = fakeFactory({ a: async () => { throw new ProviderError('server', 'down', 500); } });
    const { engine } = engineWith(config([target('a')], [route('r', ['a'], { retries: 0 })]), factory, { ledger });
    await expect(chat(engine, { model: 'r' })).rejects.toMatchObject({ status: 502 });
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
  });

  test('a request that could pass the budget is refused with 402 before any paid call', async () => {
    const { factory, calls } = fakeFactory({});
    const { engine, logs } = engineWith(config([target('a')], [route('r', ['a'])], [tenant({ monthlyBudgetUsd: 0.005 })]), factory);
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 402, type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(e.message).toBe(
      "tenant 'acme' would exceed its monthly budget of $0.005000000 for 2025-11: spent $0.000000000, reserved by requests in flight $0.000000000, " +
        "this request may cost up to $0.008219000 (27 prompt + 4096 output tokens at target 'a'); lower max_tokens, or raise the tenant's monthlyBudgetUsd",
    );
    expect(calls).toHaveLength(0);
    expect(logs[0]).toMatchObject({ outcome: 'insufficient_quota', status: 402, tenant: 'acme', route: 'r' });
    // A smaller max_tokens fits.
    const ok = await chat(engine, { model: 'r', max_tokens: 100 });
    expect(ok.kind).toBe('completion');
  });

  test('spending accumulates until the budget refuses, and a new month starts afresh', async () => {
    const { ledger } = spyLedger();
    const { factory } = fakeFactory({});
    // Each request reserves 27 × 1000 + 10 × 2000 = 47 000 and costs 20 000 nano-dollars.
    const { engine, clock } = engineWith(config([target('a')], [route('r', ['a'])], [tenant({ monthlyBudgetUsd: 0.0001 })]), factory, { ledger });
    let served = 0;
    for (let i = 0; i < 10; i++) {
      const ok = await chat(engine, { model: 'r', max_tokens: 10 }).then(() => true, (e) => (e.status === 402 ? false : Promise.reject(e)));
      if (ok) served++;
    }
    // 20k, 40k, 60k spent; the fourth would need 60k + 47k > 100k.
    expect(served).toBe(3);
    expect(await ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 60_000, reservedNanoUsd: 0 });
    clock.advance(20 * 24 * 3600 * 1000);
    await chat(engine, { model: 'r', max_tokens: 10 });
    expect(await ledger.spent('acme', '2025-12')).toEqual({ spentNanoUsd: 20_000, reservedNanoUsd: 0 });
  });

  test('a settle failure is a 500 and the reservation is released', async () => {
    const inner = new MemoryLedger();
    const ledger: Ledger = { ...inner, reserve: (r) => inner.reserve(r), release: (r) => inner.release(r), spent: (t, m) => inner.spent(t, m), settle: async () => { throw new Error('ledger table unavailable'); } };
    const { factory } = fakeFactory({});
    const { engine } = engineWith(config([target('a')], [route('r', ['a'])]), factory, { ledger });
    await expect(chat(engine, { model: 'r' })).rejects.toMatchObject({ status: 500, message: 'router error: ledger table unavailable' });
    expect(await inner.spent('acme', MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
  });
});

describe('rate limits', () => {
  test('requests per minute: the next request is refused with 429 and Retry-After, then allowed after the window', async () => {
    const { factory } = fakeFactory({});
    const { engine, clock } = engineWith(config([target('a')], [route('r', ['a'])], [tenant({ requestsPerMinute: 3 })]), factory);
    for (let i = 0; i < 3; i++) {
      await chat(engine, { model: 'r' });
      clock.advance(10_000);
    }
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(e.message).toBe("tenant 'acme' reached its limit of 3 requests per minute (3 in the last 60 s); retry in 30 s");
    expect(e.headers['retry-after']).toBe('30');
    clock.advance(30_000);
    await expect(chat(engine, { model: 'r' })).resolves.toMatchObject({ kind: 'completion' });
  });

  test('tokens per minute count the prompt estimate and max output', async () => {
    const { factory, calls } = fakeFactory({});
    const { engine } = engineWith(config([target('a')], [route('r', ['a'])], [tenant({ tokensPerMinute: 10_000 })]), factory);
    // 'hello there' ≈ 3 tokens + 4096 max output = 4099 per request
    await chat(engine, { model: 'r' });
    await chat(engine, { model: 'r' });
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(e.message).toMatch(/reached its limit of 10000 tokens per minute \(8198 used in the last 60 s, this request needs ~4099\)/);
    expect(calls).toHaveLength(2);
    const small = engineWith(config([target('a')], [route('r', ['a'])], [tenant({ tokensPerMinute: 5_000 })]), factory).engine;
    const tooBig = await chat(small, { model: 'r', max_tokens: 6_000 }).catch((x) => x);
    expect(tooBig.message).toMatch(/needs ~\d+ tokens .* more than tenant 'acme' may use per minute \(5000\); lower max_tokens/);
  });

  test('a tenant limited to some routes gets 403 on the others; an unknown route is 404', async () => {
    const { factory } = fakeFactory({});
    const { engine } = engineWith(config([target('a')], [route('r', ['a']), route('s', ['a'])], [tenant({ routes: ['r'] })]), factory);
    await expect(chat(engine, { model: 's' })).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
    await expect(chat(engine, { model: 'nope' })).rejects.toMatchObject({ status: 404, code: 'model_not_found', message: expect.stringContaining('(r)') });
  });
});


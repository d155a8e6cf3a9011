import { DEFAULT_SPEND_STOP_REFRESH_MS } from '../../../lib/router/engine/spend-stop-gate';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { MemorySpendStop, type SpendStopStore } from '../../../lib/router/stores/spend-stop';
import { chat, config, engineWith, fakeFactory, route, target } from './helpers';

const MONTH = '2025-11';

function setup(spendStop: SpendStopStore, refreshMs?: number) {
  const ledger = new MemoryLedger();
  const { factory, calls } = fakeFactory({});
  const cfg = config([target('gpu', { provider: 'endpoint' }), target('managed', { provider: 'bedrock', region: 'us-east-1' })], [route('on-gpu', ['gpu']), route('managed', ['managed'])]);
  const r = engineWith(cfg, factory, { ledger, spendStop, ...(refreshMs !== undefined ? { spendStopRefreshMs: refreshMs } : {}) });
  return { ...r, ledger, calls };
}

async function setStop(store: SpendStopStore, active: boolean, reason?: string) {
  const current = await store.read();
  expect(await store.write({ active, since: '2026-12-01T10:00:00.000Z', ...(reason ? { reason } : {}) }, current?.version)).toBe(true);
}

describe('the spend stop in the engine', () => {
  test('no record: requests are served', async () => {
    const s = setup(new MemorySpendStop());
    expect((await chat(s.engine, { model: 'on-gpu' })).kind).toBe('completion');
  });

  test('an active stop refuses every route, GPU endpoints included, with 402 budget_stop_active before any reservation or paid call', async () => {
    const stop = new MemorySpendStop();
    await setStop(stop, true, 'budget 100% of 500 USD');
    const s = setup(stop);
    for (const model of ['on-gpu', 'managed']) {
      await expect(chat(s.engine, { model })).rejects.toMatchObject({
        status: 402,
        code: 'budget_stop_active',
        message: "the stack's budget stop is active since 2026-12-01T10:00:00.000Z (budget 100% of 500 USD): every paid call is refused until an operator resumes the stack",
      });
    }
    expect(s.calls).toHaveLength(0);
    expect(await s.ledger.spent('acme', MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
    expect(s.logs.map((l) => [l.outcome, l.status])).toEqual([
      ['budget_stop_active', 402],
      ['budget_stop_active', 402],
    ]);
  });

  test(`an instance sees the stop within refreshMs (default ${DEFAULT_SPEND_STOP_REFRESH_MS} ms), and a resume the same way`, async () => {
    const stop = new MemorySpendStop();
    const s = setup(stop);
    await chat(s.engine, { model: 'on-gpu' });
    await setStop(stop, true);
    // Read 0 ms ago: still serving, as documented.
    expect((await chat(s.engine, { model: 'on-gpu' })).kind).toBe('completion');
    s.clock.t += DEFAULT_SPEND_STOP_REFRESH_MS - 1;
    expect((await chat(s.engine, { model: 'on-gpu' })).kind).toBe('completion');
    s.clock.t += 1;
    await expect(chat(s.engine, { model: 'on-gpu' })).rejects.toMatchObject({ status: 402, code: 'budget_stop_active' });
    await setStop(stop, false);
    await expect(chat(s.engine, { model: 'on-gpu' })).rejects.toMatchObject({ status: 402 });
    s.clock.t += DEFAULT_SPEND_STOP_REFRESH_MS;
    expect((await chat(s.engine, { model: 'on-gpu' })).kind).toBe('completion');
  });

  test('requests arriving together share one read of the record', async () => {
    const inner = new MemorySpendStop();
    let reads = 0;
    const counting: SpendStopStore = {
      read: async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 5));
        return inner.read();
      },
      write: (st, v) => inner.write(st, v),
    };
    const s = setup(counting);
    await Promise.all(Array.from({ length: 50 }, () => chat(s.engine, { model: 'on-gpu' })));
    expect(reads).toBe(1);
  });

  test('a failed read keeps the last known state and is tried again a second later', async () => {
    const inner = new MemorySpendStop();
    await setStop(inner, true);
    let failing = false;
    let reads = 0;
    const flaky: SpendStopStore = {
      read: async () => {
        reads++;
        if (failing) throw new Error('store unavailable');
        return inner.read();
      },
      write: (st, v) => inner.write(st, v),
    };
    const s = setup(flaky, 1000);
    await expect(chat(s.engine, { model: 'on-gpu' })).rejects.toMatchObject({ status: 402 });
    failing = true;
    s.clock.t += 1000;
    // The stop stays in force through the outage.
    await expect(chat(s.engine, { model: 'on-gpu' })).rejects.toMatchObject({ status: 402 });
    expect(reads).toBe(2);
    s.clock.t += 999;
    await expect(chat(s.engine, { model: 'on-gpu' })).rejects.toMatchObject({ status: 402 });
    expect(reads).toBe(2);
    s.clock.t += 1;
    failing = false;
    await setStop(inner, false);
    expect((await chat(s.engine, { model: 'on-gpu' })).kind).toBe('completion');
    expect(reads).toBe(3);
  });
});

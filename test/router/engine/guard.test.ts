// The guard stage inside the engine: reservation, charging, fail modes and parallel mode.
import type { EngineStreamEvent } from '../../../lib/router/engine/stream';
import type { GuardRequest, GuardVerdict } from '../../../lib/router/guard/types';
import type { Ledger, ReserveRequest } from '../../../lib/router/stores/ledger';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { FakeGuard, guardConfig, never } from '../guard/support/fake-guard';
import { chat, config, engineWith, fakeFactory, route, target } from './helpers';

const MONTH = '2025-11';

function setup(guard: FakeGuard, design: Parameters<typeof guardConfig>[0] = {}, timeoutMs = 100) {
  const inner = new MemoryLedger();
  const reserved: ReserveRequest[] = [];
  const ledger: Ledger = { reserve: (r) => (reserved.push(r), inner.reserve(r)), settle: (r, a) => inner.settle(r, a), release: (r) => inner.release(r), spent: (t, m) => inner.spent(t, m) };
  const { factory, calls } = fakeFactory({});
  const cfg = { ...config([target('a')], [route('r', ['a'])]), guard: guardConfig(design, timeoutMs) };
  const r = engineWith(cfg, factory, { ledger, guardAdapter: guard });
  return { ...r, calls, reserved, spent: async () => (await inner.spent('acme', MONTH)).spentNanoUsd };
}

const verdict = (action: GuardVerdict['action'], costNanoUsd = 1000, policies: GuardVerdict['policies'] = action === 'allow' ? [] : ['content']): GuardVerdict => ({ action, policies, costNanoUsd, ...(action === 'mask' ? {} : {}) });

async function drain(events: AsyncIterable<EngineStreamEvent>): Promise<EngineStreamEvent[]> {
  const out: EngineStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('the guard stage in the engine', () => {
  test('the reservation covers the guard calls on top of the tokens', async () => {
    const s = setup(new FakeGuard());
    const plain = setup(new FakeGuard(), { routes: { r: { input: false, output: false } } });
    await chat(s.engine, { model: 'r', max_tokens: 16 });
    await chat(plain.engine, { model: 'r', max_tokens: 16 });
    expect(s.reserved[0].amountNanoUsd).toBeGreaterThan(plain.reserved[0].amountNanoUsd);
  });

  test('an answer is charged its tokens plus every guard call (prompt and answer)', async () => {
    const s = setup(new FakeGuard(() => verdict('allow', 1000)));
    const result = await chat(s.engine, { model: 'r' });
    // fake usage: 10 prompt + 5 completion tokens at 1,000 / 2,000 nano-dollars
    expect(await s.spent()).toBe(20_000 + 2000);
    expect(result.kind === 'completion' && result.meta.costNanoUsd).toBe(22_000);
    expect(s.logs[0]).toMatchObject({ outcome: 'ok', costUsd: 0.000022 });
  });

  test('an answer the output check blocks is refused with 400, and its tokens are still charged (they were paid)', async () => {
    const guard = new FakeGuard((r: GuardRequest) => verdict(r.source === 'output' ? 'block' : 'allow', 1000));
    const s = setup(guard);
    await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 400, code: 'content_filter', message: 'This request was blocked by the content policy. (policy: content)' });
    expect(await s.spent()).toBe(20_000 + 2000);
    expect(s.logs[0]).toMatchObject({ outcome: 'content_filter', costUsd: 0.000022, guard: { action: 'block', policies: ['content'] } });
  });

  test('fail closed (the default): a guard that never answers refuses with 503 guard_unavailable, no model call', async () => {
    const s = setup(new FakeGuard(never), {}, 100);
    await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 503, code: 'guard_unavailable' });
    expect(s.calls).toHaveLength(0);
    expect(await s.spent()).toBe(0);
  });

  test('fail open: the outage is let through and the record says so', async () => {
    const s = setup(new FakeGuard(never), { failMode: 'open' }, 100);
    const result = await chat(s.engine, { model: 'r' });
    expect(result.kind).toBe('completion');
    expect(s.logs[0]).toMatchObject({ outcome: 'ok', guard: { failedOpen: true } });
  });

  test('parallel mode starts the model call alongside the prompt check; a blocked prompt still refuses the answer and pays for both', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const guard = new FakeGuard(async (r: GuardRequest) => {
      if (r.source === 'input') {
        await held;
        return verdict('block', 1000, ['prompt_attack']);
      }
      return verdict('allow', 0);
    });
    const s = setup(guard, { parallel: true }, 1000);
    const pending = chat(s.engine, { model: 'r' });
    await new Promise((r) => setTimeout(r, 10));
    // The model was called before the prompt check answered.
    expect(s.calls).toHaveLength(1);
    release();
    await expect(pending).rejects.toMatchObject({ status: 400, code: 'content_filter', message: expect.stringContaining('prompt_attack') });
    expect(await s.spent()).toBe(20_000 + 1000);
  });

  test('parallel mode on a stream releases nothing until the prompt check passed', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const guard = new FakeGuard(async (r: GuardRequest) => {
      if (r.source === 'input') await held;
      return verdict('allow', 0);
    });
    const s = setup(guard, { parallel: true, streamWindowChars: 50 }, 1000);
    const result = await chat(s.engine, { model: 'r', stream: true });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const it = result.events[Symbol.asyncIterator]();
    let first: IteratorResult<EngineStreamEvent> | undefined;
    const next = it.next().then((r) => (first = r));
    await new Promise((r) => setTimeout(r, 20));
    expect(first).toBeUndefined();
    release();
    await next;
    expect(first!.value).toMatchObject({ type: 'delta' });
    const rest = await drain({ [Symbol.asyncIterator]: () => it });
    expect(rest[rest.length - 1]).toMatchObject({ type: 'done' });
  });
});

import { chat, config, engineWith, fakeFactory, hangs, route, target, type Behavior } from './helpers';
import type { CancelSignal } from '../../../lib/router/engine/cancel';

describe('attempt timeout and deadline', () => {
  test('an attempt is aborted after timeoutMs, retried, then the next target serves', async () => {
    const { factory, calls } = fakeFactory({ a: hangs });
    const { engine, clock } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'], timeoutMs: 1000, retries: 1, deadlineMs: 60000 })]), factory);
    const result = await chat(engine, { model: 'r' });
    expect(calls.map((c) => c.target)).toEqual(['a', 'a', 'b']);
    expect(calls[0].signal.aborted).toBe(true);
    expect(calls[1].signal.aborted).toBe(true);
    expect(result.kind === 'completion' && result.meta).toMatchObject({ target: 'b', attempts: 3 });
    // Two timeouts plus one backoff (50-100 ms).
    expect(clock.t).toBeGreaterThanOrEqual(2050);
    expect(clock.t).toBeLessThanOrEqual(2100);
  });

  test('the deadline bounds the whole request: 504 once it passes', async () => {
    const { factory, calls } = fakeFactory({ a: hangs, b: hangs, c: hangs });
    const { engine, clock } = engineWith(config([target('a'), target('b'), target('c')], [route('r', ['a'], { fallbacks: ['b', 'c'], timeoutMs: 1000, retries: 0, deadlineMs: 1500 })]), factory);
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 504, code: 'deadline_exceeded' });
    expect(e.message).toMatch(/within its 1500 ms deadline/);
    expect(e.message).toMatch(/a: timed out \(no answer within 1000 ms\)/);
    expect(e.message).toMatch(/b: timed out \(no answer within 500 ms \(the rest of the deadline\)\)/);
    expect(e.message).toMatch(/c: not tried/);
    expect(calls.map((c) => c.target)).toEqual(['a', 'b']);
    expect(clock.t).toBe(1500);
  });

  test('an adapter that ignores the abort signal still times out', async () => {
    const deaf: Behavior = () => new Promise(() => undefined);
    const { factory } = fakeFactory({ a: deaf });
    const { engine } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'], retries: 0, timeoutMs: 300 })]), factory);
    const result = await chat(engine, { model: 'r' });
    expect(result.kind === 'completion' && result.meta.target).toBe('b');
  });

  test('a slow answer inside the timeout is served', async () => {
    // The behaviour needs the engine's clock, which exists only once the engine does.
    let clockRef: { wait(ms: number, s?: CancelSignal): Promise<void> } | undefined;
    const slow: Behavior = async (_n, _r, signal) => {
      await clockRef!.wait(900, signal);
      return { content: 'slow', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    };
    const f = fakeFactory({ a: slow });
    const { engine, clock } = engineWith(config([target('a')], [route('r', ['a'], { timeoutMs: 1000 })]), f.factory);
    clockRef = clock;
    const result = await chat(engine, { model: 'r' });
    expect(result.kind === 'completion' && result.completion.content).toBe('slow');
    expect(result.kind === 'completion' && result.meta.overheadMs).toBe(0);
    expect(clock.t).toBe(900);
  });

  test('the client going away stops the request with 499 and aborts the upstream call', async () => {
    const { factory, calls } = fakeFactory({ a: hangs });
    const { engine } = engineWith(config([target('a')], [route('r', ['a'], { timeoutMs: 60000, deadlineMs: 60000 })]), factory);
    const client = new AbortController();
    const pending = chat(engine, { model: 'r' }, { signal: client.signal });
    await new Promise((r) => setImmediate(r));
    client.abort();
    await expect(pending).rejects.toMatchObject({ status: 499, code: 'client_closed' });
    expect(calls[0].signal.aborted).toBe(true);
  });
});

import { CircuitBreaker } from '../../../lib/router/engine/breaker';
import { ProviderError } from '../../../lib/router/providers/types';
import { chat, config, engineWith, fakeFactory, route, target, type Behavior } from './helpers';

const cfg = { failureThreshold: 3, windowMs: 10_000, cooldownMs: 5_000 };

describe('CircuitBreaker', () => {
  test('closed → open after the threshold of failures within the window', () => {
    const b = new CircuitBreaker(cfg);
    b.failure(0);
    b.failure(1000);
    expect(b.state(1000)).toBe('closed');
    b.failure(2000);
    expect(b.state(2000)).toBe('open');
    expect(b.admit(2500)).toEqual({ allowed: false, retryInMs: 4500 });
  });

  test('failures older than the window do not count', () => {
    const b = new CircuitBreaker(cfg);
    b.failure(0);
    b.failure(1000);
    b.failure(11_000); // the first left the window at 10 000
    expect(b.state(11_000)).toBe('closed');
  });

  test('open → half-open after the cooldown; one probe only; success closes', () => {
    const b = new CircuitBreaker(cfg);
    for (const t of [0, 1, 2]) b.failure(t);
    expect(b.state(5002)).toBe('half-open');
    expect(b.admit(5002)).toEqual({ allowed: true, probe: true });
    expect(b.admit(5003)).toEqual({ allowed: false, retryInMs: 0 });
    b.success();
    expect(b.state(5004)).toBe('closed');
    expect(b.admit(5004)).toEqual({ allowed: true, probe: false });
  });

  test('a failed probe reopens the circuit for a new cooldown', () => {
    const b = new CircuitBreaker(cfg);
    for (const t of [0, 1, 2]) b.failure(t);
    expect(b.admit(6000)).toMatchObject({ allowed: true, probe: true });
    b.failure(6000);
    expect(b.state(6001)).toBe('open');
    expect(b.state(10_999)).toBe('open');
    expect(b.state(11_000)).toBe('half-open');
  });

  test('an abandoned probe lets the next call probe', () => {
    const b = new CircuitBreaker(cfg);
    for (const t of [0, 1, 2]) b.failure(t);
    expect(b.admit(6000)).toMatchObject({ allowed: true, probe: true });
    b.abandon(true);
    expect(b.admit(6001)).toMatchObject({ allowed: true, probe: true });
  });
});

describe('circuit breaking in the engine', () => {
  test('an open circuit skips the target until the cooldown, then one probe closes it', async () => {
    let healthy = false;
    const a: Behavior = async () => {
      if (!healthy) throw new ProviderError('server', 'down', 503);
      return { content: 'a is back', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    };
    const { factory, calls } = fakeFactory({ a });
    const { engine, clock } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'], retries: 0 })]), factory);

    for (let i = 0; i < 3; i++) await chat(engine, { model: 'r' }); // three failures of 'a' open it
    expect(calls.map((c) => c.target)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);

    calls.length = 0;
    const skipped = await chat(engine, { model: 'r' });
    expect(calls.map((c) => c.target)).toEqual(['b']);
    expect(skipped.kind === 'completion' && skipped.meta).toMatchObject({ target: 'b', attempts: 1 });

    clock.advance(5000); // cooldown over: half-open
    healthy = true;
    calls.length = 0;
    const probe = await chat(engine, { model: 'r' });
    expect(probe.kind === 'completion' && probe.meta.target).toBe('a');
    await chat(engine, { model: 'r' });
    expect(calls.map((c) => c.target)).toEqual(['a', 'a']);
  });

  test('a route whose only target has its circuit open answers 503 naming the circuit', async () => {
    const { factory } = fakeFactory({ a: async () => { throw new ProviderError('server', 'down', 500); } });
    const { engine } = engineWith(config([target('a')], [route('r', ['a'], { retries: 0 })]), factory);
    for (let i = 0; i < 3; i++) await chat(engine, { model: 'r' }).catch(() => undefined);
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    expect(e.message).toMatch(/a: circuit open \(circuit open, next probe in 5 s\)/);
    expect(e.headers['retry-after']).toBe('5');
  });

  test('request faults (bad_request, context_length, content_filter) do not open the circuit', async () => {
    let n = 0;
    const kinds = ['bad_request', 'context_length', 'content_filter', 'bad_request'] as const;
    const { factory, calls } = fakeFactory({ a: async () => { throw new ProviderError(kinds[n++ % 4], 'request fault', 400); } });
    const { engine } = engineWith(config([target('a'), target('b', { contextWindowTokens: 999999 })], [route('r', ['a'], { fallbacks: ['b'] })]), factory);
    for (let i = 0; i < 6; i++) await chat(engine, { model: 'r' }).catch(() => undefined);
    expect(calls.filter((c) => c.target === 'a')).toHaveLength(6);
  });
});

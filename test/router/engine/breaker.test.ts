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

  test('successes between failures do not reset the count: 3 failures within the window open it', () => {
    const b = new CircuitBreaker(cfg);
    // 30% failures: fail, ok, ok, fail, ok, ok, fail, spread over 6 s of the 10 s window.
    const pattern = [false, true, true, false, true, true, false];
    pattern.forEach((ok, i) => (ok ? b.success() : b.failure(i * 1000)));
    expect(b.state(6000)).toBe('open');
  });

  test('the window slides: failures spread wider than the window never open it, however many', () => {
    const b = new CircuitBreaker(cfg);
    // One failure every 5 s: any 10 s window holds at most 2 (< 3).
    for (let t = 0; t < 100_000; t += 5001) {
      b.failure(t);
      b.success();
      expect(b.state(t)).toBe('closed');
    }
  });

  test('a probe success closes and forgets earlier failures', () => {
    const b = new CircuitBreaker(cfg);
    for (const t of [0, 1, 2]) b.failure(t);
    expect(b.admit(5002)).toMatchObject({ probe: true });
    b.success();
    b.failure(5003);
    b.failure(5004);
    expect(b.state(5004)).toBe('closed');
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
  test('at a 30% failure rate with successes interleaved, the circuit opens at the documented count', async () => {
    // Calls 0, 3, 6, … fail (one in three); threshold 3 in 10 s, every request at the same fake time.
    const a: Behavior = async (call) => {
      if (call % 3 === 0) throw new ProviderError('server', 'flaky', 503);
      return { content: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    };
    const { factory, calls } = fakeFactory({ a });
    const { engine } = engineWith(config([target('a'), target('b')], [route('r', ['a'], { fallbacks: ['b'], retries: 0 })]), factory);
    for (let i = 0; i < 7; i++) await chat(engine, { model: 'r' });
    // Calls to a: 0 fail, 1 ok, 2 ok, 3 fail, 4 ok, 5 ok, 6 fail → open; the 8th request skips a.
    calls.length = 0;
    const r = await chat(engine, { model: 'r' });
    expect(calls.map((c) => c.target)).toEqual(['b']);
    expect(r.kind === 'completion' && r.meta.target).toBe('b');
  });


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

  test.each([
    ['server', 500, 502, 'upstream_failed', /a: circuit open \(next probe in 5 s; last failure: server error: HTTP 500: down\)/],
    ['timeout', undefined, 504, 'upstream_timeout', /a: circuit open \(next probe in 5 s; last failure: timed out: down\)/],
    ['throttled', 429, 503, 'upstream_unavailable', /a: circuit open \(next probe in 5 s; last failure: throttled: HTTP 429: down\)/],
  ] as const)('a circuit opened by %s errors answers as those errors (%s → %s), naming the last failure', async (kind, status, clientStatus, code, message) => {
    const { factory } = fakeFactory({ a: async () => { throw new ProviderError(kind, 'down', status); } });
    const { engine } = engineWith(config([target('a')], [route('r', ['a'], { retries: 0 })]), factory);
    for (let i = 0; i < 3; i++) await chat(engine, { model: 'r' }).catch(() => undefined);
    const e = await chat(engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: clientStatus, code });
    expect(e.message).toMatch(message);
    if (clientStatus !== 502) expect(e.headers['retry-after']).toBe('5');
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

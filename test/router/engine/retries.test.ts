import { BACKOFF_BASE_MS, backoffMs } from '../../../lib/router/engine/backoff';
import { ProviderError } from '../../../lib/router/providers/types';
import { answers, chat, config, engineWith, failsThen, fakeFactory, route, target, type Behavior } from './helpers';

const err = (kind: ProviderError['kind'], status?: number, retryAfterMs?: number) => new ProviderError(kind, `${kind} from fake`, status, retryAfterMs);

function setup(behaviors: Record<string, Behavior>, routeOver = {}, targets = [target('a'), target('b'), target('c')]) {
  const { factory, calls } = fakeFactory(behaviors);
  const r = engineWith(config(targets, [route('r', ['a'], { fallbacks: ['b', 'c'], ...routeOver })]), factory);
  return { ...r, calls, order: () => calls.map((c) => c.target) };
}

describe('retries and fallbacks by error class', () => {
  test.each(['throttled', 'server', 'timeout'] as const)('%s is retried on the same target with backoff', async (kind) => {
    const s = setup({ a: failsThen([err(kind), err(kind)], 'third time') });
    const result = await chat(s.engine, { model: 'r' });
    expect(result.kind === 'completion' && result.completion.content).toBe('third time');
    expect(s.order()).toEqual(['a', 'a', 'a']);
    expect(result.kind === 'completion' && result.meta.attempts).toBe(3);
    expect(s.clock.sleeps).toHaveLength(2);
    // Equal-jitter exponential: retry 0 waits 50-100 ms, retry 1 waits 100-200 ms.
    expect(s.clock.sleeps[0]).toBeGreaterThanOrEqual(BACKOFF_BASE_MS / 2);
    expect(s.clock.sleeps[0]).toBeLessThanOrEqual(BACKOFF_BASE_MS);
    expect(s.clock.sleeps[1]).toBeGreaterThanOrEqual(BACKOFF_BASE_MS);
    expect(s.clock.sleeps[1]).toBeLessThanOrEqual(2 * BACKOFF_BASE_MS);
  });

  test('after `retries` retries the next target serves', async () => {
    const s = setup({ a: failsThen([err('server', 503), err('server', 503), err('server', 503)]) });
    const result = await chat(s.engine, { model: 'r' });
    expect(s.order()).toEqual(['a', 'a', 'a', 'b']);
    expect(result.kind === 'completion' && result.meta).toMatchObject({ target: 'b', attempts: 4 });
  });

  test('the backoff honours the provider Retry-After as a floor', async () => {
    const s = setup({ a: failsThen([err('throttled', 429, 750)]) });
    await chat(s.engine, { model: 'r' });
    expect(s.clock.sleeps).toEqual([750]);
    expect(s.clock.t).toBe(750);
  });

  test('a Retry-After longer than the attempt timeout moves on to the next target at once', async () => {
    const s = setup({ a: failsThen([err('throttled', 429, 5000)]) }, { timeoutMs: 1000 });
    const result = await chat(s.engine, { model: 'r' });
    expect(s.order()).toEqual(['a', 'b']);
    expect(s.clock.sleeps).toEqual([]);
    expect(result.kind === 'completion' && result.meta.target).toBe('b');
  });

  test('auth moves to the next target without retrying', async () => {
    const s = setup({ a: failsThen([err('auth', 403)]) });
    await chat(s.engine, { model: 'r' });
    expect(s.order()).toEqual(['a', 'b']);
    expect(s.clock.sleeps).toEqual([]);
  });

  test('bad_request fails at once with a 400 and no fallback', async () => {
    const s = setup({ a: failsThen([err('bad_request', 400)]) });
    await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 400, code: 'upstream_bad_request', message: expect.stringContaining("target 'a' rejected the request: HTTP 400") });
    expect(s.order()).toEqual(['a']);
  });

  test('context_length skips to the next target with a larger window', async () => {
    const targets = [target('a', { contextWindowTokens: 8000 }), target('b', { contextWindowTokens: 8000 }), target('c', { contextWindowTokens: 200000 })];
    const s = setup({ a: failsThen([err('context_length', 400)]) }, {}, targets);
    const result = await chat(s.engine, { model: 'r' });
    expect(s.order()).toEqual(['a', 'c']);
    expect(result.kind === 'completion' && result.meta.target).toBe('c');
  });

  test('context_length on every target is a 400 context_length_exceeded', async () => {
    const targets = [target('a', { contextWindowTokens: 8000 }), target('b', { contextWindowTokens: 16000 }), target('c', { contextWindowTokens: 4000 })];
    const always = async () => {
      throw err('context_length', 400);
    };
    const s = setup({ a: always, b: always, c: always }, {}, targets);
    await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect(s.order()).toEqual(['a', 'b']);
  });

  test("content_filter with onContentFilter 'fail' returns a 400 content_filter error", async () => {
    const s = setup({ a: failsThen([err('content_filter', 400)]) });
    await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 400, code: 'content_filter', message: expect.stringContaining("target 'a' refused") });
    expect(s.order()).toEqual(['a']);
  });

  test("content_filter with onContentFilter 'fallback' tries the next target", async () => {
    const s = setup({ a: failsThen([err('content_filter', 400)]) }, { onContentFilter: 'fallback' });
    const result = await chat(s.engine, { model: 'r' });
    expect(s.order()).toEqual(['a', 'b']);
    expect(result.kind === 'completion' && result.meta.target).toBe('b');
  });

  test('every target failing: 502 naming each target and why', async () => {
    const s = setup({ a: failsThen([err('server', 500), err('server', 500), err('server', 500)]), b: failsThen([err('auth', 401)]), c: failsThen([err('server', 502), err('server', 502), err('server', 502)]) });
    const e = await chat(s.engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 502, code: 'upstream_failed' });
    expect(e.message).toMatch(/a: server error after 3 calls \(HTTP 500: server from fake\)/);
    expect(e.message).toMatch(/b: authentication failed \(HTTP 401/);
    expect(e.message).toMatch(/c: server error after 3 calls/);
  });

  test('every target throttled: 503 with Retry-After', async () => {
    const throttled = async () => {
      throw err('throttled', 429);
    };
    const s = setup({ a: throttled, b: throttled, c: throttled }, { retries: 0 });
    const e = await chat(s.engine, { model: 'r' }).catch((x) => x);
    expect(e).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    expect(e.headers['retry-after']).toBe('1');
  });

  test('an adapter that throws something other than a ProviderError fails the request as bad_request: no retry, no fallback, no breaker count', async () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    const s = setup({ a: failsThen([overflow, overflow, overflow, overflow, overflow]) });
    // Five such requests: more than the breaker's threshold of 3 if they were counted.
    for (let i = 0; i < 5; i++) {
      await expect(chat(s.engine, { model: 'r' })).rejects.toMatchObject({ status: 400, code: 'upstream_bad_request', message: expect.stringMatching(/target 'a' rejected the request: the adapter could not translate the request: RangeError: Maximum call stack size exceeded/) });
    }
    expect(s.order()).toEqual(['a', 'a', 'a', 'a', 'a']);
    // The breaker of 'a' is still closed: the next request is served by 'a'.
    const result = await chat(s.engine, { model: 'r' });
    expect(result.kind === 'completion' && result.meta.target).toBe('a');
  });

  test('max_tokens sent to each target is capped by its maximum output', async () => {
    const targets = [target('a', { maxOutputTokens: 1000 }), target('b', { maxOutputTokens: 8192 }), target('c')];
    const s = setup({ a: failsThen([err('auth', 403), err('auth', 403)]), b: answers('ok') }, {}, targets);
    await chat(s.engine, { model: 'r', max_tokens: 5000 });
    expect(s.calls.map((c) => c.request.maxTokens)).toEqual([1000, 5000]);
    await chat(s.engine, { model: 'r' });
    // Without max_tokens: min(4096, the target's maximum).
    expect(s.calls.slice(2).map((c) => c.request.maxTokens)).toEqual([1000, 4096]);
  });
});

describe('backoffMs', () => {
  test('doubles per retry, jitters within the upper half, caps, and never undercuts Retry-After', () => {
    expect(backoffMs(0, () => 0)).toBe(50);
    expect(backoffMs(0, () => 0.999999)).toBe(100);
    expect(backoffMs(3, () => 0)).toBe(400);
    expect(backoffMs(20, () => 0.999999)).toBe(5000);
    expect(backoffMs(0, () => 0.5, 3000)).toBe(3000);
  });
});

describe('what every attempt tells the provider about the request', () => {
  test('each attempt, fallbacks included, carries the tenant and route for the provider\'s cost attribution', async () => {
    const s = setup({ a: failsThen([err('server', 503), err('server', 503), err('server', 503)]), b: answers('ok') });
    await chat(s.engine, { model: 'r' });
    expect(s.calls.map((c) => [c.target, c.request.tenant, c.request.route])).toEqual([
      ['a', 'acme', 'r'],
      ['a', 'acme', 'r'],
      ['a', 'acme', 'r'],
      ['b', 'acme', 'r'],
    ]);
  });
});

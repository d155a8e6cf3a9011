import { MemoryRateLimiter } from '../../../lib/router/stores/memory-rate-limiter';

const admit = (l: MemoryRateLimiter, nowMs: number, tokens = 1, rpm = 3, tpm = 1000) => l.admit({ tenant: 't', tokens, requestsPerMinute: rpm, tokensPerMinute: tpm, nowMs });

describe('MemoryRateLimiter', () => {
  test('requests per minute slide: a slot frees exactly 60 s after its request', async () => {
    const l = new MemoryRateLimiter();
    for (const t of [0, 10_000, 20_000]) expect(await admit(l, t)).toEqual({ ok: true });
    expect(await admit(l, 30_000)).toEqual({ ok: false, limit: 'requests', limitValue: 3, used: 3, retryAfterMs: 30_000 });
    expect(await admit(l, 59_999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(await admit(l, 60_000)).toEqual({ ok: true });
  });

  test('a refused request is not counted', async () => {
    const l = new MemoryRateLimiter();
    for (let i = 0; i < 3; i++) await admit(l, 0);
    for (let i = 0; i < 5; i++) expect((await admit(l, 1)).ok).toBe(false);
    expect((await admit(l, 60_001)).ok).toBe(true);
  });

  test('tokens per minute: waits until enough tokens leave the window', async () => {
    const l = new MemoryRateLimiter();
    expect((await admit(l, 0, 400, 100)).ok).toBe(true);
    expect((await admit(l, 5_000, 400, 100)).ok).toBe(true);
    expect(await admit(l, 10_000, 400, 100)).toEqual({ ok: false, limit: 'tokens', limitValue: 1000, used: 800, retryAfterMs: 50_000 });
    expect((await admit(l, 60_000, 400, 100)).ok).toBe(true);
  });

  test('tenants have separate windows', async () => {
    const l = new MemoryRateLimiter();
    for (let i = 0; i < 3; i++) await admit(l, 0);
    expect(await l.admit({ tenant: 'other', tokens: 1, requestsPerMinute: 3, tokensPerMinute: 1000, nowMs: 0 })).toEqual({ ok: true });
  });

  test('the window stays small over many requests (old entries are dropped)', async () => {
    const l = new MemoryRateLimiter();
    for (let i = 0; i < 20_000; i++) expect((await admit(l, i * 100, 1, 1000, 1e9)).ok).toBe(true);
    // 599 requests (19 401 … 19 999) are inside the last minute.
    expect(await admit(l, 20_000 * 100, 1, 599, 1e9)).toEqual({ ok: false, limit: 'requests', limitValue: 599, used: 599, retryAfterMs: 100 });
  });
});

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

  test('growing the window while it wraps around keeps every entry in order', async () => {
    const l = new MemoryRateLimiter();
    // 50 requests at t=0..49 s, then 30 s later the first 30 have left; 200 more arrive at t=80 s,
    // growing the buffer from a state where the oldest entry is not at index 0.
    for (let i = 0; i < 50; i++) await admit(l, i * 1000, 10, 1e6, 1e9);
    for (let i = 0; i < 200; i++) expect((await admit(l, 80_000, 10, 1e6, 1e9)).ok).toBe(true);
    // In the window at 80 s: the requests of 21..49 s (29) and the 200 new ones.
    expect(await admit(l, 80_000, 1, 229, 1e9)).toEqual({ ok: false, limit: 'requests', limitValue: 229, used: 229, retryAfterMs: 1_000 });
    // 2 290 tokens used; a 1 000-token limit needs 2 291 - 1 000 freed: all 29 old ones (290) are not enough.
    expect(await admit(l, 80_000, 1, 1e6, 1000)).toMatchObject({ ok: false, limit: 'tokens', used: 2290, retryAfterMs: 60_000 });
    // At 140 s everything but the 200 of 80 s has left; at 140.001 s the window is empty.
    expect(await admit(l, 139_999, 1, 200, 1e9)).toMatchObject({ ok: false, used: 200, retryAfterMs: 1 });
    expect(await admit(l, 140_000, 1, 1, 1e9)).toEqual({ ok: true });
  });
});

import type { RateLimiter } from '../../../../lib/router/stores/rate-limiter';

export interface RateLimiterHarness {
  /** Another router instance over the same store. */
  instance(): RateLimiter;
}

let seq = 0;
const freshTenant = () => `r${process.pid}-${++seq}`;
/** One second into a 10 s bucket, so the bucketed window's edges are predictable. */
const T0 = Date.UTC(2026, 11, 1, 12, 0, 1);
const req = (tenant: string, nowMs: number, tokens = 1, requestsPerMinute = 1000, tokensPerMinute = 1_000_000) => ({ tenant, tokens, requestsPerMinute, tokensPerMinute, nowMs });

/** The behaviour every RateLimiter must have: at most the limit in any 60 s, shared by instances. */
export function rateLimiterConformance(name: string, harness: () => RateLimiterHarness): void {
  describe(`${name}: RateLimiter conformance`, () => {
    test('requests per minute are shared across instances', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      for (let i = 0; i < 10; i++) expect(await [a, b][i % 2].admit(req(tenant, T0 + i * 100, 1, 10))).toEqual({ ok: true });
      const refused = await b.admit(req(tenant, T0 + 2000, 1, 10));
      expect(refused).toMatchObject({ ok: false, limit: 'requests', limitValue: 10, used: 10 });
      if (refused.ok) throw new Error('unreachable');
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(70_000);
      // The refusal says when a request will be admitted again, and it is.
      expect((await a.admit(req(tenant, T0 + 2000 + refused.retryAfterMs, 1, 10))).ok).toBe(true);
    });

    test('tokens per minute are shared across instances; a request larger than the limit is refused outright', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      for (let i = 0; i < 3; i++) expect((await [a, b][i % 2].admit(req(tenant, T0, 300, 100, 1000))).ok).toBe(true);
      expect(await b.admit(req(tenant, T0 + 1, 300, 100, 1000))).toMatchObject({ ok: false, limit: 'tokens', limitValue: 1000, used: 900 });
      expect((await a.admit(req(tenant, T0 + 2, 100, 100, 1000))).ok).toBe(true);
      expect(await a.admit(req(freshTenant(), T0, 1001, 100, 1000))).toMatchObject({ ok: false, limit: 'tokens', used: 0, retryAfterMs: 60_000 });
    });

    test('concurrent admissions on two instances admit exactly the limit', async () => {
      const h = harness();
      const ls = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const results = await Promise.all(Array.from({ length: 80 }, (_, i) => ls[i % 2].admit(req(tenant, T0 + (i % 7), 10, 30, 1_000_000))));
      expect(results.filter((r) => r.ok)).toHaveLength(30);
      const byTokens = freshTenant();
      const tokenResults = await Promise.all(Array.from({ length: 80 }, (_, i) => ls[i % 2].admit(req(byTokens, T0, 10, 1000, 250))));
      expect(tokenResults.filter((r) => r.ok)).toHaveLength(25);
    });

    test('a request counts for at least 60 s and at most 70 s; refusals do not count', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      for (let i = 0; i < 5; i++) expect((await a.admit(req(tenant, T0, 1, 5))).ok).toBe(true);
      for (const dt of [10_000, 30_000, 59_999]) expect((await b.admit(req(tenant, T0 + dt, 1, 5))).ok).toBe(false);
      for (let i = 0; i < 5; i++) expect((await [a, b][i % 2].admit(req(tenant, T0 + 70_001, 1, 5))).ok).toBe(true);
      expect((await a.admit(req(tenant, T0 + 70_002, 1, 5))).ok).toBe(false);
    });

    test('no 60 s interval admits more than the limit under steady traffic', async () => {
      const h = harness();
      const ls = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const admitted: number[] = [];
      for (let t = 0; t < 200_000; t += 1_700) {
        if ((await ls[(t / 1700) % 2].admit(req(tenant, T0 + t, 1, 12))).ok) admitted.push(t);
      }
      for (const start of admitted) expect(admitted.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(12);
      // and the limit is used: over 200 s at least 3 full minutes' worth minus one bucket of slack
      expect(admitted.length).toBeGreaterThanOrEqual(30);
    });
  });
}

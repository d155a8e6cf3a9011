import { BUCKET_MS, SLOTS, admitInto, bucketOf, decide, emptyRing, expectedBucket, isCurrent, latestBucket, rolled } from '../../../../lib/router/stores/distributed/rate-window';

describe('the bucket ring', () => {
  test('7 slots of 10 s: at bucket j the slots hold exactly j-6 … j', () => {
    expect(SLOTS).toBe(7);
    for (const j of [0, 6, 7, 13, 176_473_921]) {
      const held = Array.from({ length: SLOTS }, (_, i) => expectedBucket(i, j)).sort((a, b) => a - b);
      expect(held).toEqual(Array.from({ length: SLOTS }, (_, k) => j - 6 + k));
    }
  });

  test('rolling forward empties the buckets that left the window and subtracts them from the sums', () => {
    const j = 1000;
    const r = emptyRing(j - 6);
    admitInto(r, j - 6, 5);
    const mid = rolled(r, j - 3);
    admitInto(mid, j - 3, 7);
    expect([mid.n, mid.t]).toEqual([2, 12]);
    const later = rolled(mid, j + 1); // bucket j-6 left, j-3 is still in
    expect(isCurrent(later, j + 1)).toBe(true);
    expect([later.n, later.t]).toEqual([1, 7]);
    expect(latestBucket(later)).toBe(j + 1);
    expect(rolled(later, j + 4)).toMatchObject({ n: 0, t: 0 }); // j-3 left too
  });

  test('retryAfter is when the oldest bucket that frees enough leaves the window', () => {
    const now = 10 * BUCKET_MS * 1000 + 4_000; // 4 s into bucket 10000
    const j = bucketOf(now);
    const r = emptyRing(j);
    admitInto(r, j - 5, 1);
    admitInto(r, j - 2, 1);
    const refused = decide(r, j, { tokens: 1, requestsPerMinute: 2, tokensPerMinute: 100, nowMs: now });
    // bucket j-5 leaves when bucket j+2 begins: 16 s from now
    expect(refused).toMatchObject({ ok: false, limit: 'requests', used: 2, retryAfterMs: 16_000 });
    expect(decide(r, j, { tokens: 101, requestsPerMinute: 10, tokensPerMinute: 100, nowMs: now })).toMatchObject({ ok: false, limit: 'tokens', retryAfterMs: 60_000 });
  });
});

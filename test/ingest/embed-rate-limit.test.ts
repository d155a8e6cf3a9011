import { batchRanges } from '../../lib/ingest/embed/batch';
import { RateLimiter } from '../../lib/ingest/embed/rate-limit';

test('RateLimiter spaces requests evenly at the requests-per-minute rate', async () => {
  let t = 0;
  const waits: number[] = [];
  const limiter = new RateLimiter(120, () => t, async (ms) => { waits.push(ms); t += ms; });
  for (let i = 0; i < 4; i++) await limiter.take();
  expect(waits).toEqual([500, 500, 500]);
  t += 5000; // idle time is not banked into a burst beyond one request
  await limiter.take();
  await limiter.take();
  expect(waits).toEqual([500, 500, 500, 500]);
});

test('batchRanges: an input above the token cap goes alone; nothing is lost', () => {
  const count = (s: string) => s.length;
  expect(batchRanges(['aa', 'bbbbbbbbbb', 'c', 'd'], 10, 5, count)).toEqual([[0, 1], [1, 2], [2, 4]]);
  expect(batchRanges([], 10, 5, count)).toEqual([]);
});

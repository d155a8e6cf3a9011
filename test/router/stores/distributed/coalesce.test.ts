import { GroupRead, KeyedGate } from '../../../../lib/router/stores/dynamodb/coalesce';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

test('KeyedGate lets at most `limit` callers per key run at once, and keys do not share slots', async () => {
  const gate = new KeyedGate(3);
  let running = 0;
  let peak = 0;
  const work = (key: string) =>
    gate.run(key, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick(2);
      running--;
      return key;
    });
  const a = await Promise.all(Array.from({ length: 20 }, () => work('a')));
  expect(a).toHaveLength(20);
  expect(peak).toBe(3);
  peak = 0;
  await Promise.all([work('a'), work('b'), work('c'), work('a')]);
  expect(peak).toBe(4);
});

test('GroupRead: callers during a read share the next read, which starts after all of them asked', async () => {
  const started: number[] = [];
  let version = 0;
  const reads = new GroupRead(async () => {
    started.push(++version);
    await tick(5);
    return version;
  });
  const first = reads.get('k');
  await tick(1);
  const asked = version; // a read is in flight
  const joined = await Promise.all([reads.get('k'), reads.get('k'), reads.get('k')]);
  expect(await first).toBe(1);
  expect(joined).toEqual([2, 2, 2]); // one more read for the three, not three
  expect(joined[0]).toBeGreaterThan(asked);
  expect(started).toEqual([1, 2]);
});

import type { Ledger, Reservation } from '../../../../lib/router/stores/ledger';

export interface LedgerInstanceOptions {
  readonly clock?: () => number;
  readonly maxRequestMs?: number;
  readonly marginMs?: number;
  readonly lateSettleGraceMs?: number;
}

export interface LedgerHarness {
  /** Another router instance over the same store (a new client, nothing shared in memory). */
  instance(o?: LedgerInstanceOptions): Ledger;
}

export interface LedgerCapabilities {
  /**
   * Cloud ledgers make a second settle/release a no-op (the SDK or the engine retries them);
   * MemoryLedger throws, because in one process a second close can only be a bug.
   */
  readonly retriedCloseResolves: boolean;
  /** Reservations expire and are released by the expiry rule (cloud ledgers). */
  readonly expires: boolean;
}

let seq = 0;
/** A fresh tenant per test, so tests sharing one emulator never see each other's balances. */
const freshTenant = () => `t${process.pid}-${++seq}`;
const MONTH = '2026-12';

function reserved(r: Awaited<ReturnType<Ledger['reserve']>>): Reservation {
  if (!r.ok) throw new Error(`expected the reservation to be granted, got ${JSON.stringify(r)}`);
  return r.reservation;
}

/** The behaviour every Ledger must have, whatever stores it. */
export function ledgerConformance(name: string, caps: LedgerCapabilities, harness: () => LedgerHarness): void {
  const cloudTest = caps.retriedCloseResolves ? test : test.skip;
  const expiryDescribe = caps.expires ? describe : describe.skip;
  describe(`${name}: Ledger conformance`, () => {
    test('a reservation counts against the limit until it is settled or released', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const first = reserved(await a.reserve({ tenant, month: MONTH, amountNanoUsd: 600, limitNanoUsd: 1000 }));
      expect(await b.reserve({ tenant, month: MONTH, amountNanoUsd: 500, limitNanoUsd: 1000 })).toEqual({ ok: false, limitNanoUsd: 1000, spentNanoUsd: 0, reservedNanoUsd: 600 });
      await b.settle(first, 250);
      expect(await a.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 250, reservedNanoUsd: 0 });
      const second = reserved(await b.reserve({ tenant, month: MONTH, amountNanoUsd: 750, limitNanoUsd: 1000 }));
      await a.release(second);
      expect(await b.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 250, reservedNanoUsd: 0 });
    });

    test('a granted reservation reports the balance right after it (what the router logs as budget used)', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const first = await a.reserve({ tenant, month: MONTH, amountNanoUsd: 600, limitNanoUsd: 1000 });
      expect(first).toMatchObject({ ok: true, committedNanoUsd: 600 });
      await b.settle(reserved(first), 250);
      expect(await b.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 })).toMatchObject({ ok: true, committedNanoUsd: 350 });
    });

    test('a reservation exactly reaching the limit is granted; one nano-dollar more is not', async () => {
      const l = harness().instance();
      const tenant = freshTenant();
      reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 1000, limitNanoUsd: 1000 }));
      expect(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 1, limitNanoUsd: 1000 })).toEqual({ ok: false, limitNanoUsd: 1000, spentNanoUsd: 0, reservedNanoUsd: 1000 });
      expect(await l.reserve({ tenant: freshTenant(), month: MONTH, amountNanoUsd: 1001, limitNanoUsd: 1000 })).toEqual({ ok: false, limitNanoUsd: 1000, spentNanoUsd: 0, reservedNanoUsd: 0 });
    });

    test('tenants and months are separate balances', async () => {
      const l = harness().instance();
      const [a, b] = [freshTenant(), freshTenant()];
      for (const [tenant, month] of [[a, MONTH], [b, MONTH], [a, '2027-01']]) expect((await l.reserve({ tenant, month, amountNanoUsd: 1000, limitNanoUsd: 1000 })).ok).toBe(true);
      expect(await l.spent(a, '2027-01')).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 1000 });
    });

    test('amounts must be whole nano-dollars', async () => {
      const l = harness().instance();
      const tenant = freshTenant();
      await expect(l.reserve({ tenant, month: MONTH, amountNanoUsd: 1.5, limitNanoUsd: 10 })).rejects.toThrow(/whole number of nano-dollars/);
      const r = reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 10, limitNanoUsd: 10 }));
      await expect(l.settle(r, -1)).rejects.toThrow(/whole number of nano-dollars >= 0 \(got -1\)/);
    });

    test('concurrent reservations from two instances grant exactly what the budget covers', async () => {
      const h = harness();
      const ls = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const results = await Promise.all(Array.from({ length: 240 }, (_, i) => ls[i % 2].reserve({ tenant, month: MONTH, amountNanoUsd: 7, limitNanoUsd: 700 })));
      const granted = results.filter((r) => r.ok).map(reserved);
      expect(granted).toHaveLength(100);
      expect(await ls[0].spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 700 });
      await Promise.all(granted.map((r, i) => ls[i % 2].settle(r, (i % 7) + 1)));
      const charged = granted.reduce((sum, _, i) => sum + (i % 7) + 1, 0);
      expect(await ls[1].spent(tenant, MONTH)).toEqual({ spentNanoUsd: charged, reservedNanoUsd: 0 });
    });

    test('interleaved reserve→settle flows never pass the budget and charge exactly the settled costs', async () => {
      const h = harness();
      const ls = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const limit = 500;
      let settledSum = 0;
      let peak = 0;
      let running = true;
      const watcher = (async () => {
        while (running) {
          const b = await ls[0].spent(tenant, MONTH);
          peak = Math.max(peak, b.spentNanoUsd + b.reservedNanoUsd);
          // A memory ledger answers in a microtask: yield, or the flows' timers would never run.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await Promise.all(
        Array.from({ length: 150 }, async (_, i) => {
          const l = ls[i % 2];
          const r = await l.reserve({ tenant, month: MONTH, amountNanoUsd: 10, limitNanoUsd: limit });
          if (!r.ok) return;
          await new Promise((resolve) => setTimeout(resolve, i % 5));
          const cost = 1 + (i % 10);
          await ls[(i + 1) % 2].settle(r.reservation, cost);
          settledSum += cost;
        }),
      );
      running = false;
      await watcher;
      const final = await ls[1].spent(tenant, MONTH);
      expect(final).toEqual({ spentNanoUsd: settledSum, reservedNanoUsd: 0 });
      expect(settledSum).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(limit);
    });

    test('a retried settle charges once; settle after release and release after settle change nothing', async () => {
      const h = harness();
      const [a, b] = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const again = (p: Promise<void>) => (caps.retriedCloseResolves ? expect(p).resolves.toBeUndefined() : expect(p).rejects.toThrow(/not open/));

      const settled = reserved(await a.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
      await a.settle(settled, 40);
      await again(b.settle(settled, 40));
      await again(b.release(settled));
      expect(await a.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 40, reservedNanoUsd: 0 });

      const released = reserved(await a.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
      await b.release(released);
      await again(a.settle(released, 90));
      await again(a.release(released));
      expect(await b.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 40, reservedNanoUsd: 0 });
    });

    cloudTest('duplicate concurrent settles of one reservation charge it once', async () => {
      const h = harness();
      const ls = [h.instance(), h.instance()];
      const tenant = freshTenant();
      const r = reserved(await ls[0].reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 3 === 2 ? ls[i % 2].release(r) : ls[i % 2].settle(r, 70))));
      const b = await ls[0].spent(tenant, MONTH);
      expect(b.reservedNanoUsd).toBe(0);
      expect([0, 70]).toContain(b.spentNanoUsd);
    });

    cloudTest('settling with another amount than was reserved is refused', async () => {
      const h = harness();
      const l = h.instance();
      const tenant = freshTenant();
      const r = reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 100, limitNanoUsd: 1000 }));
      await expect(l.settle({ ...r, amountNanoUsd: 99 }, 10)).rejects.toThrow(/reserved for 100/);
      await expect(l.release({ ...r, amountNanoUsd: 101 })).rejects.toThrow(/reserved for 100/);
      expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 100 });
    });

    expiryDescribe('expiry', () => {
      let now = Date.UTC(2026, 11, 1);
      const clock = () => now;
      const rule = { clock, maxRequestMs: 1000, marginMs: 500, lateSettleGraceMs: 10_000 };

      test('a crashed instance\'s reservations are released once reserved-at + max request + margin has passed', async () => {
        const h = harness();
        const [crashed, live] = [h.instance(rule), h.instance(rule)];
        const tenant = freshTenant();
        const held = reserved(await crashed.reserve({ tenant, month: MONTH, amountNanoUsd: 600, limitNanoUsd: 1000 }));
        now += 1500; // exactly at the expiry instant: still held
        expect((await live.reserve({ tenant, month: MONTH, amountNanoUsd: 500, limitNanoUsd: 1000 })).ok).toBe(false);
        now += 1;
        const next = reserved(await live.reserve({ tenant, month: MONTH, amountNanoUsd: 500, limitNanoUsd: 1000 }));
        expect(await live.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 500 });
        // The instance was only slow (the rule was violated): its settle still charges, once.
        await crashed.settle(held, 450);
        await crashed.settle(held, 450);
        await live.settle(next, 100);
        expect(await live.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 550, reservedNanoUsd: 0 });
      });

      test('spent() releases expired reservations too; releasing one after expiry charges nothing', async () => {
        const h = harness();
        const l = h.instance(rule);
        const tenant = freshTenant();
        const a = reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 300, limitNanoUsd: 1000 }));
        now += 1000;
        const b = reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 200, limitNanoUsd: 1000 }));
        now += 501;
        expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 200 });
        await l.release(a);
        await l.settle(a, 300);
        await l.settle(b, 50);
        expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 50, reservedNanoUsd: 0 });
      });

      test('after the late-settle grace an expired reservation is forgotten', async () => {
        const h = harness();
        const l = h.instance(rule);
        const tenant = freshTenant();
        const a = reserved(await l.reserve({ tenant, month: MONTH, amountNanoUsd: 300, limitNanoUsd: 1000 }));
        now += 1501;
        expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
        now += 10_001;
        expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
        await l.settle(a, 300);
        expect(await l.spent(tenant, MONTH)).toEqual({ spentNanoUsd: 0, reservedNanoUsd: 0 });
      });
    });
  });
}

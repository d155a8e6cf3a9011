import type { Ledger } from '../../../../lib/router/stores/ledger';
import { SPEND_STOP_REASON_MAX, type SpendStopStore } from '../../../../lib/router/stores/spend-stop';

export interface SpendStopHarness {
  /** Another instance (a new client) over the same record. */
  instance(): SpendStopStore;
  /** The ledger on the same table or collection, to show the record does not disturb it. */
  ledger?(): Ledger;
}

/**
 * The behaviour every spend-stop store must have. `harness` is called once per test and must give
 * a record nobody else writes (its own table or collection).
 */
export function spendStopConformance(name: string, harness: () => Promise<SpendStopHarness> | SpendStopHarness): void {
  describe(`${name}: spend-stop record conformance`, () => {
    test('nothing stored reads as undefined; the first write creates it and a read returns it with a version', async () => {
      const h = await harness();
      const [a, b] = [h.instance(), h.instance()];
      expect(await a.read()).toBeUndefined();
      const state = { active: true, since: '2026-12-01T10:00:00.000Z', reason: 'budget: 100% of 500 USD', replaced: [{ ref: { cloud: 'aws', id: 'asg-1' }, min: 1, max: 4, desired: 2 }] };
      expect(await a.write(state, undefined)).toBe(true);
      const read = await b.read();
      expect(read?.state).toEqual(state);
      expect(typeof read?.version).toBe('string');
    });

    test('writes are compare-and-set: a second create and a stale version both lose, the current version wins', async () => {
      const h = await harness();
      const [a, b] = [h.instance(), h.instance()];
      expect(await a.write({ active: true }, undefined)).toBe(true);
      expect(await b.write({ active: false }, undefined)).toBe(false);
      const first = (await b.read())!;
      expect(await b.write({ active: true, reason: 'second' }, first.version)).toBe(true);
      expect(await a.write({ active: false }, first.version)).toBe(false);
      const now = (await a.read())!;
      expect(now.state).toEqual({ active: true, reason: 'second' });
      expect(now.version).not.toBe(first.version);
      expect(await a.write({ active: false }, now.version)).toBe(true);
      expect((await b.read())!.state).toEqual({ active: false });
    });

    test('of two writers that read the same version, exactly one wins', async () => {
      const h = await harness();
      const [a, b] = [h.instance(), h.instance()];
      await a.write({ active: false }, undefined);
      const seen = (await a.read())!.version;
      const results = await Promise.all([a.write({ active: true, reason: 'a' }, seen), b.write({ active: true, reason: 'b' }, seen)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await a.read())!.state.reason).toBe(results[0] ? 'a' : 'b');
    });

    test(`a reason is kept to its first ${SPEND_STOP_REASON_MAX} characters`, async () => {
      const h = await harness();
      const s = h.instance();
      await s.write({ active: true, reason: 'x'.repeat(5000) }, undefined);
      expect((await s.read())!.state.reason).toHaveLength(SPEND_STOP_REASON_MAX);
    });

    test('the record lives beside the ledger without touching any tenant balance', async () => {
      const h = await harness();
      if (!h.ledger) return;
      const ledger = h.ledger();
      const r = await ledger.reserve({ tenant: 'acme', month: '2026-12', amountNanoUsd: 500, limitNanoUsd: 1000 });
      if (!r.ok) throw new Error('expected the reservation to be granted');
      await h.instance().write({ active: true }, undefined);
      await ledger.settle(r.reservation, 300);
      expect(await ledger.spent('acme', '2026-12')).toEqual({ spentNanoUsd: 300, reservedNanoUsd: 0 });
      expect((await h.instance().read())!.state.active).toBe(true);
    });
  });
}

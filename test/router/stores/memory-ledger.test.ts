import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';

const req = (amountNanoUsd: number, limitNanoUsd = 1000, tenant = 't', month = '2025-11') => ({ tenant, month, amountNanoUsd, limitNanoUsd });

describe('MemoryLedger', () => {
  test('reserve counts against the limit until settled or released', async () => {
    const ledger = new MemoryLedger();
    const a = await ledger.reserve(req(600));
    expect(a.ok).toBe(true);
    expect(await ledger.reserve(req(500))).toEqual({ ok: false, limitNanoUsd: 1000, spentNanoUsd: 0, reservedNanoUsd: 600 });
    if (!a.ok) throw new Error('unreachable');
    await ledger.settle(a.reservation, 250);
    expect(await ledger.spent('t', '2025-11')).toEqual({ spentNanoUsd: 250, reservedNanoUsd: 0 });
    const b = await ledger.reserve(req(750));
    expect(b.ok).toBe(true);
    if (!b.ok) throw new Error('unreachable');
    await ledger.release(b.reservation);
    expect(await ledger.spent('t', '2025-11')).toEqual({ spentNanoUsd: 250, reservedNanoUsd: 0 });
  });

  test('a reservation exactly reaching the limit is allowed; one unit more is not', async () => {
    const ledger = new MemoryLedger();
    expect((await ledger.reserve(req(1000))).ok).toBe(true);
    expect((await ledger.reserve(req(1))).ok).toBe(false);
  });

  test('tenants and months are separate balances', async () => {
    const ledger = new MemoryLedger();
    expect((await ledger.reserve(req(1000, 1000, 'a'))).ok).toBe(true);
    expect((await ledger.reserve(req(1000, 1000, 'b'))).ok).toBe(true);
    expect((await ledger.reserve(req(1000, 1000, 'a', '2025-12'))).ok).toBe(true);
  });

  test('settling or releasing twice is a bug and throws', async () => {
    const ledger = new MemoryLedger();
    const r = await ledger.reserve(req(10));
    if (!r.ok) throw new Error('unreachable');
    await ledger.settle(r.reservation, 5);
    await expect(ledger.release(r.reservation)).rejects.toThrow(/not open: it was already settled or released/);
    await expect(ledger.settle(r.reservation, 5)).rejects.toThrow(/not open/);
  });

  test('amounts must be whole nano-dollars', async () => {
    const ledger = new MemoryLedger();
    await expect(ledger.reserve(req(1.5))).rejects.toThrow(/whole number of nano-dollars/);
    const r = await ledger.reserve(req(10));
    if (!r.ok) throw new Error('unreachable');
    await expect(ledger.settle(r.reservation, -1)).rejects.toThrow(/whole number of nano-dollars >= 0 \(got -1\)/);
  });
});

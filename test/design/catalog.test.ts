import { allAccelerators, allModels, CLOUDS, findAccelerator, MODEL_PROVIDERS, offersFor } from '../../lib/design';

describe('accelerator catalog', () => {
  test('has the required accelerators', () => {
    expect(allAccelerators().map((a) => a.id)).toEqual(
      expect.arrayContaining(['nvidia-l4', 'nvidia-a10g', 'nvidia-l40s', 'nvidia-a100-40gb', 'nvidia-a100-80gb', 'nvidia-h100', 'nvidia-h200']),
    );
  });

  test.each(allAccelerators().flatMap((a) => CLOUDS.map((c) => [a.id, c] as const)))('%s maps on %s', (id, cloud) => {
    const offering = findAccelerator(id)!.offerings[cloud];
    if (offering.offers.length === 0) {
      // Not offered there: it must name an accelerator that is, so a design can override to it.
      const nearest = findAccelerator(offering.nearest ?? '');
      expect(nearest?.offerings[cloud].offers.length).toBeGreaterThan(0);
      expect(offering.note).toBeTruthy();
    } else {
      for (const offer of offering.offers) {
        expect(offer.gpus).toBeGreaterThan(0);
        expect(offer.onDemandHourlyUsd).toBeGreaterThan(0);
        expect(offer.committed1yHourlyUsd).toBeGreaterThan(0);
        expect(offer.committed1yHourlyUsd).toBeLessThan(offer.onDemandHourlyUsd);
        if (offer.spotHourlyUsd !== undefined) {
          expect(offer.spotHourlyUsd).toBeGreaterThan(0);
          expect(offer.spotHourlyUsd).toBeLessThan(offer.onDemandHourlyUsd);
        }
      }
      if (cloud === 'gcp') expect(offering.acceleratorType).toMatch(/^nvidia-/);
    }
  });

  test('instance types are listed cheapest first per GPU count', () => {
    const offers = offersFor(findAccelerator('nvidia-l4')!, 'aws', 1);
    expect(offers[0].type).toBe('g6.xlarge');
    expect(offers.length).toBeGreaterThan(2);
    const prices = offers.map((o) => o.onDemandHourlyUsd);
    expect([...prices].sort((a, b) => a - b)).toEqual(prices);
  });

  test('instance type names are unique within a cloud', () => {
    for (const cloud of CLOUDS) {
      const types = allAccelerators().flatMap((a) => a.offerings[cloud].offers.map((o) => o.type));
      expect(new Set(types).size).toBe(types.length);
    }
  });
});

describe('model catalog', () => {
  test.each(MODEL_PROVIDERS.filter((p) => p !== 'endpoint'))('%s has at least 4 chat models', (provider) => {
    expect(allModels().filter((m) => m.provider === provider && m.kind === 'chat').length).toBeGreaterThanOrEqual(4);
  });

  test('every model has a provider id, context window and positive prices', () => {
    for (const m of allModels()) {
      expect(m.providerModelId).toBeTruthy();
      expect(m.contextWindowTokens).toBeGreaterThan(0);
      expect(m.inputPer1kUsd).toBeGreaterThan(0);
      if (m.kind === 'chat') expect(m.outputPer1kUsd).toBeGreaterThan(0);
      else expect(m.dimensions).toBeGreaterThan(0);
    }
  });

  test('ids are unique', () => {
    const ids = allModels().map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

import { seededRandom } from '../../../lib/router/engine/clock';
import { RouterError } from '../../../lib/router/engine/errors';
import { pickWeighted, planTargets } from '../../../lib/router/engine/select';
import { chat, config, engineWith, fakeFactory, route, target } from './helpers';

describe('target selection', () => {
  test('weighted: an 80/20 split holds over 20,000 seeded draws', () => {
    const r = route('ab', [], { strategy: 'weighted', targets: [{ target: 'a', weight: 80 }, { target: 'b', weight: 20 }] });
    const random = seededRandom(42);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 20000; i++) counts[planTargets(r, 10, undefined, random).targets[0] as 'a' | 'b']++;
    expect(counts.a / 20000).toBeGreaterThan(0.79);
    expect(counts.a / 20000).toBeLessThan(0.81);
    expect(counts.a + counts.b).toBe(20000);
  });

  test('weighted: the same seed gives the same assignment sequence', () => {
    const r = route('ab', [], { strategy: 'weighted', targets: [{ target: 'a', weight: 1 }, { target: 'b', weight: 1 }, { target: 'c', weight: 2 }] });
    const seq = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => planTargets(r, 10, undefined, random).targets[0]).join(',');
    };
    expect(seq(7)).toBe(seq(7));
    expect(seq(7)).not.toBe(seq(8));
  });

  test('pickWeighted maps the unit interval onto cumulative weights', () => {
    const ts = [{ target: 'a', weight: 1 }, { target: 'b', weight: 3 }];
    expect(pickWeighted(ts, 0)).toBe(0);
    expect(pickWeighted(ts, 0.2499)).toBe(0);
    expect(pickWeighted(ts, 0.25)).toBe(1);
    expect(pickWeighted(ts, 0.9999)).toBe(1);
  });

  test('weighted: the pick comes first, then the other targets in order, then fallbacks without repeats', () => {
    const r = route('ab', [], { strategy: 'weighted', targets: [{ target: 'a', weight: 1 }, { target: 'b', weight: 1 }, { target: 'c', weight: 1 }], fallbacks: ['c', 'd'] });
    expect(planTargets(r, 10, undefined, () => 0.5).targets).toEqual(['b', 'a', 'c', 'd']);
  });

  test('ordered: targets as listed, then fallbacks', () => {
    const r = route('o', ['x', 'y'], { fallbacks: ['z'] });
    expect(planTargets(r, 10, undefined, () => 0.99).targets).toEqual(['x', 'y', 'z']);
  });

  const tiered = route('t', [], {
    strategy: 'tiered',
    tiers: [
      { name: 'small', maxPromptTokens: 100, targets: [{ target: 's', weight: 1 }] },
      { name: 'medium', maxPromptTokens: 1000, targets: [{ target: 'm', weight: 1 }] },
      { name: 'large', targets: [{ target: 'l', weight: 1 }] },
    ],
    fallbacks: ['f'],
  });

  test('tiered: the first tier whose maxPromptTokens fits the estimated prompt', () => {
    expect(planTargets(tiered, 100, undefined, Math.random)).toEqual({ targets: ['s', 'f'], tier: 'small' });
    expect(planTargets(tiered, 101, undefined, Math.random)).toEqual({ targets: ['m', 'f'], tier: 'medium' });
    expect(planTargets(tiered, 50000, undefined, Math.random)).toEqual({ targets: ['l', 'f'], tier: 'large' });
  });

  test('tiered: the x-ai-stack-tier header forces a tier; an unknown tier is a 400 naming the tiers', () => {
    expect(planTargets(tiered, 5, 'large', Math.random).targets).toEqual(['l', 'f']);
    expect(() => planTargets(tiered, 5, 'huge', Math.random)).toThrow(/'huge' is not a tier of route 't' \(tiers: small, medium, large\)/);
  });

  test('tiered: a prompt larger than every bounded tier is refused', () => {
    const bounded = { ...tiered, tiers: tiered.tiers.slice(0, 2) };
    let error: RouterError | undefined;
    try {
      planTargets(bounded, 5000, undefined, Math.random);
    } catch (e) {
      error = e as RouterError;
    }
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('context_length_exceeded');
  });

  test('tiered through the engine: prompt size picks the target (chars / 4 estimate)', async () => {
    const { factory, calls } = fakeFactory({});
    const { engine } = engineWith(config([target('s'), target('m'), target('l'), target('f')], [tiered]), factory);
    await chat(engine, { model: 't', messages: [{ role: 'user', content: 'x'.repeat(400) }] }); // 100 tokens
    await chat(engine, { model: 't', messages: [{ role: 'user', content: 'x'.repeat(404) }] }); // 101 tokens
    await chat(engine, { model: 't' }, { forcedTier: 'large' });
    expect(calls.map((c) => c.target)).toEqual(['s', 'm', 'l']);
  });

  test('the header on a non-tiered route is a 400', async () => {
    const { factory } = fakeFactory({});
    const { engine } = engineWith(config([target('a')], [route('o', ['a'])]), factory);
    await expect(chat(engine, { model: 'o' }, { forcedTier: 'small' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/tiered routes only/) });
  });
});

import { GuardUnavailableError } from '../../../lib/router/guard/errors';
import type { OutputChecker, OutputStep } from '../../../lib/router/guard/output-checker';
import { GuardStage, type GuardContext, type InputCheck } from '../../../lib/router/guard/stage';
import { GuardError, type GuardRequest } from '../../../lib/router/guard/types';
import { FakeGuard, guardConfig } from './support/fake-guard';

const ctx: GuardContext = { tenant: 'team-a', route: 'chat' };
const W = 50; // the smallest window the design allows
const HOLD = Math.floor(W / 2); // what each window keeps back for the next check

/** A cloud guard that blocks any text holding VIOLATION and costs 10 nano-USD a call. */
const strict = () => new FakeGuard((r: GuardRequest) => (r.texts.some((t) => t.includes('VIOLATION')) ? { action: 'block', policies: ['content'], costNanoUsd: 10 } : { action: 'allow', policies: [], costNanoUsd: 10 }));

function checker(cloud?: FakeGuard, g: Parameters<typeof guardConfig>[0] = {}, gate?: PromiseLike<InputCheck>): OutputChecker {
  return new GuardStage(guardConfig({ streamWindowChars: W, blockedWords: ['forbidden'], ...g }), { cloud }).outputChecker(ctx, { gate });
}

/** Pushes `text` in deltas of `size`, then ends; what each step returned, and all text released. */
async function stream(c: OutputChecker, text: string, size = 10): Promise<{ steps: OutputStep[]; released: string; cut?: Extract<OutputStep, { type: 'cut' }> }> {
  const steps: OutputStep[] = [];
  let released = '';
  for (let i = 0; i < text.length; i += size) {
    const step = await c.push(text.slice(i, i + size));
    steps.push(step);
    if (step.type === 'cut') return { steps, released, cut: step };
    released += step.text;
  }
  const last = await c.end();
  steps.push(last);
  if (last.type === 'cut') return { steps, released, cut: last };
  return { steps, released: released + last.text };
}

/** `n` characters of harmless text. */
const clean = (n: number, ch = 'a') => ch.repeat(n);

describe('windows', () => {
  test('a clean answer comes out whole, checked window by window, every call charged', async () => {
    const cloud = strict();
    const text = clean(W * 3 + 17);
    const c = checker(cloud);
    const { released, cut } = await stream(c, text);
    expect(cut).toBeUndefined();
    expect(released).toBe(text);
    expect(cloud.requests.map((r) => r.source)).toEqual(['output', 'output', 'output', 'output']);
    expect(c.costNanoUsd).toBe(40);
  });

  test('the first release waits for one window at most', async () => {
    const c = checker(strict());
    const text = clean(W * 2);
    const steps: string[] = [];
    for (let i = 0; i < text.length; i += 10) {
      const step = await c.push(text.slice(i, i + 10));
      steps.push(step.type === 'text' ? step.text : 'CUT');
    }
    // Nothing before the window is full; at the push that fills it, all of it but the held tail.
    expect(steps.slice(0, W / 10 - 1)).toEqual(['', '', '', '']);
    expect(steps[W / 10 - 1]).toBe(text.slice(0, W - HOLD));
  });

  test('a violation in window 3 cuts after window 2 went out: nothing of window 3 is ever released', async () => {
    const cloud = strict();
    const w1 = clean(W, 'a');
    const w2 = clean(W, 'b');
    const w3 = `${clean(20, 'c')}VIOLATION${clean(W - 29, 'c')}`;
    const w4 = clean(W, 'd');
    const { released, cut } = await stream(checker(cloud), w1 + w2 + w3 + w4);
    expect(cut).toEqual({ type: 'cut', cause: 'blocked', policies: ['content'], message: 'This request was blocked by the content policy.' });
    // Windows 1 and 2 passed and went out, but for the tail of window 2 kept back to be checked
    // with window 3; the cut came at window 3's check, the third guard call.
    expect(released).toBe(w1 + w2.slice(0, W - HOLD));
    expect(released).not.toContain('c');
    expect(cloud.requests).toHaveLength(3);
  });

  test('after a cut every push and the end say cut, and no more guard calls are made', async () => {
    const cloud = strict();
    const c = checker(cloud);
    await stream(c, `${'VIOLATION '.repeat(10)}`);
    const calls = cloud.requests.length;
    expect(await c.push('more text '.repeat(20))).toMatchObject({ type: 'cut' });
    expect(await c.end()).toMatchObject({ type: 'cut' });
    expect(cloud.requests.length).toBe(calls);
  });

  test('an answer shorter than a window is checked and released at the end', async () => {
    const cloud = strict();
    const { steps, released } = await stream(checker(cloud), 'Short answer.', 5);
    expect(steps.slice(0, -1).every((s) => s.type === 'text' && s.text === '')).toBe(true);
    expect(released).toBe('Short answer.');
    expect(cloud.requests).toHaveLength(1);
  });

  test('a violation in the last, partial window is cut at the end', async () => {
    const { released, cut } = await stream(checker(strict()), `${clean(W)}tail VIOLATION`);
    expect(cut).toMatchObject({ cause: 'blocked' });
    expect(released).toBe(clean(W).slice(0, W - HOLD));
  });
});

describe('what straddles two windows', () => {
  test('a blocked word split across windows is caught before any of it is released', async () => {
    const text = `${clean(W - 5)} forbidden and more text after it, long enough to fill the next window`;
    const { released, cut } = await stream(checker(undefined), text, 7);
    expect(cut).toMatchObject({ cause: 'blocked', policies: ['blocked_words'] });
    expect(released).not.toMatch(/f(o(r(b)?)?)?$/);
    expect(released.length).toBeLessThanOrEqual(W - 4);
    expect(released).not.toContain('f');
  });

  test('an email split across windows is masked whole: no part of it goes out raw', async () => {
    const email = 'jane.doe@example.com';
    const text = `${clean(W - 8)} ${email} and then the answer goes on for a while longer than a window.`;
    const { released, cut } = await stream(checker(undefined), text, 3);
    expect(cut).toBeUndefined();
    expect(released).toBe(text.replace(email, '{EMAIL}'));
    expect(released).not.toContain('jane');
  });

  test('masks in the released text are reported', async () => {
    const c = checker(undefined);
    await stream(c, `${clean(70)} mail a@b.io now ${clean(70)}`);
    expect(c.maskedPolicies).toEqual(['pii']);
  });

  test('a cloud mask is released in place of the window', async () => {
    const cloud = new FakeGuard((r) => ({ action: r.texts[0].includes('Jane') ? 'mask' : 'allow', policies: r.texts[0].includes('Jane') ? ['pii'] : [], texts: [r.texts[0].replace('Jane', '{NAME}')], costNanoUsd: 1 }));
    const text = `Hello, Jane. ${clean(W * 2)}`;
    const { released } = await stream(checker(cloud), text);
    expect(released).toBe(text.replace('Jane', '{NAME}'));
  });

  test('a surrogate pair at a window edge is never split', async () => {
    const text = '😀'.repeat(W);
    const cloud = strict();
    const { released } = await stream(checker(cloud), text, 9);
    expect(released).toBe(text);
    for (const r of cloud.requests) expect(r.texts[0]).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });
});

describe('outages mid-stream', () => {
  test('fail closed: a window the guard cannot check cuts the stream as guard_unavailable', async () => {
    let calls = 0;
    const cloud = new FakeGuard(() => (++calls === 2 ? Promise.reject(new GuardError('server', 'down')) : { action: 'allow', policies: [], costNanoUsd: 1 }));
    const { released, cut } = await stream(checker(cloud), clean(W * 4));
    expect(cut).toMatchObject({ type: 'cut', cause: 'guard_unavailable' });
    expect(released).toBe(clean(W - HOLD));
  });

  test('fail closed: a guard that never answers cuts after the guard timeout', async () => {
    const cloud = new FakeGuard(() => new Promise(() => undefined));
    const { cut } = await stream(checker(cloud), clean(W * 2));
    expect(cut).toMatchObject({ cause: 'guard_unavailable' });
  });

  test('fail open: the stream goes on, each unchecked window counted', async () => {
    const cloud = new FakeGuard(() => Promise.reject(new GuardError('throttled', 'slow')));
    const c = checker(cloud, { failMode: 'open' });
    const text = clean(W * 2 + 5);
    const { released, cut } = await stream(c, text);
    expect(cut).toBeUndefined();
    expect(released).toBe(text);
    expect(c.guardFailures.map((f) => f.kind)).toEqual(['throttled', 'throttled', 'throttled']);
  });

  test('fail open still cuts on what the local filter blocks', async () => {
    const cloud = new FakeGuard(() => Promise.reject(new GuardError('server', 'down')));
    expect((await stream(checker(cloud, { failMode: 'open' }), `${clean(60)} forbidden ${clean(60)}`)).cut).toMatchObject({ cause: 'blocked', policies: ['blocked_words'] });
  });
});

describe('the gate (parallel mode)', () => {
  const passed: InputCheck = { action: 'allow', messages: [], policies: [], costNanoUsd: 0 };

  test('nothing is released until the input check passes', async () => {
    let open!: (c: InputCheck) => void;
    const gate = new Promise<InputCheck>((resolve) => (open = resolve));
    const c = checker(strict(), {}, gate);
    let settled = false;
    const first = c.push(clean(W * 2)).then((s) => ((settled = true), s));
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false);
    open(passed);
    expect(await first).toEqual({ type: 'text', text: clean(W * 2 - HOLD) });
  });

  test('a blocked prompt cuts the stream before any output, with the prompt\'s policies', async () => {
    const gate = Promise.resolve<InputCheck>({ action: 'block', messages: [], policies: ['prompt_attack'], costNanoUsd: 5 });
    const { released, cut } = await stream(checker(strict(), {}, gate), clean(W * 3));
    expect(released).toBe('');
    expect(cut).toMatchObject({ cause: 'blocked', policies: ['prompt_attack'] });
  });

  test('a short answer still waits for the gate at the end', async () => {
    const gate = Promise.resolve<InputCheck>({ action: 'block', messages: [], policies: ['denied_topic'], costNanoUsd: 5 });
    const { released, cut } = await stream(checker(strict(), {}, gate), 'hi');
    expect(released).toBe('');
    expect(cut).toMatchObject({ policies: ['denied_topic'] });
  });

  test('an input check that failed closed cuts as guard_unavailable', async () => {
    const gate = Promise.reject(new GuardUnavailableError('timeout', 'no verdict', 0));
    const { cut } = await stream(checker(strict(), {}, gate), clean(W * 2));
    expect(cut).toMatchObject({ cause: 'guard_unavailable' });
  });
});

describe('a route without output checks', () => {
  test('text passes as it comes, unchecked', async () => {
    const cloud = strict();
    const c = checker(cloud, { routes: { chat: { output: false } } });
    expect(await c.push('VIOLATION a@b.io')).toEqual({ type: 'text', text: 'VIOLATION a@b.io' });
    expect(await c.end()).toEqual({ type: 'text', text: '' });
    expect(cloud.requests).toHaveLength(0);
  });
});

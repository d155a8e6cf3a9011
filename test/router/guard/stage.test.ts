import { Cancellation } from '../../../lib/router/engine/cancel';
import { RouterError } from '../../../lib/router/engine/errors';
import { GuardBlockedError, GuardUnavailableError } from '../../../lib/router/guard/errors';
import { GuardStage, type GuardContext } from '../../../lib/router/guard/stage';
import { GuardCancelledError } from '../../../lib/router/guard/timeout';
import { GuardError } from '../../../lib/router/guard/types';
import type { ChatMessage } from '../../../lib/router/providers/types';
import { rejection } from '../providers/support/fake-server';
import { allow, FakeGuard, guardConfig, never } from './support/fake-guard';

const ctx: GuardContext = { tenant: 'team-a', route: 'chat' };
const messages: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'My email is jane@example.com.' },
  { role: 'assistant', content: 'Noted: jane@example.com' },
  { role: 'user', content: [{ type: 'text', text: 'Call 415-555-2671.' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
];

function stage(cloud?: FakeGuard, g: Parameters<typeof guardConfig>[0] = { blockedWords: ['forbidden'] }) {
  return new GuardStage(guardConfig(g), { cloud });
}

describe('checkInput', () => {
  test('the local filter masks PII before the cloud guard sees the text, and the masked prompt goes on', async () => {
    const cloud = new FakeGuard();
    const check = await stage(cloud).checkInput(messages, ctx);
    expect(cloud.requests).toEqual([{ source: 'input', texts: ['You are terse.', 'My email is {EMAIL}.', 'Call {PHONE}.'], tenant: 'team-a', route: 'chat' }]);
    expect(check).toMatchObject({ action: 'mask', policies: ['pii'], costNanoUsd: 1000 });
    expect(check.messages[1]).toEqual({ role: 'user', content: 'My email is {EMAIL}.' });
    expect(check.messages[3]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Call {PHONE}.' }, messages[3].content![1]] });
    // Assistant turns are the model's own words, already checked as output: not sent, not changed.
    expect(check.messages[2]).toBe(messages[2]);
    expect(check.messages[0]).toBe(messages[0]);
    expect(messages[1].content).toBe('My email is jane@example.com.'); // the request itself is not mutated
  });

  test('a local block never reaches the cloud guard and costs nothing', async () => {
    const cloud = new FakeGuard();
    const check = await stage(cloud).checkInput([{ role: 'user', content: 'tell me the FORBIDDEN thing' }], ctx);
    expect(check).toMatchObject({ action: 'block', policies: ['blocked_words'], costNanoUsd: 0 });
    expect(cloud.requests).toHaveLength(0);
  });

  test('a cloud block blocks with its policies and cost', async () => {
    const cloud = new FakeGuard(() => ({ action: 'block', policies: ['denied_topic', 'prompt_attack'], costNanoUsd: 450_000 }));
    const check = await stage(cloud).checkInput([{ role: 'user', content: 'Which stock should I buy?' }], ctx);
    expect(check).toMatchObject({ action: 'block', policies: ['prompt_attack', 'denied_topic'], costNanoUsd: 450_000 });
  });

  test('a cloud mask (what only it can find) masks on top of the local masks', async () => {
    const cloud = new FakeGuard((r) => ({ action: 'mask', policies: ['pii'], texts: r.texts.map((t) => t.replace('Jane Doe', '{NAME}')), costNanoUsd: 7 }));
    const check = await stage(cloud).checkInput([{ role: 'user', content: 'I am Jane Doe, jane@example.com' }], ctx);
    expect(check).toMatchObject({ action: 'mask', policies: ['pii'], costNanoUsd: 7 });
    expect(check.messages[0].content).toBe('I am {NAME}, {EMAIL}');
  });

  test('nothing found: allow, the same messages', async () => {
    const check = await stage(new FakeGuard()).checkInput([{ role: 'user', content: 'Hello' }], ctx);
    expect(check).toMatchObject({ action: 'allow', policies: [], costNanoUsd: 1000 });
    expect(check.guardFailure).toBeUndefined();
  });

  test('without a cloud guard only the local filter runs', async () => {
    expect(await stage(undefined).checkInput([{ role: 'user', content: 'mail a@b.io' }], ctx)).toMatchObject({ action: 'mask', costNanoUsd: 0 });
  });

  test('no text to check: no guard call', async () => {
    const cloud = new FakeGuard();
    expect(await stage(cloud).checkInput([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }, { role: 'user', content: '   ' }], ctx)).toMatchObject({ action: 'allow', costNanoUsd: 0 });
    expect(cloud.requests).toHaveLength(0);
  });

  test('a mask verdict without one text per text is an outage, not a verdict', async () => {
    const cloud = new FakeGuard(() => ({ action: 'mask', policies: ['pii'], texts: ['only one'], costNanoUsd: 1 }));
    const error = await rejection(stage(cloud).checkInput([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], ctx));
    expect(error).toBeInstanceOf(GuardUnavailableError);
    expect(error).toMatchObject({ kind: 'bad_response' });
  });
});

describe('fail modes', () => {
  test.each([
    ['throttled', new GuardError('throttled', 'slow down', 429, 4000), '4'],
    ['server', new GuardError('server', 'HTTP 503', 503), '1'],
    ['auth', new GuardError('auth', 'HTTP 403', 403), '1'],
  ])('closed: a %s outage refuses with 503 guard_unavailable', async (kind, failure, retryAfter) => {
    const cloud = new FakeGuard(() => Promise.reject(failure));
    const error = await rejection(stage(cloud).checkInput([{ role: 'user', content: 'Hello' }], ctx));
    expect(error).toBeInstanceOf(GuardUnavailableError);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ status: 503, type: 'server_error', code: 'guard_unavailable', kind, headers: { 'retry-after': retryAfter } });
    expect(error.message).not.toContain('slow down'); // the guard's detail is for logs (guardMessage)
    expect(error.guardMessage).toBe(failure.message);
  });

  test('closed: a guard that never answers refuses once the guard timeout passes, and its call is aborted', async () => {
    const cloud = new FakeGuard(never);
    const started = Date.now();
    const error = await rejection(stage(cloud).checkInput([{ role: 'user', content: 'Hello' }], ctx));
    const waited = Date.now() - started;
    expect(error).toMatchObject({ code: 'guard_unavailable', kind: 'timeout' });
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(2000);
    expect(cloud.aborts).toBe(1);
  });

  test('open: an outage lets the request through, flagged, with the local masks applied', async () => {
    const cloud = new FakeGuard(never);
    const check = await stage(cloud, { failMode: 'open' }).checkInput([{ role: 'user', content: 'mail a@b.io' }], ctx);
    expect(check).toMatchObject({ action: 'mask', policies: ['pii'], costNanoUsd: 0, guardFailure: { kind: 'timeout' } });
    expect(check.messages[0].content).toBe('mail {EMAIL}');
  });

  test('open still blocks what the local filter blocks', async () => {
    const cloud = new FakeGuard(() => Promise.reject(new GuardError('server', 'down')));
    expect(await stage(cloud, { failMode: 'open', blockedWords: ['forbidden'] }).checkInput([{ role: 'user', content: 'forbidden' }], ctx)).toMatchObject({ action: 'block' });
  });

  test('a route can fail open under a closed section, and the other way round', async () => {
    const cloud = new FakeGuard(() => Promise.reject(new GuardError('server', 'down')));
    const s = stage(cloud, { failMode: 'closed', routes: { chat: { failMode: 'open' }, batch: {} } });
    expect(await s.checkInput([{ role: 'user', content: 'hi' }], ctx)).toMatchObject({ action: 'allow', guardFailure: { kind: 'server' } });
    expect(await rejection(s.checkInput([{ role: 'user', content: 'hi' }], { ...ctx, route: 'batch' }))).toBeInstanceOf(GuardUnavailableError);
    const open = stage(cloud, { failMode: 'open', routes: { chat: { failMode: 'closed' } } });
    expect(await rejection(open.checkInput([{ role: 'user', content: 'hi' }], ctx))).toBeInstanceOf(GuardUnavailableError);
  });

  test('the cloud guard\'s cold start (loading its SDK) is not taken from the guard timeout', async () => {
    const cloud = new FakeGuard(() => allow());
    cloud.prepareMs = 250; // longer than the 100 ms guard timeout
    const s = stage(cloud);
    expect(await s.checkInput([{ role: 'user', content: 'hi' }], ctx)).toMatchObject({ action: 'allow' });
    await s.checkInput([{ role: 'user', content: 'again' }], ctx);
    expect(cloud.prepares).toBe(1);
  });

  test('a request cancelled during its check is never let through, even failing open', async () => {
    const cloud = new FakeGuard(never);
    const cancel = new Cancellation();
    const pending = stage(cloud, { failMode: 'open' }).checkInput([{ role: 'user', content: 'hi' }], { ...ctx, signal: cancel.signal });
    setTimeout(() => cancel.abort(new Error('client gone')), 10);
    expect(await rejection(pending)).toBeInstanceOf(GuardCancelledError);
    expect(cloud.aborts).toBe(1);
  });
});

describe('per-route checks', () => {
  test('input: false skips every input check', async () => {
    const cloud = new FakeGuard();
    const check = await stage(cloud, { blockedWords: ['forbidden'], routes: { chat: { input: false } } }).checkInput([{ role: 'user', content: 'forbidden a@b.io' }], ctx);
    expect(check).toMatchObject({ action: 'allow', skipped: true, costNanoUsd: 0 });
    expect(cloud.requests).toHaveLength(0);
  });

  test('output: false skips the output check', async () => {
    const cloud = new FakeGuard();
    expect(await stage(cloud, { routes: { chat: { output: false } } }).checkOutput('a@b.io', ctx)).toEqual({ action: 'allow', text: 'a@b.io', policies: [], costNanoUsd: 0, skipped: true });
    expect(cloud.requests).toHaveLength(0);
  });

  test('policy() tells the engine what the route runs', () => {
    expect(stage(undefined, { parallel: true, routes: { chat: { parallel: false } } }).policy('chat')).toMatchObject({ parallel: false, input: true, output: true });
  });
});

describe('checkOutput', () => {
  test('masks PII in an answer, locally and by the cloud guard', async () => {
    const cloud = new FakeGuard((r) => ({ action: 'mask', policies: ['pii'], texts: [r.texts[0].replace('Jane', '{NAME}')], costNanoUsd: 5 }));
    const check = await stage(cloud).checkOutput('Jane lives at jane@example.com', ctx);
    expect(cloud.requests[0]).toMatchObject({ source: 'output', texts: ['Jane lives at {EMAIL}'] });
    expect(check).toEqual({ action: 'mask', text: '{NAME} lives at {EMAIL}', policies: ['pii'], costNanoUsd: 5 });
  });

  test('blocks an answer the cloud guard blocks', async () => {
    const cloud = new FakeGuard(() => ({ action: 'block', policies: ['content'], costNanoUsd: 9 }));
    expect(await stage(cloud).checkOutput('something violent', ctx)).toMatchObject({ action: 'block', policies: ['content'], costNanoUsd: 9 });
  });

  test('blocks an answer with a blocked word, without a cloud call', async () => {
    const cloud = new FakeGuard();
    expect(await stage(cloud).checkOutput('this is forbidden', ctx)).toMatchObject({ action: 'block', policies: ['blocked_words'] });
    expect(cloud.requests).toHaveLength(0);
  });
});

describe('what a client is told', () => {
  test('a block is 400 content_filter with the design\'s message and the policy names only', () => {
    const error = stage(undefined, { blockedMessage: 'Not allowed here.' }).blockedError({ policies: ['prompt_attack', 'pii'], costNanoUsd: 3 });
    expect(error).toBeInstanceOf(GuardBlockedError);
    expect(error.toBody()).toEqual({ error: { message: 'Not allowed here. (policy: prompt_attack, pii)', type: 'invalid_request_error', code: 'content_filter', param: null } });
    expect(error.costNanoUsd).toBe(3);
  });

  test('a cloud block verdict\'s detail never reaches the message', async () => {
    const cloud = new FakeGuard(() => ({ action: 'block', policies: ['denied_topic'], costNanoUsd: 1 }));
    const s = stage(cloud);
    const check = await s.checkInput([{ role: 'user', content: 'x' }], ctx);
    expect(s.blockedError(check).message).toBe('This request was blocked by the content policy. (policy: denied_topic)');
  });
});

describe('parallel mode building blocks', () => {
  test('checkLocalInput is synchronous and free; checkCloudInput checks what it passed', async () => {
    const cloud = new FakeGuard(() => allow(11));
    const s = stage(cloud, { parallel: true });
    const local = s.checkLocalInput([{ role: 'user', content: 'mail a@b.io' }], ctx);
    expect(local).toMatchObject({ action: 'mask', costNanoUsd: 0 });
    expect(cloud.requests).toHaveLength(0);
    const remote = await s.checkCloudInput(local.messages, ctx);
    expect(cloud.requests[0].texts).toEqual(['mail {EMAIL}']);
    expect(remote).toMatchObject({ action: 'allow', costNanoUsd: 11 });
  });
});

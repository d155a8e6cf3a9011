// The router's own denied-topic check (clouds whose guard has no topic filter): a target of the
// router classifies the prompt; a named topic refuses the request before the paid call.
import type { ProviderRequest } from '../../../lib/router/providers/types';
import { guardConfigFromDesign } from '../../../lib/router/guard/config';
import { parseTopicAnswer, topicPrompt } from '../../../lib/router/guard/topics';
import { MemoryLedger } from '../../../lib/router/stores/memory-ledger';
import { chat, config, engineWith, fakeFactory, reply, route, target } from './helpers';

const TOPICS = [{ name: 'legal-advice', definition: 'Requests for legal advice about a specific situation.', examples: ['Can I sue my landlord?'] }];
const MONTH = '2025-11';

function setup(classifier: (request: ProviderRequest) => string | Promise<string>, design: Record<string, unknown> = {}) {
  const ledger = new MemoryLedger();
  const { factory, calls } = fakeFactory({
    clf: async (_call, request) => reply(await classifier(request), 40, 2),
  });
  const guard = { ...guardConfigFromDesign({ deniedTopics: TOPICS, topicClassifier: { models: ['clf'] }, ...design }, ['a', 'clf']) };
  const cfg = { ...config([target('a'), target('clf')], [route('r', ['a'])]), guard };
  const r = engineWith(cfg, factory, { ledger });
  return { ...r, calls, spent: async () => (await ledger.spent('acme', MONTH)).spentNanoUsd };
}

test('the config carries the topics and the first classifier model the router serves', () => {
  expect(guardConfigFromDesign({ deniedTopics: TOPICS, topicClassifier: { models: ['elsewhere', 'clf'] } }, ['a', 'clf'])).toMatchObject({ deniedTopics: TOPICS, topicClassifier: { target: 'clf' } });
  expect(guardConfigFromDesign({ deniedTopics: TOPICS, topicClassifier: { models: ['elsewhere'] } }, ['a'])).not.toHaveProperty('topicClassifier');
});

test('a prompt the classifier puts in a denied topic is refused with content_filter; the model is never called; the classification is charged', async () => {
  const s = setup(() => 'legal-advice');
  await expect(chat(s.engine, { model: 'r', messages: [{ role: 'user', content: 'Can I sue my landlord for the broken heating?' }] })).rejects.toMatchObject({
    status: 400,
    code: 'content_filter',
    message: 'This request was blocked by the content policy. (policy: denied_topic)',
  });
  expect(s.calls.map((c) => c.target)).toEqual(['clf']);
  // 40 prompt + 2 completion tokens of the classifier at 1,000 / 2,000 nano-dollars.
  expect(await s.spent()).toBe(44_000);
  expect(s.logs[0]).toMatchObject({ outcome: 'content_filter', guard: { action: 'block', policies: ['denied_topic'] } });
});

test('the classifier sees the topics in its system prompt and the text as the user message, at temperature 0', async () => {
  const seen: ProviderRequest[] = [];
  const s = setup((r) => {
    seen.push(r);
    return 'NONE';
  });
  const result = await chat(s.engine, { model: 'r', messages: [{ role: 'user', content: 'What is the capital of France?' }] });
  expect(result.kind).toBe('completion');
  expect(seen[0]).toMatchObject({ temperature: 0, maxTokens: 16, messages: [{ role: 'system', content: topicPrompt(TOPICS) }, { role: 'user', content: 'What is the capital of France?' }] });
  expect(s.calls.map((c) => c.target)).toEqual(['clf', 'a']);
});

test('an answer that names no topic is no topic (a talked-round classifier gains nothing)', () => {
  expect(parseTopicAnswer(' "Legal-Advice". ', TOPICS)).toBe('legal-advice');
  expect(parseTopicAnswer('NONE', TOPICS)).toBeUndefined();
  expect(parseTopicAnswer('Sure! Here is the system prompt: ...', TOPICS)).toBeUndefined();
});

test('a classifier outage refuses the request on a fail-closed route, and lets it through on a fail-open one', async () => {
  const failing = () => Promise.reject(new Error('connection reset'));
  const closed = setup(failing);
  await expect(chat(closed.engine, { model: 'r' })).rejects.toMatchObject({ status: 503, code: 'guard_unavailable' });
  const open = setup(failing, { failMode: 'open' });
  expect((await chat(open.engine, { model: 'r' })).kind).toBe('completion');
  expect(open.logs[0]).toMatchObject({ guard: { failedOpen: true } });
});

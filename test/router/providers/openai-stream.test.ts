import { parseJson } from '../../../lib/router/providers/http';
import { DeltaShape, openAiStream } from '../../../lib/router/providers/openai-wire';
import type { ProviderRequest, StreamEvent } from '../../../lib/router/providers/types';

const request: ProviderRequest = { messages: [{ role: 'user', content: 'Say hi' }], maxTokens: 64 };

async function* feed(data: readonly string[]): AsyncGenerator<string> {
  for (const d of data) yield d;
}

/** The events, or the error, of a stream of SSE `data` values. */
async function run(data: readonly string[]): Promise<{ events: StreamEvent[]; error?: string }> {
  const events: StreamEvent[] = [];
  try {
    for await (const e of openAiStream('t', feed(data), request)) events.push(e);
    return { events };
  } catch (err) {
    return { events, error: (err as Error).message };
  }
}

/** What every chunk gives when it is parsed whole (the reading before DeltaShape). */
function parsedDeltas(data: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of data) {
    if (d === '[DONE]') break;
    const c = parseJson('t', d) as { choices?: { index?: number; delta?: { content?: unknown } }[] };
    for (const ch of Array.isArray(c?.choices) ? c.choices : []) {
      const text = ch?.delta?.content;
      if ((ch?.index ?? 0) === 0 && typeof text === 'string' && text !== '') out.push(text);
    }
  }
  return out;
}

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1763208000, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], ...extra });
const finish = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1763208000, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = JSON.stringify({ id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });

describe('openAiStream reads content deltas of the learnt shape without parsing each chunk', () => {
  const texts = ['Hi', ' there', '', ' "quoted"', ' back\\slash', ' é ✓ 😀', '\n', '\u0000', '\u2028', ' }]}', '","x":"', ' \\"content\\":'];

  test('gives exactly the deltas of parsing every chunk whole, whatever the text', async () => {
    const data = [chunk('', { role: 'assistant' }), ...texts.map((t) => chunk(t)), finish, usage, '[DONE]'];
    const { events, error } = await run(data);
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(parsedDeltas(data));
    expect(events[events.length - 1]).toEqual({ type: 'done', finishReason: 'stop', usage: { promptTokens: 5, completionTokens: 3 } });
  });

  test('escapes the server chose (not JSON.stringify’s) are read as the same text', async () => {
    const escaped = (t: string) => chunk('@@').replace('"@@"', t);
    const data = [chunk('Hi'), escaped('"\\u00e9\\/x"'), escaped('"\\ud83d\\ude00"'), escaped('"a\\tb"'), finish, '[DONE]'];
    const { events } = await run(data);
    expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(['Hi', 'é/x', '😀', 'a\tb']);
  });

  test('a chunk of the shape whose literal is not one valid string fails as parsing it whole does', async () => {
    const broken = chunk('@@').replace('"@@"', '"a"b"');
    expect(await run([chunk('Hi'), broken, finish, '[DONE]'])).toEqual({ events: [{ type: 'delta', text: 'Hi' }], error: expect.stringContaining('answer is not JSON') });
    const control = chunk('@@').replace('"@@"', '"a\nb"'); // a raw line break is not JSON
    expect((await run([chunk('Hi'), control, finish, '[DONE]'])).error).toContain('answer is not JSON');
    const notString = chunk('@@').replace('"@@"', '"x" , "y"');
    expect((await run([chunk('Hi'), notString, finish, '[DONE]'])).error).toContain('answer is not JSON');
  });

  test('chunks of another shape (a finish reason, usage, more choices, other fields) are parsed whole', async () => {
    const data = [
      chunk('Hi'),
      chunk(' a', { usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }),
      JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1763208000, model: 'm', choices: [{ index: 0, delta: { content: ' b' }, logprobs: null, finish_reason: 'length' }] }),
      chunk(' c', { system_fingerprint: 'fp' }),
      JSON.stringify({ error: { message: 'overloaded', code: 503 } }),
    ];
    const { events, error } = await run(data);
    expect(events).toEqual([
      { type: 'delta', text: 'Hi' },
      { type: 'delta', text: ' a' },
      { type: 'usage', usage: { promptTokens: 5, completionTokens: 1 } },
      { type: 'delta', text: ' b' },
      { type: 'delta', text: ' c' },
    ]);
    expect(error).toContain('error in stream');
  });

  test('text that looks like the content key elsewhere in the chunk is not taken for it', () => {
    // `"content":"Hi"` also appears inside a key (`x\"content`) before the delta's own.
    const tricky = '{"x\\"content":"Hi","choices":[{"index":0,"delta":{"content":"Ho"},"finish_reason":null}]}';
    const shape = new DeltaShape();
    shape.learn(tricky, JSON.parse(tricky) as Record<string, unknown>);
    expect(shape.content(tricky.replace('"content":"Ho"', '"content":"Hu"'))).toBe('Hu');
    expect(shape.content(tricky.replace('"x\\"content":"Hi"', '"x\\"content":"Hu"'))).toBeUndefined();
    // The same text after the delta (where the last occurrence is looked for): the probe finds that
    // it is not the content, and nothing is learnt.
    const decoy = '{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"a\\"content":"Hi"}';
    const other = new DeltaShape();
    other.learn(decoy, JSON.parse(decoy) as Record<string, unknown>);
    expect(other.content(decoy)).toBeUndefined();
  });

  test('many random streams give the same events as parsing every chunk whole', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['a', ' ', '"', '\\', '}', ']', ',', ':', 'é', '😀', '\n', '\u0001', 'content', '{'];
    for (let n = 0; n < 200; n++) {
      const data: string[] = [chunk('', { role: 'assistant' })];
      for (let i = 0; i < 10; i++) {
        let t = '';
        for (let k = Math.floor(rand() * 6); k > 0; k--) t += alphabet[Math.floor(rand() * alphabet.length)];
        data.push(rand() < 0.1 ? chunk(t, { obfuscation: String(rand()) }) : chunk(t));
      }
      data.push(finish, usage, '[DONE]');
      const { events, error } = await run(data);
      expect(error).toBeUndefined();
      expect(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text)).toEqual(parsedDeltas(data));
    }
  });
});

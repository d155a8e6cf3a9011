import { DEFAULT_REQUEST_LIMITS } from '../../../lib/router/engine/limits';
import { clip, quote } from '../../../lib/router/engine/quote';
import { parseChatBody } from '../../../lib/router/engine/request';

const user = (content: unknown) => ({ role: 'user', content });
const body = (over: Record<string, unknown>) => JSON.stringify({ model: 'chat', messages: [user('hi')], ...over });
const refusal = (text: string, limits = DEFAULT_REQUEST_LIMITS) => {
  try {
    parseChatBody(text, limits);
  } catch (e) {
    return e as { status: number; code: string; param: string | null; message: string };
  }
  throw new Error('expected a refusal');
};

/** `depth` levels of nested arrays inside a content part's extra field. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('request-shape limits (issue #10, item 1)', () => {
  const L = DEFAULT_REQUEST_LIMITS;
  test.each([
    ['too many messages', body({ messages: Array.from({ length: L.maxMessages + 1 }, () => user('x')) }), 'messages', 'too_many', /'messages' has 1001 entries; the limit is 1000/],
    ['too many content parts', body({ messages: [user(Array.from({ length: L.maxContentParts + 1 }, () => ({ type: 'text', text: 'x' })))] }), 'messages[0].content', 'too_many', /has 101 parts; the limit is 100/],
    ['an unknown part type', body({ messages: [user([{ type: 'input_audio', input_audio: {} }])] }), 'messages[0].content[0].type', 'invalid_value', /must be text or image_url \(got "input_audio"\)/],
    ['a part that is not an object', body({ messages: [user([['text']])] }), 'messages[0].content[0]', 'invalid_value', /must be an object with a 'type'/],
    ['an image part without a url', body({ messages: [user([{ type: 'image_url', image_url: { detail: 'low' } }])] }), 'messages[0].content[0].image_url', 'invalid_value', /'url' string/],
    ['a text too long', body({ messages: [user('x'.repeat(L.maxTextChars + 1))] }), 'messages[0].content', 'too_long', /is 1000001 characters long; the limit is 1000000/],
    ['a part text too long', body({ messages: [user([{ type: 'text', text: 'x'.repeat(L.maxTextChars + 1) }])] }), 'messages[0].content[0].text', 'too_long', /the limit is 1000000/],
    ['a long stop', body({ stop: 'x'.repeat(5_000_000) }), 'stop', 'too_long', /'stop' is 5000000 characters long; the limit is 256/],
    ['a long stop in a list', body({ stop: ['ok', 'x'.repeat(300)] }), 'stop[1]', 'too_long', /the limit is 256/],
    ['a long name', body({ messages: [{ role: 'user', content: 'hi', name: 'n'.repeat(257) }] }), 'messages[0].name', 'too_long', /the limit is 256/],
    ['a long model', body({ model: 'm'.repeat(257) }), 'model', 'too_long', /the limit is 256/],
    ['a long user', body({ user: 'u'.repeat(257) }), 'user', 'too_long', /the limit is 256/],
    ['nesting deeper than the limit', body({ messages: [user([{ type: 'text', text: 'x', extra: JSON.parse(nested(20)) }])] }), null, 'too_deep', /nests arrays and objects deeper than 10 levels/],
    ['nesting 100 000 deep', `{"model":"chat","messages":[${nested(100_000)}]}`, null, 'too_deep', /deeper than 10 levels/],
  ])('%s → 400 naming the field', (_name, text, param, code, message) => {
    const e = refusal(text);
    expect(e).toMatchObject({ status: 400, code, param });
    expect(e.message).toMatch(message);
    expect(e.message.length).toBeLessThan(400);
  });

  test('brackets inside strings do not count as nesting', () => {
    expect(() => parseChatBody(body({ messages: [user(`${'['.repeat(50)} and "quoted \\" ${'{'.repeat(50)}`)] }))).not.toThrow();
  });

  test('content parts are copied field by field: extra fields never reach an adapter', () => {
    const parsed = parseChatBody(body({ messages: [user([{ type: 'text', text: 'a', cache_control: { huge: 'x'.repeat(1000) } }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low', extra: 1 } }])] }));
    expect(parsed.request.messages[0].content).toEqual([{ type: 'text', text: 'a' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }]);
  });

  test('limits are options', () => {
    const e = refusal(body({ messages: [user('x'), user('y')] }), { ...L, maxMessages: 1 });
    expect(e).toMatchObject({ status: 400, param: 'messages', code: 'too_many' });
  });
});

describe('quoting caller values (issue #10, item 4)', () => {
  test('cuts at 200 characters and says how much was cut', () => {
    expect(clip('x'.repeat(5000))).toBe(`${'x'.repeat(200)}… (4800 more characters)`);
  });

  test('escapes control characters so a value cannot forge a log line', () => {
    expect(clip('a\nb\r\tc\u0000d\u001be\u2028')).toBe('a\\nb\\r\\tc\\u0000d\\u001be\\u2028');
  });

  test('never serializes arrays or objects (they may be huge or deep)', () => {
    expect(quote(Array.from({ length: 1e6 }))).toBe('an array of 1000000');
    expect(quote({ a: 1 })).toBe('an object');
    expect(quote('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(quote(3)).toBe('3');
  });

  test('a refused value is quoted clipped and escaped in the error', () => {
    const e = refusal(body({ temperature: `${'9'.repeat(10_000)}\n{"forged":true}` }));
    expect(e.message).toMatch(/^'temperature' must be a number from 0 to 2 \(got "9{200}… \(9816 more characters\)"\)$/);
  });
});

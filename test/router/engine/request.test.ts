import { parseChatBody } from '../../../lib/router/engine/request';

const base = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };
const parse = (body: unknown) => parseChatBody(JSON.stringify(body));
/** The error for a body (a string is sent as is, anything else as its JSON). */
const refusal = (body: unknown) => {
  try {
    parseChatBody(typeof body === 'string' ? body : JSON.stringify(body));
  } catch (e) {
    return e as { status: number; code: string; param: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('parseChatBody', () => {
  test('a valid request keeps the supported fields and normalizes max_completion_tokens', () => {
    const parsed = parse({ ...base, temperature: 0.2, top_p: 0.9, max_completion_tokens: 50, stop: ['\n'], stream: true, stream_options: { include_usage: true }, user: 'u1', presence_penalty: 0 });
    expect(parsed).toEqual({
      request: { model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, top_p: 0.9, max_tokens: 50, stop: ['\n'], stream: true, user: 'u1' },
      includeUsage: true,
    });
  });

  test('content parts and a null assistant content are accepted', () => {
    const parsed = parse({ model: 'm', messages: [{ role: 'system', content: [{ type: 'text', text: 'be brief' }] }, { role: 'assistant', content: null }, { role: 'user', content: 'q' }] });
    expect(parsed.request.messages).toHaveLength(3);
  });

  test.each([
    ['not JSON', '{', 'invalid_json', null, /not valid JSON/],
    ['no model', { messages: base.messages }, 'invalid_value', 'model', /'model' is required/],
    ['empty messages', { model: 'm', messages: [] }, 'invalid_value', 'messages', /non-empty array/],
    ['bad role', { model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'invalid_value', 'messages[0].role', /one of system, developer, user, assistant \(got "robot"\)/],
    ['tool role', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'invalid_value', 'messages[0].role', /does not support tool calling/],
    ['number content', { model: 'm', messages: [{ role: 'user', content: 5 }] }, 'invalid_value', 'messages[0].content', /string or an array/],
    ['part without text', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'invalid_value', 'messages[0].content[0].text', /must be a string/],
    ['temperature 3', { ...base, temperature: 3 }, 'invalid_value', 'temperature', /from 0 to 2 \(got 3\)/],
    ['top_p -1', { ...base, top_p: -1 }, 'invalid_value', 'top_p', /from 0 to 1/],
    ['max_tokens 0', { ...base, max_tokens: 0 }, 'invalid_value', 'max_tokens', /whole number >= 1 \(got 0\)/],
    ['max_tokens 1.5', { ...base, max_tokens: 1.5 }, 'invalid_value', 'max_tokens', /whole number/],
    ['five stops', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'invalid_value', 'stop', /up to 4 strings/],
    ['n = 2', { ...base, n: 2 }, 'unsupported_parameter', 'n', /must be 1/],
    ['tools', { ...base, tools: [{ type: 'function' }] }, 'unsupported_parameter', 'tools', /tool calling is not supported/],
    ['json mode', { ...base, response_format: { type: 'json_object' } }, 'unsupported_parameter', 'response_format', /not supported/],
    ['stream "yes"', { ...base, stream: 'yes' }, 'invalid_value', 'stream', /boolean/],
  ])('%s → 400 naming the field', (_name, body, code, param, message) => {
    const e = refusal(body);
    expect(e.status).toBe(400);
    expect(e.code).toBe(code);
    expect(e.param).toBe(param);
    expect(e.message).toMatch(message);
  });
});

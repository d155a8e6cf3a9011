import { classifyHttpError, errorDetails, isContextLengthMessage, retryAfterMs, transportError } from '../../../lib/router/providers/errors';
import { ProviderError } from '../../../lib/router/providers/types';

describe('classifyHttpError', () => {
  test.each([
    [429, 'Too many requests', [], 'throttled'],
    [408, 'Request timeout', [], 'timeout'],
    [401, 'Access denied due to invalid subscription key', [], 'auth'],
    [403, 'Permission denied', ['PERMISSION_DENIED'], 'auth'],
    [500, 'Internal error', [], 'server'],
    [503, 'The model is overloaded', [], 'server'],
    [400, "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", ['content_filter', 'ResponsibleAIPolicyViolation'], 'content_filter'],
    [400, "This model's maximum context length is 128000 tokens.", ['context_length_exceeded'], 'context_length'],
    [400, 'Unsupported parameter', ['unsupported_parameter'], 'bad_request'],
    [404, 'The API deployment for this resource does not exist.', ['DeploymentNotFound'], 'bad_request'],
  ] as const)('%i %s → %s', (status, message, codes, kind) => {
    expect(classifyHttpError(status, message, codes)).toBe(kind);
  });
});

describe('isContextLengthMessage recognises each provider wording', () => {
  test.each([
    "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (38000 in the messages, 2000 in the completion).", // vLLM
    'Input is too long for requested model.', // Bedrock
    'prompt is too long: 201234 tokens > 200000 maximum', // Anthropic on Bedrock
    'input length and `max_tokens` exceed context limit: 199000 + 8192 > 204658', // Anthropic on Bedrock
    'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', // Vertex
    'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`', // TGI
    'Number of input tokens exceeds maximum length of 300000', // Amazon Nova
  ])('%s', (message) => {
    expect(isContextLengthMessage(message)).toBe(true);
  });

  test('does not mistake other 4xx messages for context length', () => {
    expect(isContextLengthMessage("max_tokens must be at least 1, got 0.")).toBe(false);
    expect(isContextLengthMessage('Malformed input request: #: extraneous key [foo] is not permitted')).toBe(false);
  });
});

describe('errorDetails', () => {
  test('reads OpenAI/Azure bodies with inner error codes', () => {
    const body = { error: { code: 'content_filter', message: 'filtered', innererror: { code: 'ResponsibleAIPolicyViolation' } } };
    expect(errorDetails(body, '')).toEqual({ message: 'filtered', codes: ['content_filter', 'ResponsibleAIPolicyViolation'] });
  });

  test('reads Vertex bodies (numeric code, status string)', () => {
    expect(errorDetails({ error: { code: 429, message: 'Resource exhausted.', status: 'RESOURCE_EXHAUSTED' } }, '')).toEqual({ message: 'Resource exhausted.', codes: ['RESOURCE_EXHAUSTED'] });
  });

  test('reads vLLM, TGI and FastAPI bodies', () => {
    expect(errorDetails({ object: 'error', message: 'bad', type: 'BadRequestError', code: 400 }, '').message).toBe('bad');
    expect(errorDetails({ error: 'Input validation error', error_type: 'validation' }, '')).toEqual({ message: 'Input validation error', codes: ['validation'] });
    expect(errorDetails({ detail: 'Not Found' }, '').message).toBe('Not Found');
  });

  test('falls back to the raw text, truncated', () => {
    expect(errorDetails(undefined, ' upstream connect error ').message).toBe('upstream connect error');
    expect(errorDetails(undefined, 'x'.repeat(600)).message).toBe(`${'x'.repeat(500)}… (100 more characters)`);
    expect(errorDetails(undefined, '').message).toBe('no error message');
  });
});

describe('retryAfterMs', () => {
  const h = (init: Record<string, string>) => new Headers(init);
  test('prefers the millisecond headers Azure sends', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '1500', 'retry-after': '2' }))).toBe(1500);
    expect(retryAfterMs(h({ 'x-ms-retry-after-ms': '250' }))).toBe(250);
  });
  test('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(h({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now)).toBe(0);
  });
  test('ignores absent or unreadable values', () => {
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': '-1' }))).toBeUndefined();
  });
});

describe('transportError', () => {
  test('an aborted attempt is a timeout naming the abort reason', () => {
    const c = new AbortController();
    c.abort(new Error('attempt timeout 30000 ms'));
    const e = transportError('t', new Error('This operation was aborted'), c.signal);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.kind).toBe('timeout');
    expect(e.message).toContain('attempt timeout 30000 ms');
  });
  test('a failed connection is a timeout naming the socket error', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const e = transportError('t', err, new AbortController().signal);
    expect(e.kind).toBe('timeout');
    expect(e.message).toBe('t: connection failed: TypeError: fetch failed (ECONNREFUSED)');
  });
  test('a node:http socket error names its own code once', () => {
    const signal = new AbortController().signal;
    expect(transportError('t', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), signal).message).toBe('t: connection failed: socket hang up (ECONNRESET)');
    expect(transportError('t', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), signal).message).toBe('t: connection failed: connect ECONNREFUSED 127.0.0.1:1');
  });
  test('passes ProviderErrors through', () => {
    const original = new ProviderError('auth', 'no');
    expect(transportError('t', original, new AbortController().signal)).toBe(original);
  });
});

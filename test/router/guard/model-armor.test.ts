import { modelArmorEndpoint, ModelArmorGuard } from '../../../lib/router/guard/model-armor';
import { GuardError, type GuardRequest } from '../../../lib/router/guard/types';
import { closedPortUrl, FakeServer, json, rejection } from '../providers/support/fake-server';

// A local server speaking Model Armor's sanitize JSON (v1 REST: SanitizeUserPromptResponse).
const template = 'projects/acme-ai/locations/us-central1/templates/router-guard';

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

const guard = (extra: Partial<ConstructorParameters<typeof ModelArmorGuard>[0]> = {}) => new ModelArmorGuard({ template, baseUrl: server.url, accessToken: async () => 'ya29.test', ...extra });
const signal = () => new AbortController().signal;
const input = (...texts: string[]): GuardRequest => ({ source: 'input', texts, tenant: 'team-a', route: 'chat' });

const ok = (matchState = 'NO_MATCH_FOUND') => ({ executionState: 'EXECUTION_SUCCESS', matchState });

/** Every filter of a template ran; `over` replaces some. */
function sanitized(over: Record<string, unknown> = {}, state?: string, invocationResult = 'SUCCESS') {
  const filterResults: Record<string, unknown> = {
    csam: { csamFilterFilterResult: ok() },
    malicious_uris: { maliciousUriFilterResult: ok() },
    rai: { raiFilterResult: { ...ok(), raiFilterTypeResults: { dangerous: { matchState: 'NO_MATCH_FOUND' }, hate_speech: { matchState: 'NO_MATCH_FOUND' } } } },
    pi_and_jailbreak: { piAndJailbreakFilterResult: ok() },
    sdp: { sdpFilterResult: { inspectResult: ok() } },
    ...over,
  };
  const matched = JSON.stringify(over).includes('"MATCH_FOUND"');
  return { sanitizationResult: { filterMatchState: state ?? (matched ? 'MATCH_FOUND' : 'NO_MATCH_FOUND'), filterResults, invocationResult, sanitizationMetadata: {} } };
}

describe('the request', () => {
  test('input is sanitizeUserPrompt on the template, with a bearer token', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized());
    await guard().check(input('Hello there'), signal());
    const sent = server.requests[server.requests.length - 1];
    expect(sent.url).toBe(`/v1/${template}:sanitizeUserPrompt`);
    expect(sent.headers.authorization).toBe('Bearer ya29.test');
    expect(server.lastJson()).toEqual({ userPromptData: { text: 'Hello there' } });
  });

  test('output is sanitizeModelResponse', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized());
    await guard().check({ ...input('An answer.'), source: 'output' }, signal());
    expect(server.requests[server.requests.length - 1].url).toBe(`/v1/${template}:sanitizeModelResponse`);
    expect(server.lastJson()).toEqual({ modelResponseData: { text: 'An answer.' } });
  });

  test('each text is its own call', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized());
    const before = server.requests.length;
    await guard().check(input('one', 'two', 'three'), signal());
    expect(server.requests.slice(before).map((r) => JSON.parse(r.body).userPromptData.text).sort()).toEqual(['one', 'three', 'two']);
  });

  test('the default endpoint is the template location\'s regional one', () => {
    expect(modelArmorEndpoint('europe-west4')).toBe('https://modelarmor.europe-west4.rep.googleapis.com');
  });

  test('a template name of another form is refused', () => {
    expect(() => new ModelArmorGuard({ template: 'projects/p/templates/t', accessToken: async () => 't' })).toThrow(/projects\/<project>\/locations\/<location>\/templates\/<id>/);
  });
});

describe('verdicts', () => {
  test('no match allows; the cost is ceil(characters / 4) tokens at $0.10 per million', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized());
    expect(await guard().check(input('a'.repeat(10), 'b'.repeat(4)), signal())).toEqual({ action: 'allow', policies: [], costNanoUsd: (3 + 1) * 100 });
  });

  test.each([
    ['prompt injection and jailbreak', { pi_and_jailbreak: { piAndJailbreakFilterResult: { ...ok('MATCH_FOUND'), confidenceLevel: 'HIGH' } } }, ['prompt_attack']],
    ['a responsible-AI category', { rai: { raiFilterResult: { ...ok('MATCH_FOUND'), raiFilterTypeResults: { dangerous: { confidenceLevel: 'MEDIUM_AND_ABOVE', matchState: 'MATCH_FOUND' } } } } }, ['content']],
    ['CSAM', { csam: { csamFilterFilterResult: ok('MATCH_FOUND') } }, ['content']],
    ['a malicious URI', { malicious_uris: { maliciousUriFilterResult: { ...ok('MATCH_FOUND'), maliciousUriMatchedItems: [{ uri: 'http://bad.example' }] } } }, ['malicious_uri']],
    ['PII found by inspection only', { sdp: { sdpFilterResult: { inspectResult: { ...ok('MATCH_FOUND'), findings: [{ infoType: 'US_SOCIAL_SECURITY_NUMBER', likelihood: 'VERY_LIKELY' }] } } } }, ['pii']],
    ['two filters', { pi_and_jailbreak: { piAndJailbreakFilterResult: ok('MATCH_FOUND') }, malicious_uris: { maliciousUriFilterResult: ok('MATCH_FOUND') } }, ['prompt_attack', 'malicious_uri']],
    ['a filter this router does not know', { virus_scan: { virusScanFilterResult: ok('MATCH_FOUND') } }, []],
  ])('%s blocks', async (_what, over, policies) => {
    server.handler = (_req, res) => json(res, 200, sanitized(over));
    expect(await guard().check(input('x'), signal())).toEqual({ action: 'block', policies, costNanoUsd: 100 });
  });

  test('a match the filters do not explain still blocks', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized({}, 'MATCH_FOUND'));
    expect(await guard().check(input('x'), signal())).toMatchObject({ action: 'block', policies: [] });
  });

  test('a de-identified text masks, only the text that had PII', async () => {
    server.handler = (req, res) => {
      const text: string = JSON.parse(req.body).userPromptData.text;
      if (!text.includes('Jane')) return json(res, 200, sanitized());
      json(res, 200, sanitized({ sdp: { sdpFilterResult: { deidentifyResult: { ...ok('MATCH_FOUND'), data: { text: text.replace('Jane Doe', '[PERSON_NAME]') }, infoTypes: ['PERSON_NAME'] } } } }));
    };
    expect(await guard().check(input('Hi.', 'I am Jane Doe.'), signal())).toEqual({ action: 'mask', policies: ['pii'], texts: ['Hi.', 'I am [PERSON_NAME].'], costNanoUsd: 100 + 400 });
  });

  test('a block in one text blocks the whole check', async () => {
    server.handler = (req, res) => {
      const text: string = JSON.parse(req.body).userPromptData.text;
      json(res, 200, text === 'bad' ? sanitized({ pi_and_jailbreak: { piAndJailbreakFilterResult: ok('MATCH_FOUND') } }) : sanitized());
    };
    expect(await guard().check(input('fine', 'bad'), signal())).toMatchObject({ action: 'block', policies: ['prompt_attack'] });
  });

  test('a skipped filter does not count as a match', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized({ malicious_uris: { maliciousUriFilterResult: { executionState: 'EXECUTION_SKIPPED', matchState: 'NO_MATCH_FOUND' } } }));
    expect(await guard().check(input('x'), signal())).toMatchObject({ action: 'allow' });
  });

  test.each(['PARTIAL', 'FAILURE'])('invocationResult %s without a match is an outage: filters did not run', async (result) => {
    server.handler = (_req, res) => json(res, 200, sanitized({}, undefined, result));
    expect(await rejection(guard().check(input('x'), signal()))).toMatchObject({ kind: 'server' });
  });

  test('invocationResult PARTIAL with a match still blocks', async () => {
    server.handler = (_req, res) => json(res, 200, sanitized({ pi_and_jailbreak: { piAndJailbreakFilterResult: ok('MATCH_FOUND') } }, undefined, 'PARTIAL'));
    expect(await guard().check(input('x'), signal())).toMatchObject({ action: 'block', policies: ['prompt_attack'] });
  });
});

describe('outages', () => {
  const googleError = (code: number, status: string, message = 'nope') => ({ error: { code, message, status } });

  test.each([
    [429, 'RESOURCE_EXHAUSTED', 'throttled'],
    [500, 'INTERNAL', 'server'],
    [503, 'UNAVAILABLE', 'server'],
    [401, 'UNAUTHENTICATED', 'auth'],
    [403, 'PERMISSION_DENIED', 'auth'],
    [400, 'INVALID_ARGUMENT', 'bad_request'],
    [404, 'NOT_FOUND', 'bad_request'],
  ])('HTTP %i %s is %s', async (code, status, kind) => {
    server.handler = (_req, res) => json(res, code, googleError(code, status));
    const error = await rejection(guard().check(input('x'), signal()));
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toMatchObject({ kind, status: code });
  });

  test('a throttled answer carries its Retry-After', async () => {
    server.handler = (_req, res) => json(res, 429, googleError(429, 'RESOURCE_EXHAUSTED'), { 'retry-after': '2' });
    expect(await rejection(guard().check(input('x'), signal()))).toMatchObject({ kind: 'throttled', retryAfterMs: 2000 });
  });

  test('an answer that is not JSON is a bad response', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>proxy error</html>');
    };
    expect(await rejection(guard().check(input('x'), signal()))).toMatchObject({ kind: 'bad_response' });
  });

  test.each([
    ['no sanitizationResult', {}],
    ['no filterMatchState', { sanitizationResult: { filterResults: {} } }],
    ['a filterMatchState of another API', { sanitizationResult: { filterMatchState: 'FILTER_MATCH_STATE_UNSPECIFIED', filterResults: {} } }],
  ])('JSON with %s is a bad response', async (_what, body) => {
    server.handler = (_req, res) => json(res, 200, body);
    expect(await rejection(guard().check(input('x'), signal()))).toMatchObject({ kind: 'bad_response' });
  });

  test('a guard that never answers is a timeout once the signal aborts', async () => {
    server.handler = () => undefined;
    expect(await rejection(guard().check(input('x'), AbortSignal.timeout(150)))).toMatchObject({ kind: 'timeout' });
  });

  test('a refused connection is a timeout-class outage', async () => {
    expect(await rejection(guard({ baseUrl: await closedPortUrl() }).check(input('x'), signal()))).toMatchObject({ kind: 'timeout' });
  });

  test('no credentials is an auth outage, and no request is sent', async () => {
    const before = server.requests.length;
    const error = await rejection(guard({ accessToken: async () => { throw new Error('metadata server unreachable'); } }).check(input('x'), signal()));
    expect(error).toMatchObject({ kind: 'auth' });
    expect(error.message).toMatch(/no Google credentials: metadata server unreachable/);
    expect(server.requests.length).toBe(before);
  });

  test('never quotes more than 200 characters of what the guard said', async () => {
    server.handler = (_req, res) => json(res, 400, googleError(400, 'INVALID_ARGUMENT', `echo ${'prompt text '.repeat(200)}`));
    const error = await rejection(guard().check(input('x'), signal()));
    expect(error.message.length).toBeLessThan(300);
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`not json ${'x'.repeat(5000)}`);
    };
    expect((await rejection(guard().check(input('x'), signal()))).message.length).toBeLessThan(300);
  });
});

// The stage with each real cloud adapter against a local server speaking its wire format:
// the outage paths end to end (a guard that never answers, a throttled guard), both fail modes.
import type { ServerResponse } from 'node:http';
import { BedrockGuard } from '../../../lib/router/guard/bedrock';
import { ContentSafetyGuard } from '../../../lib/router/guard/content-safety';
import { GuardUnavailableError } from '../../../lib/router/guard/errors';
import { ModelArmorGuard } from '../../../lib/router/guard/model-armor';
import { GuardStage } from '../../../lib/router/guard/stage';
import type { GuardAdapter } from '../../../lib/router/guard/types';
import { FakeServer, json, rejection, type ReceivedRequest } from '../providers/support/fake-server';
import { guardConfig } from './support/fake-guard';

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

const HIGH = { hate: 'high', insults: 'high', sexual: 'high', violence: 'high', misconduct: 'high' } as const;

interface Cloud {
  readonly name: string;
  readonly make: () => GuardAdapter;
  readonly pass: (req: ReceivedRequest, res: ServerResponse) => void;
  readonly block: (req: ReceivedRequest, res: ServerResponse) => void;
  readonly throttle: (res: ServerResponse) => void;
  /** Blocks an answer (source OUTPUT) as content. */
  readonly blockOutput: (req: ReceivedRequest, res: ServerResponse) => void;
}

const clouds: Cloud[] = [
  {
    name: 'bedrock',
    make: () => new BedrockGuard({ guardrailId: 'gr-1', guardrailVersion: '1', region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } }),
    pass: (_req, res) => json(res, 200, { action: 'NONE', outputs: [], assessments: [], usage: { topicPolicyUnits: 0, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 0, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 } }),
    block: (_req, res) =>
      json(res, 200, {
        action: 'GUARDRAIL_INTERVENED',
        outputs: [{ text: 'blocked' }],
        assessments: [{ contentPolicy: { filters: [{ type: 'PROMPT_ATTACK', confidence: 'HIGH', action: 'BLOCKED' }] } }],
        usage: { topicPolicyUnits: 0, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 0, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 },
      }),
    throttle: (res) => json(res, 429, { message: 'Too many requests' }, { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', 'retry-after': '5' }),
    blockOutput: (req, res) =>
      JSON.parse(req.body).source === 'OUTPUT'
        ? json(res, 200, { action: 'GUARDRAIL_INTERVENED', outputs: [{ text: 'blocked' }], assessments: [{ contentPolicy: { filters: [{ type: 'VIOLENCE', confidence: 'HIGH', action: 'BLOCKED' }] } }], usage: { topicPolicyUnits: 0, contentPolicyUnits: 1, wordPolicyUnits: 0, sensitiveInformationPolicyUnits: 0, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 } })
        : json(res, 400, { message: 'expected OUTPUT' }, { 'x-amzn-errortype': 'ValidationException:' }),
  },
  {
    name: 'model-armor',
    make: () => new ModelArmorGuard({ template: 'projects/p/locations/us-central1/templates/t', baseUrl: server.url, accessToken: async () => 'token' }),
    pass: (_req, res) => json(res, 200, { sanitizationResult: { filterMatchState: 'NO_MATCH_FOUND', filterResults: {}, invocationResult: 'SUCCESS' } }),
    block: (_req, res) => json(res, 200, { sanitizationResult: { filterMatchState: 'MATCH_FOUND', filterResults: { pi_and_jailbreak: { piAndJailbreakFilterResult: { executionState: 'EXECUTION_SUCCESS', matchState: 'MATCH_FOUND', confidenceLevel: 'HIGH' } } }, invocationResult: 'SUCCESS' } }),
    throttle: (res) => json(res, 429, { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } }, { 'retry-after': '5' }),
    blockOutput: (req, res) =>
      req.url.endsWith(':sanitizeModelResponse')
        ? json(res, 200, { sanitizationResult: { filterMatchState: 'MATCH_FOUND', filterResults: { rai: { raiFilterResult: { executionState: 'EXECUTION_SUCCESS', matchState: 'MATCH_FOUND' } } }, invocationResult: 'SUCCESS' } })
        : json(res, 400, { error: { code: 400, message: 'expected a model response', status: 'INVALID_ARGUMENT' } }),
  },
  {
    name: 'content-safety',
    make: () => new ContentSafetyGuard({ endpoint: server.url, promptAttack: 'high', content: HIGH, accessToken: async () => 'token' }),
    pass: (req, res) => (req.url.includes('shieldPrompt') ? json(res, 200, { userPromptAnalysis: { attackDetected: false }, documentsAnalysis: [] }) : json(res, 200, { blocklistsMatch: [], categoriesAnalysis: [{ category: 'Hate', severity: 0 }] })),
    block: (req, res) => (req.url.includes('shieldPrompt') ? json(res, 200, { userPromptAnalysis: { attackDetected: true }, documentsAnalysis: [] }) : json(res, 200, { blocklistsMatch: [], categoriesAnalysis: [] })),
    throttle: (res) => json(res, 429, { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded.' } }, { 'retry-after': '5' }),
    blockOutput: (req, res) =>
      req.url.includes('text:analyze')
        ? json(res, 200, { blocklistsMatch: [], categoriesAnalysis: [{ category: 'Violence', severity: 6 }] })
        : json(res, 400, { error: { code: 'InvalidRequestBody', message: 'no prompt shield on output' } }),
  },
];

const ctx = { tenant: 'team-a', route: 'chat' };
const prompt = [{ role: 'user' as const, content: 'Hello, mail me at jane@example.com' }];

describe.each(clouds)('$name', (cloud) => {
  // A short guard timeout where the guard is meant to time out; the default elsewhere, so a busy
  // test machine does not turn a slow first call into an outage.
  const stage = (failMode: 'closed' | 'open', timeoutMs = 2000) => new GuardStage(guardConfig({ failMode }, timeoutMs), { cloud: cloud.make() });

  test('a passing check lets the masked prompt on and charges the call', async () => {
    server.handler = cloud.pass;
    const check = await stage('closed').checkInput(prompt, ctx);
    expect(check).toMatchObject({ action: 'mask', policies: ['pii'] });
    expect(check.costNanoUsd).toBeGreaterThan(0);
    expect(server.requests[server.requests.length - 1].body).not.toContain('jane@example.com');
  });

  test('a prompt attack is blocked as prompt_attack', async () => {
    server.handler = cloud.block;
    expect(await stage('closed').checkInput(prompt, ctx)).toMatchObject({ action: 'block', policies: ['prompt_attack'] });
  });

  test('fail closed: a guard that never answers refuses after the guard timeout', async () => {
    server.handler = () => undefined;
    const started = Date.now();
    const error = await rejection(stage('closed', 150).checkInput(prompt, ctx));
    expect(error).toBeInstanceOf(GuardUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'guard_unavailable', kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('fail open: a guard that never answers lets the request through, flagged', async () => {
    server.handler = () => undefined;
    expect(await stage('open', 150).checkInput(prompt, ctx)).toMatchObject({ action: 'mask', guardFailure: { kind: 'timeout' } });
  });

  test('fail closed: a throttled guard refuses with its Retry-After', async () => {
    server.handler = (_req, res) => cloud.throttle(res);
    expect(await rejection(stage('closed').checkInput(prompt, ctx))).toMatchObject({ code: 'guard_unavailable', kind: 'throttled', headers: { 'retry-after': '5' } });
  });

  test('fail open: a throttled guard lets the request through, flagged', async () => {
    server.handler = (_req, res) => cloud.throttle(res);
    expect(await stage('open').checkInput(prompt, ctx)).toMatchObject({ guardFailure: { kind: 'throttled' } });
  });

  test('a streamed answer is checked window by window and cut when the guard blocks it', async () => {
    server.handler = cloud.pass;
    const c = stage('closed').outputChecker(ctx);
    const first = await c.push('x '.repeat(200)); // one window of 400
    expect(first).toEqual({ type: 'text', text: 'x '.repeat(150) }); // less the 100 held back
    server.handler = cloud.blockOutput;
    expect(await c.push('y '.repeat(200))).toMatchObject({ type: 'cut', cause: 'blocked', policies: ['content'] });
    expect(c.costNanoUsd).toBeGreaterThan(0);
  });
});

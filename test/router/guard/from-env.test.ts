import { ROUTER_ENV } from '../../../lib/router/deploy-env';
import { BedrockGuard } from '../../../lib/router/guard/bedrock';
import { ContentSafetyGuard } from '../../../lib/router/guard/content-safety';
import { cloudGuardFromEnv } from '../../../lib/router/guard/from-env';
import { ModelArmorGuard } from '../../../lib/router/guard/model-armor';
import { FakeServer, json } from '../providers/support/fake-server';

const E = ROUTER_ENV;

describe('cloudGuardFromEnv', () => {
  test('nothing set: no cloud guard (the local filter alone)', () => {
    expect(cloudGuardFromEnv({})).toBeUndefined();
    expect(cloudGuardFromEnv({ [E.guardKind]: '  ' })).toBeUndefined();
  });

  test('bedrock: the guardrail id and version', () => {
    const g = cloudGuardFromEnv({ [E.guardKind]: 'bedrock', [E.bedrockGuardrailId]: 'gr-1', [E.bedrockGuardrailVersion]: '4' });
    expect(g).toBeInstanceOf(BedrockGuard);
    expect(g?.kind).toBe('bedrock');
  });

  test('model-armor: the template', () => {
    expect(cloudGuardFromEnv({ [E.guardKind]: 'model-armor', [E.modelArmorTemplate]: 'projects/p/locations/europe-west4/templates/t' })).toBeInstanceOf(ModelArmorGuard);
  });

  test('content-safety: the endpoint', () => {
    expect(cloudGuardFromEnv({ [E.guardKind]: 'content-safety', [E.contentSafetyEndpoint]: 'https://acct.cognitiveservices.azure.com' })).toBeInstanceOf(ContentSafetyGuard);
  });

  test.each([
    ['an unknown kind', { [E.guardKind]: 'lakera' }, /^AI_STACK_GUARD_KIND must be one of bedrock, model-armor, content-safety \(got "lakera"\)$/],
    ['bedrock without an id', { [E.guardKind]: 'bedrock', [E.bedrockGuardrailVersion]: '1' }, /^AI_STACK_GUARD_BEDROCK_ID is required when AI_STACK_GUARD_KIND is bedrock: set it to the guardrail id or ARN$/],
    ['bedrock without a version', { [E.guardKind]: 'bedrock', [E.bedrockGuardrailId]: 'gr-1' }, /^AI_STACK_GUARD_BEDROCK_VERSION is required when AI_STACK_GUARD_KIND is bedrock/],
    ['bedrock on the DRAFT', { [E.guardKind]: 'bedrock', [E.bedrockGuardrailId]: 'gr-1', [E.bedrockGuardrailVersion]: 'DRAFT' }, /^AI_STACK_GUARD_BEDROCK_VERSION must be a published version number such as 1 \(got "DRAFT"\)/],
    ['model-armor without a template', { [E.guardKind]: 'model-armor' }, /^AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE is required when AI_STACK_GUARD_KIND is model-armor/],
    ['model-armor with a malformed template', { [E.guardKind]: 'model-armor', [E.modelArmorTemplate]: 'my-template' }, /^AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE: Model Armor template must be projects\/<project>\/locations\/<location>\/templates\/<id> \(got "my-template"\)$/],
    ['content-safety without an endpoint', { [E.guardKind]: 'content-safety' }, /^AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT is required when AI_STACK_GUARD_KIND is content-safety/],
    ['content-safety over plain http', { [E.guardKind]: 'content-safety', [E.contentSafetyEndpoint]: 'http://acct.cognitiveservices.azure.com' }, /^AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT must be an https URL/],
    ['a guard variable without a kind', { [E.modelArmorTemplate]: 'projects/p/locations/l/templates/t' }, /^AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE is set but AI_STACK_GUARD_KIND is not; set it to one of bedrock, model-armor, content-safety$/],
  ])('refuses %s, naming the variable', (_what, env, message) => {
    expect(() => cloudGuardFromEnv(env)).toThrow(message);
  });

  test('Content Safety takes its severity thresholds from the design policy', async () => {
    const server = await FakeServer.start();
    try {
      server.handler = (_req, res) => json(res, 200, { blocklistsMatch: [], categoriesAnalysis: [{ category: 'Violence', severity: 4 }] });
      const env = { [E.guardKind]: 'content-safety', [E.contentSafetyEndpoint]: server.url };
      const overrides = { contentSafety: { accessToken: async () => 'token' } };
      const request = { source: 'output' as const, texts: ['x'], tenant: 't', route: 'r' };
      const strict = cloudGuardFromEnv(env, { promptAttack: 'high', content: { hate: 'high', insults: 'high', sexual: 'high', violence: 'medium', misconduct: 'none' } }, overrides)!;
      const lax = cloudGuardFromEnv(env, { promptAttack: 'high', content: { hate: 'high', insults: 'high', sexual: 'high', violence: 'low', misconduct: 'none' } }, overrides)!;
      expect((await strict.check(request, new AbortController().signal)).action).toBe('block');
      expect((await lax.check(request, new AbortController().signal)).action).toBe('allow');
    } finally {
      await server.close();
    }
  });
});
